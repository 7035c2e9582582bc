"""Single sign-on for staff over OpenID Connect (authorization code flow with PKCE, by Authlib).

The provider is found from OIDC_ISSUER's discovery document. A response is accepted only when its
`state` is the one this browser was sent off with (once: a replay finds none), the issuer named by
discovery, by the response's `iss` parameter and by the ID token is OIDC_ISSUER, and the token's
`nonce` is this sign-in's. The person is matched by verified email to a staff account an admin
made; nobody is registered by signing in. Optionally a claim sets the role (OIDC_ROLE_MAP).
"""

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.flask_client import OAuth
from flask import current_app, session

from . import audit, users
from .db import write_transaction

STAFF_ROLES = ("practitioner", "manager", "admin")
SUPPORT = "Ask your administrator if you think this is wrong."


class Refused(Exception):
    """A sign-in turned away; `message` says why, for the refusal page."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def configured(app=None):
    return bool((app or current_app).config.get("OIDC_ISSUER"))


def init_app(app):
    """Register the provider as an Authlib client of this app (each app its own, for the tests)."""
    if not configured(app):
        return
    config = app.config
    oauth = OAuth(app)
    oauth.register(
        "sso",
        client_id=config["OIDC_CLIENT_ID"],
        client_secret=config["OIDC_CLIENT_SECRET"],
        server_metadata_url=issuer(app) + "/.well-known/openid-configuration",
        client_kwargs={"scope": config["OIDC_SCOPES"], "code_challenge_method": "S256", "timeout": 10},
    )


def issuer(app=None):
    return (app or current_app).config["OIDC_ISSUER"].rstrip("/")


def client():
    return current_app.extensions["authlib.integrations.flask_client"].sso


def metadata():
    """The provider's discovery document, once its issuer is checked against the configured one."""
    try:
        found = client().load_server_metadata()
    except (requests.RequestException, ValueError) as error:
        raise Refused("The sign-in service could not be reached. Try again in a minute.") from error
    if str(found.get("issuer", "")).rstrip("/") != issuer():
        raise Refused("The sign-in service named a different issuer than this app trusts. " + SUPPORT)
    return found


def start(redirect_uri):
    """The redirect to the provider; state, nonce and PKCE verifier wait in this browser's session."""
    metadata()
    return client().authorize_redirect(redirect_uri)


def finish(args):
    """Check the provider's response to this browser and return the person's claims."""
    state = args.get("state", "")
    try:
        found = metadata()
        if args.get("iss") is not None or found.get("authorization_response_iss_parameter_supported"):
            # RFC 9207: the response names its issuer, so one from another provider is refused.
            if str(args.get("iss", "")).rstrip("/") != issuer():
                raise Refused("That sign-in response came from a different issuer. " + SUPPORT)
        if args.get("error"):
            raise Refused(f"The sign-in service did not sign you in ({args['error']}). Try again.")
        if not client().framework.get_state_data(session, state):
            raise Refused(
                "That sign-in response was already used, or was not started in this browser. "
                "Start again from the sign-in page."
            )
        # The ID token's issuer, exactly as discovery spells it (checked above against the config).
        token = client().authorize_access_token(
            claims_options={"iss": {"essential": True, "value": found["issuer"]}}
        )
        return _claims(token)
    except (AuthlibBaseError, requests.RequestException, ValueError, KeyError) as error:
        current_app.logger.warning("single sign-on refused: %r", error)
        raise Refused(
            "The sign-in response could not be checked. Start again from the sign-in page."
        ) from error
    finally:
        # Whatever the outcome, this state is spent: the same response cannot be tried again.
        client().framework.clear_state_data(session, state)


def _claims(token):
    """The ID token's claims, with the userinfo endpoint's for the same subject (some providers
    put email there only)."""
    claims = dict(token["userinfo"])
    if "email" not in claims and metadata().get("userinfo_endpoint"):
        more = client().userinfo(token=token)
        if more.get("sub") == claims.get("sub"):
            claims = {**more, **claims}
    return claims


def account_for(db, claims):
    """The active staff account for these claims, its role set by the mapped claim when configured.
    Raises Refused with the reason otherwise; the sign-in is audited."""
    config = current_app.config
    email = str(claims.get("email") or "").strip().lower()
    if not email:
        raise Refused("Your organisation account has no email address this app can use. " + SUPPORT)
    if claims.get(config.get("OIDC_EMAIL_VERIFIED_CLAIM") or "email_verified") is not True:
        raise Refused(f"Your organisation has not verified the email address {email}. " + SUPPORT)
    account = users.user_by_email(db, email)
    if account is None or account["role"] not in STAFF_ROLES:
        raise Refused(
            f"No staff account uses {email}. An administrator creates staff accounts; "
            "signing in does not make one. Families sign in with their email and password."
        )
    if not account["active"]:
        raise Refused("This account has been deactivated, so it cannot sign in. " + SUPPORT)
    role = mapped_role(claims, account["role"])
    with write_transaction(db):
        if role != account["role"]:
            db["users"].update(account["id"], {"role": role})
            audit.record(
                db, account["id"], "role set by single sign-on", None, f"{account['role']} to {role}"
            )
        audit.record(db, account["id"], "sign in", None, "single sign-on")
    return users.user_by_id(db, account["id"])


def mapped_role(claims, current_role):
    """The role OIDC_ROLE_MAP gives the claim's values (the map's first match), or the account's own
    role when no claim is configured. A configured claim holding no mapped value refuses sign-in."""
    claim = current_app.config.get("OIDC_ROLE_CLAIM")
    if not claim:
        return current_role
    values = claims.get(claim) or []
    values = [values] if isinstance(values, str) else list(values)
    for value, role in (current_app.config.get("OIDC_ROLE_MAP") or {}).items():
        if value in values and role in STAFF_ROLES:
            return role
    raise Refused("Your organisation account is in no group that may use this app. " + SUPPORT)


def logout_url(post_logout_redirect_uri):
    """The provider's end-session address (RP-initiated logout), or None if it offers none."""
    try:
        endpoint = metadata().get("end_session_endpoint")
    except Refused:
        return None
    if not endpoint:
        return None
    return client().create_logout_url(
        post_logout_redirect_uri=post_logout_redirect_uri, client_id=current_app.config["OIDC_CLIENT_ID"]
    )["url"]
