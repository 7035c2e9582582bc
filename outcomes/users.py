"""Accounts: password hashing, sign-in, staff administration (roles, memberships, one-time
password links, deactivation). No Flask imports.

Family accounts come from invitations (family.py); admins can only deactivate them here.
"""

import functools
import secrets
from datetime import datetime, timedelta, timezone

from marshmallow import ValidationError
from werkzeug.security import check_password_hash, generate_password_hash

from . import passwords, sessions
from .db import write_transaction
from .security import hash_secret, new_secret

# Failed sign-ins slow the next attempt down, more with each one, instead of locking the account:
# a stranger who types someone's email wrongly on purpose can delay them a minute, never lock
# them out, while one address guessing at many accounts is slowed to a crawl.
# Failures count for a day, longer than the longest wait, so patience does not reset the count.
# One office's staff may share an address, hence more free failures there.
THROTTLE_WINDOW = timedelta(hours=24)
ACCOUNT_FREE_FAILURES, ACCOUNT_MAX_DELAY = 5, timedelta(seconds=60)
ADDRESS_FREE_FAILURES, ADDRESS_MAX_DELAY = 20, timedelta(minutes=15)


class TooManyAttempts(Exception):
    """Sign-in refused until `retry_at`, whatever the password."""

    def __init__(self, retry_at, now):
        super().__init__("too many attempts")
        self.retry_at = retry_at
        self.seconds = max(1, int((retry_at - now).total_seconds() + 0.999))

    @property
    def message(self):
        return f"Too many failed attempts. Wait {self.seconds} seconds, then try again."


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
    """A new password; every signed-in session of the account ends with the old one."""
    db["users"].update(user_id, {"password_hash": generate_password_hash(password)})
    sessions.end_all(db, user_id)


def user_by_id(db, user_id):
    rows = list(db.query("SELECT * FROM users WHERE id = ? AND active = 1", [user_id]))
    return rows[0] if rows else None


def user_by_email(db, email):
    rows = list(db.query("SELECT * FROM users WHERE email = ?", [email.strip()]))
    return rows[0] if rows else None


def _utc(now=None):
    return (now or datetime.now(timezone.utc)).strftime("%Y-%m-%d %H:%M:%S")


def _parse(stamp):
    return datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc)


def _delay(failures, free, longest):
    """Nothing for the first `free` failures, then 1 s, 2 s, 4 s... up to `longest`."""
    if failures < free:
        return timedelta(0)
    return min(timedelta(seconds=2 ** min(failures - free, 20)), longest)


def _recent(db, column, value, now):
    count, last = db.execute(
        f"SELECT count(*), max(at) FROM sign_in_failures WHERE {column} = ? AND at > ?",
        [value, _utc(now - THROTTLE_WINDOW)],
    ).fetchone()
    return count, (_parse(last) if last else None)


def retry_at(db, email, address="", now=None):
    """When the next sign-in for this email from this address may be tried; None if now.
    An empty email or address leaves that check out."""
    now = now or datetime.now(timezone.utc)
    waits = []
    for column, value, free, longest in (
        ("email", email.strip(), ACCOUNT_FREE_FAILURES, ACCOUNT_MAX_DELAY),
        ("address", address, ADDRESS_FREE_FAILURES, ADDRESS_MAX_DELAY),
    ):
        if not value:  # no address known, or an address-only check (the join page's codes)
            continue
        count, last = _recent(db, column, value, now)
        if last is not None:
            waits.append(last + _delay(count, free, longest))
    later = max(waits, default=None)
    return later if later is not None and later > now else None


def check_throttle(db, email, address="", now=None):
    """Raise TooManyAttempts if this sign-in must wait."""
    now = now or datetime.now(timezone.utc)
    later = retry_at(db, email, address, now)
    if later is not None:
        raise TooManyAttempts(later, now)


@functools.cache
def _dummy_hash():
    return generate_password_hash(secrets.token_hex(16))


def authenticate(db, email, password, now=None, address=""):
    """The active user for these credentials, or None; failures are recorded for the throttle.

    Raises TooManyAttempts while the throttle asks this email or address to wait. An unknown
    email costs the same hash check as a known one, so the answer's timing says nothing, and the
    caller shows one message for every refusal.
    """
    check_throttle(db, email, address, now)
    user = user_by_email(db, email)
    usable = bool(user and user["active"] and user["password_hash"])
    matches = check_password_hash(user["password_hash"] if usable else _dummy_hash(), password)
    if usable and matches:
        with write_transaction(db):
            db.execute(
                "DELETE FROM sign_in_failures WHERE email = ? AND address = ?", [email.strip(), address]
            )
        return user
    record_failure(db, email, address, now)
    return None


def record_failure(db, email, address="", now=None):
    """One failed attempt, counted by the throttle against the email and the address."""
    with write_transaction(db):
        # Failures older than the window no longer count: they are not kept either.
        db.execute(
            "DELETE FROM sign_in_failures WHERE at < ?",
            [_utc((now or datetime.now(timezone.utc)) - THROTTLE_WINDOW)],
        )
        db.execute(
            "INSERT INTO sign_in_failures (email, address, at) VALUES (?, ?, ?)",
            [email.strip(), address, _utc(now)],
        )


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


def sign_out_everywhere(db, user_id):
    """End every session of an account now (an admin's button, or the CLI); returns how many."""
    with write_transaction(db):
        ended = sessions.count(db, user_id)
        sessions.end_all(db, user_id)
        return ended


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
            sessions.end_all(db, user_id)
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
        passwords.check(password, reset["name"], reset["email"])
        set_password(db, reset["user_id"], password)
        db["password_resets"].update(reset["id"], {"used_at": _stamp(now or datetime.now(timezone.utc))})
        # A fresh password clears the sign-in throttle for that address.
        db.execute("DELETE FROM sign_in_failures WHERE email = ?", [reset["email"]])
        return reset["user_id"]
