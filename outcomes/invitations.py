"""Invitations: a one-time code that links a parent or carer to a child. No Flask imports.

The code is shown once to the practitioner who made it and stored only as a hash.
It lasts 7 days and can be used once.
"""
import secrets
from datetime import datetime, timedelta, timezone

from marshmallow import ValidationError
from werkzeug.security import generate_password_hash

from . import audit, users
from .db import write_transaction
from .security import hash_secret

VALID_FOR = timedelta(days=7)
# No 0/O, 1/I/L: the code is often read off paper and typed on a phone.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 16  # 16 symbols from 31: about 79 bits, far beyond guessing

WRONG_CODE = "That invitation code is not right. Check it against the paper you were given, or ask the practitioner for a new one."
USED_CODE = "That invitation code has already been used. Ask the practitioner for a new one."
EXPIRED_CODE = "That invitation code has expired (codes last 7 days). Ask the practitioner for a new one."
ACCOUNT_REFUSED = (
    "That email address already has an account, and the password does not match it. "
    "If it is your family account, enter its password to add this child to it."
)


def _stamp(moment):
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _now(now):
    return now or datetime.now(timezone.utc)


def normalise(code):
    """The code as stored: capitals, without the spaces and dashes people type."""
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def display(code):
    """The code in groups of four, easier to read aloud and to copy."""
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def create_invitation(db, child_id, created_by, now=None):
    """Make a one-time code for `child_id`; returns (code as shown, expires_at). Only the hash is kept."""
    now = _now(now)
    code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    expires = now + VALID_FOR
    with write_transaction(db):
        db["invitations"].insert({
            "child_id": child_id,
            "code_hash": hash_secret(code),
            "created_by": created_by,
            "created_at": _stamp(now),
            "expires_at": _stamp(expires),
        })
        audit.record(db, created_by, "invite family", child_id)
    return display(code), _stamp(expires)


def check_code(db, code, now=None):
    """The unused, unexpired invitation for `code`; raises ValidationError naming `code` otherwise."""
    plain = normalise(code)
    rows = list(db.query("SELECT * FROM invitations WHERE code_hash = ?", [hash_secret(plain)])) if plain else []
    if not rows:
        raise ValidationError({"code": [WRONG_CODE]})
    invitation = rows[0]
    if invitation["used_at"]:
        raise ValidationError({"code": [USED_CODE]})
    if invitation["expires_at"] <= _stamp(_now(now)):
        raise ValidationError({"code": [EXPIRED_CODE]})
    return invitation


def redeem(db, data, now=None):
    """Use an invitation: create the family account (or use the existing one) and link the child.

    `data` is a loaded InvitationAcceptSchema. Returns the user's row. Raises
    ValidationError (and writes nothing) for a wrong, used or expired code, or an
    existing account whose password was not given.
    """
    check_code(db, data["code"], now)
    existing = users.user_by_email(db, data["email"])
    if existing:
        # Through the throttled sign-in, so a code cannot be used to guess someone's password.
        account = users.authenticate(db, data["email"], data["password"], now)
        if account is None or account["role"] != "family":
            raise ValidationError({"password": [ACCOUNT_REFUSED]})
    elif not data["name"].strip():
        raise ValidationError({"name": ["Enter your name, so the practitioner knows who has joined."]})
    # Hashing is slow on purpose: do it before taking the write lock.
    password_hash = None if existing else generate_password_hash(data["password"])
    with write_transaction(db):
        # Checked again under the write lock: two tabs redeeming one code get one link.
        invitation = check_code(db, data["code"], now)
        if existing:
            user_id = existing["id"]
        else:
            user_id = users.create_user(db, data["email"], data["name"].strip(), "family",
                                       password_hash=password_hash)
        db.execute(
            "INSERT OR IGNORE INTO family_links (user_id, child_id) VALUES (?, ?)",
            [user_id, invitation["child_id"]],
        )
        db.execute(
            "UPDATE invitations SET used_at = ?, used_by = ? WHERE id = ?",
            [_stamp(_now(now)), user_id, invitation["id"]],
        )
        audit.record(db, user_id, "accept invitation", invitation["child_id"], f"invitation {invitation['id']}")
    return users.user_by_id(db, user_id)
