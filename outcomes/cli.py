"""`flask --app outcomes ...` commands for scripted set-up."""
import click
from flask import current_app
from flask.cli import with_appcontext

from . import demo
from .db import get_db, migrate


@click.command("seed-demo")
@with_appcontext
@click.option("--password", default="outcomes-demo", show_default=True,
              help="Password for every demo account.")
def seed_demo_command(password):
    """Fill an empty database with generated demo data and print the demo accounts."""
    db = get_db()
    migrate(db)
    if db["users"].count:
        click.echo("The database already has accounts; leaving it as it is.")
        click.echo("Demo accounts (with the password given when they were seeded):")
    else:
        sizes = demo.seed(db, password)
        click.echo(f"Seeded {sizes['children']} children and {sizes['reviews']} reviews into "
                   f"{current_app.config['DATABASE']}.")
        click.echo(f"Demo accounts (password: {password}):")
    for email in demo.ACCOUNTS:
        click.echo(f"  {email}")


def init_app(app):
    app.cli.add_command(seed_demo_command)
    from . import admin_cli  # the admin's set-up commands (issue 7)

    admin_cli.init_app(app)
    from . import tokens  # the scorecard feed's API tokens (issue 4)

    tokens.init_app(app)
