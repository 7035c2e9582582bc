"""The app factory, the database set-up, the CLI and the README that documents them."""

import re
import sqlite3
from pathlib import Path

from outcomes import create_app
from outcomes.db import connect
from outcomes.migrations import MIGRATIONS

ROOT = Path(__file__).resolve().parent.parent


def test_new_database_is_migrated_on_start(tmp_path):
    path = tmp_path / "fresh.sqlite"
    create_app({"DATABASE": str(path), "SECRET_KEY": "x"})
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert {"reviews", "readings", "targets", "audit_log"} <= {
        row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    }
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_init_db_is_safe_to_run_twice(runner, app):
    first = runner.invoke(args=["init-db"])
    second = runner.invoke(args=["init-db"])
    assert first.exit_code == second.exit_code == 0
    assert f"schema version {len(MIGRATIONS)}" in second.output


def test_secret_key_is_generated_into_the_instance_folder_once(tmp_path):
    app = create_app({"DATABASE": str(tmp_path / "a.sqlite")})
    key_file = Path(app.instance_path) / "secret_key"
    assert app.config["SECRET_KEY"] == key_file.read_text().strip()
    assert len(app.config["SECRET_KEY"]) >= 64
    again = create_app({"DATABASE": str(tmp_path / "a.sqlite")})
    assert again.config["SECRET_KEY"] == app.config["SECRET_KEY"]


def test_seed_demo_creates_the_documented_accounts_and_history(runner, app):
    result = runner.invoke(args=["seed-demo", "--password", "pw-for-test"])
    assert result.exit_code == 0, result.output
    for email in [
        "slt@demo.test",
        "physio@demo.test",
        "ot@demo.test",
        "social@demo.test",
        "family@demo.test",
        "manager@demo.test",
        "admin@demo.test",
    ]:
        assert email in result.output
    assert "pw-for-test" in result.output
    db = connect(app.config["DATABASE"])
    assert db["services"].count == 4
    assert 35 <= db["children"].count <= 45
    # Several reviews each, targets met and missed, one child seen by three services.
    assert db.execute("SELECT count(*) FROM reviews").fetchone()[0] >= 2 * db["children"].count
    outcomes = {row[0] for row in db.execute("SELECT DISTINCT outcome FROM target_outcomes")}
    assert {"met", "not_met"} <= outcomes
    assert (
        db.execute(
            "SELECT max(n) FROM (SELECT count(DISTINCT service_id) AS n FROM caseloads GROUP BY child_id)"
        ).fetchone()[0]
        == 3
    )
    first = db.execute("SELECT min(date) FROM reviews").fetchone()[0]
    assert first >= "2025-04"  # about 18 months before today
    db.close()
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 0 and "already has accounts" in again.output


def test_readme_lists_every_cli_command(app):
    readme = (ROOT / "README.md").read_text()
    ours = [
        name
        for name, command in app.cli.commands.items()
        if command.callback.__module__.startswith("outcomes")
    ]
    assert ours
    missing = [name for name in ours if f"flask --app outcomes {name}" not in readme]
    assert missing == []


def test_readme_two_commands_are_the_ones_ci_runs():
    readme = (ROOT / "README.md").read_text()
    assert "make demo" in readme and "make test" in readme
    assert re.search(r"^make test$", (ROOT / ".ci" / "run").read_text(), re.M)
    assert (ROOT / "docs" / "screenshots" / "child-star.png").exists()


def test_security_headers_and_cookie_flags(client, auth, world):
    response = auth.login("slt@test.example")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
    page = client.get("/caseload")
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert page.headers["Cache-Control"] == "no-store"
    assert "<script>" not in page.text and 'style="' not in page.text


def test_unknown_page_is_a_friendly_404_and_api_404_is_json(client):
    page = client.get("/nowhere")
    assert page.status_code == 404 and "Go to your home page" in page.text
    api = client.get("/api/v1/nowhere")
    assert api.status_code == 404 and set(api.get_json()) == {"error"}


def test_passwords_are_stored_hashed(world, db):
    hashes = [row[0] for row in db.execute("SELECT password_hash FROM users")]
    assert all(h.startswith(("scrypt:", "pbkdf2:")) for h in hashes)
    assert not any("correct horse" in h for h in hashes)
