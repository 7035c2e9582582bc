"""The outcomes-star tracker: a Flask app factory."""

import os
import secrets
from pathlib import Path

from flask.json.provider import DefaultJSONProvider
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from . import dhis2, disclosure, region
from .templating import OutcomesFlask

# SQLite's integers are signed 64-bit: a bigger id in a URL is "no such page", not a crash.
MAX_ID = 2**63 - 1


class IdConverter(IntegerConverter):
    """`<int:...>` in every route, bounded to what SQLite can hold."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


class JSONProvider(DefaultJSONProvider):
    """JSON nested too deeply for the parser is bad input (a 400), not a crash."""

    def loads(self, s, **kwargs):
        try:
            return super().loads(s, **kwargs)
        except RecursionError as error:
            raise ValueError("The JSON is nested too deeply.") from error


def create_app(test_config=None):
    """Create the app; config comes from instance/config.py, or `test_config` in tests."""
    root = Path(__file__).resolve().parent.parent
    app = OutcomesFlask(
        __name__,
        instance_relative_config=True,
        template_folder=str(root / "templates"),
        static_folder=str(root / "static"),
    )
    app.config.from_mapping(
        DATABASE=os.path.join(app.instance_path, "outcomes.sqlite"),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=True,
        REMEMBER_COOKIE_SECURE=True,
        REMEMBER_COOKIE_HTTPONLY=True,
        MAX_CONTENT_LENGTH=4 * 1024 * 1024,
        DISCLOSURE_POLICY="nhs",
        # How many proxies in front of the app set X-Forwarded-For/-Proto/-Host (the TLS proxy of
        # the deployment guide: 1). 0 trusts none of those headers, since a client can send them.
        TRUSTED_PROXY_HOPS=0,
        # The address people use to reach the app, for links in emails and printed by commands
        # (e.g. "https://outcomes.example.org"); empty: the address of the current request.
        BASE_URL="",
        # Outgoing mail (outcomes/mail.py): no MAIL_HOST, no mail; links are shown on screen.
        MAIL_HOST="",
        MAIL_PORT=587,
        MAIL_STARTTLS=True,
        MAIL_USERNAME="",
        MAIL_PASSWORD="",
        MAIL_SENDER="",
        MAIL_TIMEOUT=10,
        # Staff single sign-on over OpenID Connect (outcomes/sso.py): no OIDC_ISSUER, none.
        OIDC_ISSUER="",
        OIDC_CLIENT_ID="",
        OIDC_CLIENT_SECRET="",
        OIDC_SCOPES="openid email profile",
        OIDC_BUTTON_LABEL="Sign in with your organisation account",
        # A claim (e.g. "roles" or "groups") whose values set a staff account's role through
        # OIDC_ROLE_MAP ({"value": "practitioner" | "manager" | "admin"}); empty: roles stay as set.
        OIDC_ROLE_CLAIM="",
        OIDC_ROLE_MAP={},
        # The claim that says the email is verified (Microsoft Entra ID: "xms_edov", as an optional claim).
        OIDC_EMAIL_VERIFIED_CLAIM="email_verified",
        # False: staff sign in only through single sign-on (families keep their passwords).
        STAFF_PASSWORD_SIGN_IN=True,
        # A worker copies page views' audit entries from its spool file into the audit trail when
        # the oldest has waited this many seconds or this many wait (outcomes/audit_spool.py);
        # anything that reads the trail copies them all first.
        AUDIT_SPOOL_SECONDS=1.0,
        AUDIT_SPOOL_ENTRIES=1000,
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env("OUTCOMES")
    else:
        app.config.from_mapping(test_config)
    disclosure.policy_named(app.config["DISCLOSURE_POLICY"])  # an unknown policy stops the app here
    region.areas(app.config)  # as does a malformed list of member areas
    dhis2.settings(app.config)  # or an unknown DHIS2 setting
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path) / "secret_key")

    from . import audit, commands, compression, db, errors, security, static_files, views, wording

    app.url_map.converters["int"] = IdConverter
    app.json = JSONProvider(app)
    hops = int(app.config["TRUSTED_PROXY_HOPS"])
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)
    db.init_app(app)
    audit.init_app(app)
    security.init_app(app)
    wording.init_app(app)
    errors.init_app(app)
    views.init_app(app)
    commands.init_app(app)
    static_files.init_app(app)
    compression.init_app(app)
    _migrate_new_database(app)
    return app


def _instance_secret(path):
    """Read the secret key from instance/, generating it on first run (never committed)."""
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _migrate_new_database(app):
    """Apply migrations on start, so a fresh checkout runs without a separate init step."""
    from .db import connect, migrate

    database = connect(app.config["DATABASE"])
    try:
        migrate(database)
    finally:
        database.close()
