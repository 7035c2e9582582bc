"""API tokens for the scorecard feed: made by an admin, shown once, stored only as a hash.

The commands create-token, revoke-token and list-tokens (commands.py) call these."""

from .db import write_transaction
from .security import hash_secret, new_secret


class TokenError(ValueError):
    """A token command that cannot be done (a name in use, an unknown name)."""


def create_token(db, name):
    """Store a new token under `name` and return it: the only time it is ever available."""
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise TokenError("Give the token a name of 1 to 100 characters, e.g. the spreadsheet it is for.")
    token = new_secret()
    with write_transaction(db):
        if db.execute("SELECT 1 FROM api_tokens WHERE name = ?", [name]).fetchone():
            raise TokenError(f"A token called '{name}' already exists; choose another name.")
        db["api_tokens"].insert({"name": name, "token_hash": hash_secret(token)})
    return token


def revoke_token(db, name):
    """Revoke the token called `name`; it is kept (revoked) so its name is not reused."""
    with write_transaction(db):
        row = db.execute("SELECT id, revoked_at FROM api_tokens WHERE name = ?", [name]).fetchone()
        if row is None:
            raise TokenError(f"No token is called '{name}'.")
        if row[1] is None:
            db.execute("UPDATE api_tokens SET revoked_at = datetime('now') WHERE id = ?", [row[0]])


# SQLite date modifier: how stale last_used_at may get.
NOTE_USE_EVERY = "1 minute"


def token_for(db, token):
    """The live (unrevoked) token row for a presented token, noting its use; None otherwise.

    The use is noted at most once a minute (what `list-tokens` shows), so that a client pulling the
    feed often does not take the write lock on every pull."""
    if not token:
        return None
    rows = list(
        db.query(
            f"""SELECT id, name, coalesce(last_used_at < datetime('now', '-{NOTE_USE_EVERY}'), 1) AS due
            FROM api_tokens WHERE token_hash = ? AND revoked_at IS NULL""",
            [hash_secret(token)],
        )
    )
    if not rows:
        return None
    row = rows[0]
    if row.pop("due"):
        with write_transaction(db):
            db.execute("UPDATE api_tokens SET last_used_at = datetime('now') WHERE id = ?", [row["id"]])
    return row


def list_tokens(db):
    return list(db.query("SELECT name, created_at, last_used_at, revoked_at FROM api_tokens ORDER BY name"))
