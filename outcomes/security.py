"""CSRF protection, secret hashing and the security headers every response carries."""

import functools
import hashlib
import hmac
import secrets
import time
from urllib.parse import urlsplit

from flask import abort, current_app, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user
from itsdangerous import BadSignature

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
CSRF_MESSAGE = "This form has expired or came from another site. Reload the page and try again."


def csrf_token():
    """The session's CSRF token, made on first use, masked afresh for each use (templates put it in
    a hidden field): pages are gzipped, and a secret repeated byte for byte in every page would let
    an observer of compressed sizes guess it (BREACH). The mask travels with the token."""
    if "csrf_token" not in session:
        session["csrf_token"] = secrets.token_urlsafe(32)
    raw = session["csrf_token"].encode()
    mask = secrets.token_bytes(len(raw))
    # XOR as whole numbers: one operation, not one Python step per byte (two tokens a page).
    masked = (int.from_bytes(raw) ^ int.from_bytes(mask)).to_bytes(len(raw))
    return (mask + masked).hex()


def _unmasked(sent):
    """The token inside a masked one; anything else unchanged (scripts may send the raw token)."""
    try:
        data = bytes.fromhex(sent)
    except ValueError:
        return sent
    half = len(data) // 2
    if len(data) % 2 or not half:
        return sent
    return bytes(a ^ b for a, b in zip(data[half:], data[:half], strict=True)).decode("latin-1")


def check_csrf():
    """Refuse an unsafe request without the session's token (form field or X-CSRFToken header)."""
    if request.method not in UNSAFE_METHODS:
        return
    # The feed's bearer-token clients carry no cookie, so a forged cross-site request has nothing to
    # ride on; a request that does carry the session cookie needs the token, Bearer header or not.
    has_session_cookie = current_app.config["SESSION_COOKIE_NAME"] in request.cookies
    if request.headers.get("Authorization", "").startswith("Bearer ") and not has_session_cookie:
        return
    # A signed-out API caller has no session to forge; the view answers 401, which says more.
    if request.path.startswith("/api/") and not current_user.is_authenticated:
        return
    sent = _unmasked(request.headers.get("X-CSRFToken") or request.form.get("csrf_token", ""))
    expected = session.get("csrf_token")
    if not expected or not hmac.compare_digest(sent.encode("latin-1", "replace"), expected.encode()):
        abort(400, description=CSRF_MESSAGE)


def submitted_form():
    """The posted form as a dict, without the CSRF token (which no schema expects)."""
    return {key: value for key, value in request.form.items() if key != "csrf_token"}


def hash_secret(secret):
    """SHA-256 of a random, high-entropy token (invitation codes, API tokens, reset links).

    Tokens are 256-bit random values, so a fast hash is enough; passwords use
    werkzeug's salted, slow hash instead.
    """
    return hashlib.sha256(secret.encode()).hexdigest()


@functools.lru_cache(maxsize=8)
def _form_targets(issuer):
    """Forms post to this site only; with single sign-on, the sign-out form's redirect goes on to
    the provider's end-session page, which browsers check against form-action too."""
    issuer = urlsplit(issuer)
    return f"'self' {issuer.scheme}://{issuer.netloc}" if issuer.netloc else "'self'"


def new_secret():
    return secrets.token_urlsafe(32)


def _content_security_policy():
    targets = _form_targets(current_app.config.get("OIDC_ISSUER") or "")
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"object-src 'none'; base-uri 'self'; form-action {targets}; frame-ancestors 'none'"
    )


def set_security_headers(response):
    """Each header unless the view set its own. The names present are read once: asking werkzeug's
    Headers for a missing one raises and catches an exception, six a request with setdefault."""
    present = {name.lower() for name, _ in response.headers.items()}
    wanted = [
        ("Content-Security-Policy", _content_security_policy()),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "same-origin"),
        ("X-Frame-Options", "DENY"),
    ]
    # Over HTTPS (as the trusted proxy reports it), browsers are told never to use plain HTTP here.
    if request.is_secure:
        wanted.append(("Strict-Transport-Security", "max-age=31536000; includeSubDomains"))
    # Pages about children must not sit in shared caches or the browser's back-forward cache.
    if request.endpoint != "static":
        wanted.append(("Cache-Control", "no-store"))
    for name, value in wanted:
        if name.lower() not in present:
            response.headers.add(name, value)
    return response


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, with its signer made once per key rather than per request
    (making it and deriving its key was half of reading the cookie), and each cookie's signature
    checked once: a browser sends the same cookie with every request until its session changes."""

    KEPT_COOKIES = 1000

    def get_signing_serializer(self, app):
        key = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        kept = app.extensions.setdefault("session_serializer", {})
        if key not in kept:
            kept.clear()
            kept[key] = super().get_signing_serializer(app)
            kept[key].verified = {}  # {cookie: (its contents, when it was signed)}, for this key only
        return kept[key]

    def open_session(self, app, request):
        serializer = self.get_signing_serializer(app)
        value = request.cookies.get(self.get_cookie_name(app))
        if serializer is None or not value:
            return super().open_session(app, request)
        max_age = app.permanent_session_lifetime.total_seconds()
        kept = serializer.verified.get(value)
        if kept is None:
            try:
                data, signed_at = serializer.loads(value, max_age=max_age, return_timestamp=True)
            except BadSignature:
                return self.session_class()
            # Kept only when every value is immutable (no flashed messages' list), so that a copy
            # of the dict is a copy of the session.
            if all(isinstance(each, (str, bool, int, float, type(None))) for each in data.values()):
                if len(serializer.verified) >= self.KEPT_COOKIES:
                    serializer.verified.clear()
                serializer.verified[value] = kept = (data, signed_at.timestamp())
            else:
                return self.session_class(data)
        data, signed_at = kept
        if time.time() - signed_at > max_age:
            serializer.verified.pop(value, None)
            return self.session_class()
        return self.session_class(dict(data))


def init_app(app):
    app.session_interface = SessionInterface()
    app.before_request(check_csrf)
    app.after_request(set_security_headers)
    app.jinja_env.globals["csrf_token"] = csrf_token
