"""Every admin action as a `flask --app outcomes ...` command: the same checks as the pages,
nothing written on bad input, --help text for each, and each documented in docs/admin.md."""

import csv
import io
import json
from pathlib import Path

import pytest
from conftest import row_counts

from outcomes import commands

ROOT = Path(__file__).resolve().parent.parent
STAR = {
    "key": "home_life",
    "name": "Home life star",
    "scale_min": 1,
    "scale_max": 10,
    "stages": ["Stuck", "Trying", "Learning", "Nearly there", "Doing well"],
    "domains": [
        {"label": label, "description": f"How your child manages {label.lower()} at home."}
        for label in ("Mornings", "Meals", "Bedtime", "Play", "Feelings", "Outings")
    ],
}


def run(runner, *args):
    return runner.invoke(args=[str(arg) for arg in args])


@pytest.mark.parametrize("command", commands.COMMANDS, ids=lambda c: c.name)
def test_every_command_has_help_and_is_documented(runner, command):
    result = run(runner, command.name, "--help")
    assert result.exit_code == 0 and len(command.help or "") > 20
    assert f"flask --app outcomes {command.name}" in (ROOT / "docs" / "admin.md").read_text()
    readme = (ROOT / "README.md").read_text()
    assert f"| `flask --app outcomes {command.name}" in readme, f"README's command table lacks {command.name}"


def test_scripted_set_up_from_service_to_caseload(runner, world, db, tmp_path):
    assert run(runner, "create-service", "eh", "Early Help", "--interval", "91").exit_code == 0
    star_file = tmp_path / "star.json"
    star_file.write_text(json.dumps(STAR))
    result = run(runner, "save-star", star_file, "--publish-for", "eh")
    assert result.exit_code == 0, result.output
    assert "Published version 1 for eh" in result.output
    assert (
        db.execute(
            "SELECT st.key FROM services s JOIN stars st ON st.id = s.star_id WHERE s.key = 'eh'"
        ).fetchone()[0]
        == "home_life"
    )

    result = run(
        runner,
        "create-staff",
        "erin@test.example",
        "Erin Early",
        "--practitioner-of",
        "eh",
        "--base-url",
        "https://outcomes.example.org",
    )
    assert result.exit_code == 0, result.output
    assert "https://outcomes.example.org/reset-password/" in result.output
    result = run(
        runner,
        "add-child",
        "--given-name",
        "Dina",
        "--family-name",
        "Das",
        "--date-of-birth",
        "04/04/2018",
        "--nhs-number",
        "9990000018",
        "--service",
        "eh",
        "--practitioner",
        "erin@test.example",
    )
    assert result.exit_code == 0, result.output
    row = db.execute(
        """SELECT ch.date_of_birth, u.email FROM caseloads c JOIN children ch ON ch.id = c.child_id
                        JOIN users u ON u.id = c.practitioner_id"""
        + " WHERE ch.given_name = 'Dina'"
    ).fetchone()
    assert row == ("2018-04-04", "erin@test.example")
    assert (
        db.execute(
            "SELECT count(*) FROM audit_log WHERE user_id IS NULL AND action = 'create child'"
        ).fetchone()[0]
        == 1
    )

    # Editing the published star makes version 2; renaming the service and its interval.
    STAR_V2 = dict(STAR, domains=STAR["domains"][:5])
    star_file.write_text(json.dumps(STAR_V2))
    assert "new draft version" in run(runner, "save-star", star_file).output
    assert run(runner, "publish-star", "home_life").exit_code == 0
    assert (
        db.execute(
            "SELECT count(*) FROM star_versions sv JOIN stars s ON s.id = sv.star_id "
            "WHERE s.key = 'home_life' AND published_at IS NOT NULL"
        ).fetchone()[0]
        == 2
    )
    assert (
        run(runner, "update-service", "eh", "--name", "Early Help Team", "--interval", "120").exit_code == 0
    )
    assert db.execute("SELECT name, review_interval_days FROM services WHERE key = 'eh'").fetchone() == (
        "Early Help Team",
        120,
    )


def test_people_commands(runner, world, db):
    assert (
        run(runner, "update-staff", "slt@test.example", "--manager-of", "slt", "--role", "manager").exit_code
        == 0
    )
    assert db.execute("SELECT role FROM users WHERE id = ?", [world.slt]).fetchone()[0] == "manager"
    link = run(runner, "password-link", "physio@test.example").output.strip()
    assert link.startswith("http://127.0.0.1:5000/reset-password/")
    assert run(runner, "deactivate-user", "physio@test.example").exit_code == 0
    assert db.execute("SELECT active FROM users WHERE id = ?", [world.physio]).fetchone()[0] == 0
    assert (
        run(runner, "password-link", "physio@test.example").exit_code == 1
    )  # no links for a deactivated account
    assert run(runner, "reactivate-user", "physio@test.example").exit_code == 0
    assert db.execute("SELECT active FROM users WHERE id = ?", [world.physio]).fetchone()[0] == 1


def test_caseload_commands(runner, world, db):
    db["children"].update(world.cat, {"local_id": "CAT-1"})
    assert (
        run(
            runner,
            "add-to-caseload",
            "CAT-1",
            "slt",
            "--practitioner",
            "slt@test.example",
            "--started-on",
            "2025-01-01",
        ).exit_code
        == 0
    )
    episode = db.execute(
        "SELECT id, practitioner_id FROM caseloads WHERE child_id = ? AND service_id = ?",
        [world.cat, world.services["slt"]],
    ).fetchone()
    assert episode[1] == world.slt
    assert run(runner, "move-child", "CAT-1", "slt").exit_code == 0
    assert (
        db.execute("SELECT practitioner_id FROM caseloads WHERE id = ?", [episode[0]]).fetchone()[0] is None
    )
    assert run(runner, "discharge-child", "CAT-1", "slt", "--on", "2025-06-01").exit_code == 0
    assert (
        db.execute("SELECT discharged_on FROM caseloads WHERE id = ?", [episode[0]]).fetchone()[0]
        == "2025-06-01"
    )
    assert run(runner, "retire-service", "physio").exit_code == 0
    assert db.execute("SELECT retired_at IS NOT NULL FROM services WHERE key = 'physio'").fetchone()[0] == 1


def test_import_audit_and_subject_access_commands(runner, world, db, tmp_path):
    for key in ("slt", "physio", "ot", "social"):
        db["users"].insert({"email": f"{key}@demo.test", "name": key, "role": "practitioner"})
        user = db.execute("SELECT id FROM users WHERE email = ?", [f"{key}@demo.test"]).fetchone()[0]
        db["memberships"].insert({"user_id": user, "service_id": world.services[key], "role": "practitioner"})
    sample = ROOT / "samples" / "children.csv"
    before = row_counts(db)
    checked = run(runner, "import-children", sample, "--check-only")
    assert checked.exit_code == 0 and "Would import 5 rows: 4 children created" in checked.output
    assert row_counts(db) == before
    assert "Imported 5 rows" in run(runner, "import-children", sample).output
    assert "5 unchanged" in run(runner, "import-children", sample).output

    bad = tmp_path / "bad.csv"
    bad.write_text(sample.read_text().replace("9990000018", "9990000017"))
    before = row_counts(db)
    result = run(runner, "import-children", bad)
    assert (
        result.exit_code == 1
        and "line 2, nhs_number: This NHS number's check digit is wrong" in result.output
    )
    assert row_counts(db) == before

    out = tmp_path / "audit.csv"
    assert run(runner, "audit-log", "--child", "SAMPLE0001", "--output", out).exit_code == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert {row["action"] for row in rows} == {"create child", "add to caseload"}

    export = tmp_path / "sar.json"
    assert run(runner, "subject-access", "9990000018", "--output", export).exit_code == 0
    data = json.loads(export.read_text())
    assert data["child"]["local_id"] == "SAMPLE0001" and data["caseloads"][0]["service"] == "slt"
    assert (
        db.execute("SELECT count(*) FROM audit_log WHERE action = 'subject access export'").fetchone()[0] == 1
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["create-service", "Bad Key", "Name"], "key: Use 2 to 30 lower-case letters"),
        (
            ["create-service", "eh", "Early Help", "--interval", "1"],
            "review_interval_days: Choose an interval",
        ),
        (["create-service", "slt", "Again"], "key: A service already has this key."),
        (["create-staff", "not-an-email", "Name"], "email: Enter an email address"),
        (
            ["create-staff", "slt@test.example", "Sally Again"],
            "email: An account already uses this email address.",
        ),
        (
            ["create-staff", "new@test.example", "New", "--practitioner-of", "nope"],
            "No active service has the key 'nope'.",
        ),
        (
            [
                "add-child",
                "--given-name",
                "A",
                "--family-name",
                "B",
                "--date-of-birth",
                "2018-01-01",
                "--nhs-number",
                "9990000017",
                "--service",
                "slt",
            ],
            "nhs_number: This NHS number's check digit is wrong",
        ),
        (
            [
                "add-child",
                "--given-name",
                "A",
                "--family-name",
                "B",
                "--date-of-birth",
                "2018-01-01",
                "--service",
                "slt",
                "--practitioner",
                "physio@test.example",
            ],
            "practitioner_id: Choose an active practitioner",
        ),
        (["discharge-child", "nobody", "slt"], "No child has the record number"),
        (
            ["audit-log", "--from", "2025-03-01", "--to", "2025-01-01"],
            "date_to: The end date is before the start date.",
        ),
        (["deactivate-user", "ghost@test.example"], "No account has the email"),
    ],
)
def test_bad_command_input_is_named_and_nothing_is_written(runner, world, db, args, message):
    before = row_counts(db)
    result = run(runner, *args)
    assert result.exit_code == 1 and message in result.output
    assert row_counts(db) == before


def test_save_star_refuses_a_bad_file(runner, world, db, tmp_path):
    star_file = tmp_path / "star.json"
    star_file.write_text(json.dumps(dict(STAR, domains=STAR["domains"][:3])))
    before = row_counts(db)
    result = run(runner, "save-star", star_file)
    assert result.exit_code == 1 and "domains: A star has from 4 to 12 domains." in result.output
    star_file.write_text("{not json")
    assert "not JSON" in run(runner, "save-star", star_file).output
    assert row_counts(db) == before
