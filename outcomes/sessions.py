"""Sign-in sessions held in the database: the cookie carries only a random token, so signing out,
a new password, deactivation or an admin's "sign out everywhere" ends every copy of it at once.
No Flask imports.

Staff sessions end after 30 minutes idle or 12 hours in all; families read their child's star now
and then on a phone, so theirs last longer, and are ended the same ways.
"""

from datetime import datetime, timedelta, timezone

from .db import write_transaction
from .security import hash_secret, new_secret

STAFF_IDLE = timedelta(minutes=30)
STAFF_ABSOLUTE = timedelta(hours=12)
FAMILY_IDLE = timedelta(days=14)
FAMILY_ABSOLUTE = timedelta(days=90)
# last_seen_at is written at most this often, so reading pages does not queue behind the write lock.
TOUCH_EVERY = timedelta(minutes=1)


def _now(now=None):
    return now or datetime.now(timezone.utc)


def _stamp(moment):
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _parse(stamp):
    # fromisoformat reads _stamp's "YYYY-MM-DD HH:MM:SS" in C; strptime took ~20 µs a call, twice a request.
    return datetime.fromisoformat(stamp).replace(tzinfo=timezone.utc)


def limits(role):
    """(idle, absolute) lifetimes for an account's role."""
    return (FAMILY_IDLE, FAMILY_ABSOLUTE) if role == "family" else (STAFF_IDLE, STAFF_ABSOLUTE)


def start(db, user_id, now=None):
    """A new session for this account; returns the token the cookie carries (only its hash is kept)."""
    token = new_secret()
    stamp = _stamp(_now(now))
    with write_transaction(db):
        # Sessions idle longer than any role allows are dead: clear them out as new ones start.
        db.execute("DELETE FROM user_sessions WHERE last_seen_at < ?", [_stamp(_now(now) - FAMILY_IDLE)])
        db.execute(
            "INSERT INTO user_sessions (token_hash, user_id, created_at, last_seen_at) VALUES (?, ?, ?, ?)",
            [hash_secret(token), user_id, stamp, stamp],
        )
    return token


def resume(db, token, now=None):
    """The active account this token's session belongs to, or None once it has ended or expired."""
    now = _now(now)
    rows = list(
        db.query(
            # The names of the services the account holds its role in come along, for the header's
            # "Practitioner, Physiotherapy" (wording.role_title) without a statement of its own.
            """SELECT s.id AS session_id, s.created_at, s.last_seen_at, u.*,
                      (SELECT group_concat(name, '|') FROM (
                         SELECT sv.name FROM memberships m JOIN services sv ON sv.id = m.service_id
                         WHERE m.user_id = u.id AND m.role = u.role AND sv.retired_at IS NULL
                         ORDER BY sv.name)) AS service_names
               FROM user_sessions s
               JOIN users u ON u.id = s.user_id WHERE s.token_hash = ? AND u.active = 1""",
            [hash_secret(str(token))],
        )
    )
    if not rows:
        return None
    row = rows[0]
    idle, absolute = limits(row["role"])
    last_seen = _parse(row["last_seen_at"])
    if now - last_seen >= idle or now - _parse(row["created_at"]) >= absolute:
        with write_transaction(db):
            db.execute("DELETE FROM user_sessions WHERE id = ?", [row["session_id"]])
        return None
    if now - last_seen >= TOUCH_EVERY:
        with write_transaction(db):
            db.execute(
                "UPDATE user_sessions SET last_seen_at = ? WHERE id = ?", [_stamp(now), row["session_id"]]
            )
    return row


def end(db, token):
    """Sign out this one session."""
    with write_transaction(db):
        db.execute("DELETE FROM user_sessions WHERE token_hash = ?", [hash_secret(str(token))])


def end_all(db, user_id):
    """End every session of an account (the caller commits, with the change that calls for it)."""
    db.execute("DELETE FROM user_sessions WHERE user_id = ?", [user_id])


def count(db, user_id):
    return db.execute("SELECT count(*) FROM user_sessions WHERE user_id = ?", [user_id]).fetchone()[0]
