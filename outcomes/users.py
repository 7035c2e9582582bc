"""Accounts: password hashing, look-ups and the sign-in throttle. No Flask imports."""
from datetime import datetime, timedelta, timezone

from werkzeug.security import check_password_hash, generate_password_hash

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)


def create_user(db, email, name, role, password=None, password_hash=None):
    """Insert a user and return its id; the password is stored only as a salted hash.

    `password_hash` lets generated data give many accounts one precomputed hash
    (hashing is deliberately slow).
    """
    if password:
        password_hash = generate_password_hash(password)
    return db["users"].insert(
        {"email": email.strip().lower(), "name": name, "role": role, "password_hash": password_hash}
    ).last_pk


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
    if user and user["active"] and user["password_hash"] and check_password_hash(
        user["password_hash"], password
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
