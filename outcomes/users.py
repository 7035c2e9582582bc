"""Accounts: password hashing, sign-in, staff administration (roles, memberships, one-time
password links, deactivation). No Flask imports.

Family accounts come from invitations (family.py); admins can only deactivate them here.
"""

from datetime import datetime, timedelta, timezone

from marshmallow import ValidationError
from werkzeug.security import check_password_hash, generate_password_hash

from .db import write_transaction
from .security import hash_secret, new_secret

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)


def create_user(db, email, name, role, password=None, password_hash=None):
    """Insert a user and return its id; the password is stored only as a salted hash.

    `password_hash` lets generated data give many accounts one precomputed hash
    (hashing is deliberately slow).
    """
    if password:
        password_hash = generate_password_hash(password)
    return (
        db["users"]
        .insert({"email": email.strip().lower(), "name": name, "role": role, "password_hash": password_hash})
        .last_pk
    )


def set_password(db, user_id, password):
    db["users"].update(user_id, {"password_hash": generate_password_hash(password)})


def user_by_id(db, user_id):
    rows = list(db.query("SELECT * FROM users WHERE id = ? AND active = 1", [user_id]))
    return rows[0] if rows else None


def user_by_email(db, email):
    rows = list(db.query("SELECT * FROM users WHERE email = ?", [email.strip()]))
    return rows[0] if rows else None


def _utc(now=None):
    return (now or datetime.now(timezone.utc)).strftime("%Y-%m-%d %H:%M:%S")


def is_locked_out(db, email, now=None):
    """True after MAX_FAILURES failed sign-ins for this address within LOCKOUT."""
    now = now or datetime.now(timezone.utc)
    since = _utc(now - LOCKOUT)
    count = db.execute(
        "SELECT count(*) FROM login_failures WHERE email = ? AND at > ?", [email.strip(), since]
    ).fetchone()[0]
    return count >= MAX_FAILURES


def authenticate(db, email, password, now=None):
    """The active user for these credentials, or None; failures are recorded for the throttle.

    A locked-out address is refused even with the right password, and the caller
    shows one message for every refusal so that nobody learns whether an account exists.
    """
    if is_locked_out(db, email, now):
        return None
    user = user_by_email(db, email)
    if (
        user
        and user["active"]
        and user["password_hash"]
        and check_password_hash(user["password_hash"], password)
    ):
        db.execute("DELETE FROM login_failures WHERE email = ?", [email.strip()])
        return user
    db["login_failures"].insert({"email": email.strip(), "at": _utc(now)})
    return None


def service_ids(db, user_id, role):
    """Ids of the services where the user holds `role` ('practitioner' or 'manager')."""
    return [
        row["service_id"]
        for row in db.query(
            "SELECT service_id FROM memberships WHERE user_id = ? AND role = ? ORDER BY service_id",
            [user_id, role],
        )
    ]


RESET_LIFETIME = timedelta(hours=72)
RESET_REFUSED = "This link has expired or has already been used. Ask your administrator for a new one."


def _stamp(moment):
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def list_people(db):
    """Every account with its service memberships, active accounts first."""
    return list(
        db.query(
            """SELECT u.id, u.email, u.name, u.role, u.active,
                  (SELECT group_concat(s.name || ' (' || m.role || ')', ', ')
                     FROM memberships m JOIN services s ON s.id = m.service_id
                    WHERE m.user_id = u.id) AS memberships
           FROM users u ORDER BY u.active DESC, u.role, u.name"""
        )
    )


def get_person(db, user_id):
    rows = list(db.query("SELECT id, email, name, role, active FROM users WHERE id = ?", [user_id]))
    return rows[0] if rows else None


def memberships(db, user_id):
    """{'practitioner': [service ids], 'manager': [service ids]}."""
    return {role: service_ids(db, user_id, role) for role in ("practitioner", "manager")}


def _check_services(db, service_ids, field):
    known = {row[0] for row in db.execute("SELECT id FROM services WHERE retired_at IS NULL")}
    if not set(service_ids) <= known:
        raise ValidationError({field: ["Choose services from the list."]})


def _set_memberships(db, user_id, data):
    _check_services(db, data["practitioner_of"], "practitioner_of")
    _check_services(db, data["manager_of"], "manager_of")
    db.execute("DELETE FROM memberships WHERE user_id = ?", [user_id])
    db["memberships"].insert_all(
        [
            {"user_id": user_id, "service_id": sid, "role": "practitioner"}
            for sid in set(data["practitioner_of"])
        ]
        + [{"user_id": user_id, "service_id": sid, "role": "manager"} for sid in set(data["manager_of"])]
    )


def create_staff(db, data, now=None):
    """A staff account from a loaded StaffSchema, with no password yet.

    Returns (user_id, token): the token is a one-time link for setting the first password.
    """
    with write_transaction(db):
        if user_by_email(db, data["email"]):
            raise ValidationError({"email": ["An account already uses this email address."]})
        user_id = create_user(db, data["email"], data["name"].strip(), data["role"])
        _set_memberships(db, user_id, data)
        return user_id, _new_reset(db, user_id, now)


def update_staff(db, user_id, data, acting_user_id=None):
    """Change a person's name, role and memberships (a loaded StaffUpdateSchema)."""
    person = get_person(db, user_id)
    if person["role"] == "family":
        raise ValidationError({"role": ["A family account cannot be made a staff account."]})
    if user_id == acting_user_id and data["role"] != person["role"]:
        raise ValidationError({"role": ["You cannot change your own role."]})
    with write_transaction(db):
        db["users"].update(user_id, {"name": data["name"].strip(), "role": data["role"]})
        _set_memberships(db, user_id, data)


def set_active(db, user_id, active, acting_user_id=None):
    """Deactivate (they can no longer sign in; their reviews stay) or reactivate an account."""
    if not active and user_id == acting_user_id:
        raise ValidationError({"active": ["You cannot deactivate your own account."]})
    with write_transaction(db):
        db["users"].update(user_id, {"active": 1 if active else 0})
        if not active:
            # Outstanding links die with the account, so reactivating does not revive them.
            db.execute(
                "UPDATE password_resets SET used_at = ? WHERE user_id = ? AND used_at IS NULL",
                [_stamp(datetime.now(timezone.utc)), user_id],
            )


def _new_reset(db, user_id, now=None):
    now = now or datetime.now(timezone.utc)
    token = new_secret()
    db["password_resets"].insert(
        {
            "user_id": user_id,
            "token_hash": hash_secret(token),
            "created_at": _stamp(now),
            "expires_at": _stamp(now + RESET_LIFETIME),
        }
    )
    return token


def create_reset(db, user_id, now=None):
    """A one-time password link token for an active account (only its hash is stored)."""
    with write_transaction(db):
        person = get_person(db, user_id)
        if person is None or not person["active"]:
            raise ValidationError({"user": ["Reactivate the account before sending a password link."]})
        # A new link replaces any earlier one.
        db.execute(
            "UPDATE password_resets SET used_at = ? WHERE user_id = ? AND used_at IS NULL",
            [_stamp(now or datetime.now(timezone.utc)), user_id],
        )
        return _new_reset(db, user_id, now)


def reset_for_token(db, token, now=None):
    """The unused, unexpired reset row for this token, with the account's email and name; or None."""
    now = now or datetime.now(timezone.utc)
    rows = list(
        db.query(
            """SELECT pr.id, pr.user_id, u.email, u.name FROM password_resets pr
           JOIN users u ON u.id = pr.user_id
           WHERE pr.token_hash = ? AND pr.used_at IS NULL AND pr.expires_at > ? AND u.active = 1""",
            [hash_secret(token), _stamp(now)],
        )
    )
    return rows[0] if rows else None


def use_reset(db, token, password, now=None):
    """Set a new password through a one-time link; the link is spent. Returns the user id."""
    with write_transaction(db):
        reset = reset_for_token(db, token, now)
        if reset is None:
            raise ValidationError({"token": [RESET_REFUSED]})
        set_password(db, reset["user_id"], password)
        db["password_resets"].update(reset["id"], {"used_at": _stamp(now or datetime.now(timezone.utc))})
        # A fresh password clears the sign-in throttle for that address.
        db.execute("DELETE FROM login_failures WHERE email = ?", [reset["email"]])
        return reset["user_id"]
