"""API tokens for the scorecard feed: made by an admin, shown once, stored only as a hash.

`flask --app outcomes create-token NAME` prints a new token; `revoke-token NAME` stops it working.
"""
import click
from flask.cli import with_appcontext

from .db import get_db, write_transaction
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


def token_for(db, token):
    """The live (unrevoked) token row for a presented token, noting its use; None otherwise."""
    if not token:
        return None
    rows = list(db.query(
        "SELECT id, name FROM api_tokens WHERE token_hash = ? AND revoked_at IS NULL", [hash_secret(token)]
    ))
    if not rows:
        return None
    with write_transaction(db):
        db.execute("UPDATE api_tokens SET last_used_at = datetime('now') WHERE id = ?", [rows[0]["id"]])
    return rows[0]


def list_tokens(db):
    return list(db.query("SELECT name, created_at, last_used_at, revoked_at FROM api_tokens ORDER BY name"))


@click.command("create-token")
@click.argument("name")
@with_appcontext
def create_token_command(name):
    """Create a scorecard feed token called NAME and print it once (only its hash is kept)."""
    try:
        token = create_token(get_db(), name)
    except TokenError as error:
        raise click.ClickException(str(error))
    click.echo(f"Token '{name}' (shown only now; store it in the client's settings):")
    click.echo(token)


@click.command("revoke-token")
@click.argument("name")
@with_appcontext
def revoke_token_command(name):
    """Revoke the feed token called NAME; clients using it get 401 from then on."""
    try:
        revoke_token(get_db(), name)
    except TokenError as error:
        raise click.ClickException(str(error))
    click.echo(f"Token '{name}' is revoked.")


@click.command("list-tokens")
@with_appcontext
def list_tokens_command():
    """List feed tokens by name, with when each was made, last used and revoked (never the token)."""
    for row in list_tokens(get_db()):
        state = f"revoked {row['revoked_at']}" if row["revoked_at"] else "active"
        click.echo(f"{row['name']}: created {row['created_at']}, last used {row['last_used_at'] or 'never'}, {state}")


def init_app(app):
    for command in (create_token_command, revoke_token_command, list_tokens_command):
        app.cli.add_command(command)
