"""Erasure on request, anonymisation after retention, unlinking a parent, revoking an invitation and
purging unconfirmed import previews: what identifies a child goes, the scorecard's counts stay."""

import json
from datetime import date

from conftest import row_counts
from scorecard_data import NAMES, build

from outcomes import family, importer, periods, retention, scorecard

YEAR = periods.parse("2025-26")


def run(runner, *args):
    return runner.invoke(args=[str(arg) for arg in args])


def everything(db):
    """Every row of every table as text, to search for what must be gone."""
    return json.dumps({name: list(db[name].rows) for name in db.table_names()}, default=str)


def test_erasing_every_child_keeps_every_scorecard_figure_and_no_name(db, world):
    child, _ = build(db, world)
    db.execute(
        "UPDATE children SET nhs_number = '9434765919', local_id = 'CMS-77' WHERE id = ?", [child["A"]]
    )
    db.execute("UPDATE reviews SET notes = 'Aurelio loves trains', internal_notes = 'Mum worried'")
    # The FFT free text may name the child too; the answer itself stays (it is counted).
    db.execute("UPDATE family_views SET what_was_good = 'Aurelio smiled', could_be_better = 'Aurelio''s bus'")
    db.conn.commit()
    services = scorecard.services(db)
    before = [scorecard.compute(db, service, YEAR) for service in services]  # unrounded
    for child_id in child.values():
        assert retention.erase(db, world.admin, child_id, "request")
    after = [scorecard.compute(db, service, YEAR) for service in services]
    assert after == before
    text = everything(db)
    for name in [*NAMES.values(), "Scorecard", "9434765919", "CMS-77", "loves trains", "Mum worried"]:
        assert name not in text
    row = db["children"].get(child["A"])
    assert row["date_of_birth"] == "2016-01-01"  # month and year stay for age breakdowns
    assert db.execute(
        "SELECT count(*) FROM caseloads WHERE child_id = ? AND discharged_on IS NULL", [child["A"]]
    ).fetchone() == (0,)
    entry = db.execute(
        "SELECT user_id, action, detail FROM audit_log WHERE child_id = ? ORDER BY id DESC", [child["A"]]
    ).fetchone()
    assert entry == (world.admin, "erase child", "on request")


def test_erasure_removes_family_links_invitations_and_the_day_of_birth(db, world):
    family.create_invitation(db, world.amy, world.slt)
    retention.erase(db, world.admin, world.amy)
    amy = db["children"].get(world.amy)
    assert (amy["given_name"], amy["family_name"], amy["date_of_birth"]) == (
        "Anonymised",
        "record",
        "2016-05-01",
    )
    assert db.execute("SELECT count(*) FROM family_links WHERE child_id = ?", [world.amy]).fetchone() == (0,)
    assert db.execute("SELECT count(*) FROM invitations WHERE child_id = ?", [world.amy]).fetchone() == (0,)
    assert not retention.erase(db, world.admin, world.amy)  # a second erasure changes nothing
    assert db["child_erasures"].count == 1


def test_retention_ends_on_the_25th_birthday_and_is_configurable(db, world):
    # Born 2016-05-01 (Amy), 2017-02-11 (Bob), 2015-09-30 (Cat).
    assert retention.expired(db, today=date(2040, 9, 29)) == []
    assert retention.expired(db, today=date(2040, 9, 30)) == [world.cat]
    assert retention.expired(db, today=date(2041, 5, 1)) == [world.cat, world.amy]
    assert retention.expired(db, today=date(2041, 5, 1), years=26) == []
    assert retention.anonymise_expired(db, today=date(2042, 2, 11)) == 3
    assert retention.expired(db, today=date(2042, 2, 11)) == []
    actions = db.execute(
        "SELECT DISTINCT action, detail FROM audit_log WHERE action LIKE 'anonymise%'"
    ).fetchall()
    assert actions == [("anonymise child", "retention")]


def test_leap_day_cutoff():
    assert retention.retention_cutoff(date(2041, 2, 28)) == date(2016, 2, 28)
    assert retention.retention_cutoff(date(2044, 2, 29)) == date(2019, 2, 28)


def test_erase_child_command_asks_first_and_names_no_one_afterwards(runner, db, world):
    refused = runner.invoke(args=["erase-child", str(world.bob)], input="n\n")
    assert refused.exit_code == 1 and db["children"].get(world.bob)["given_name"] == "Bob"
    done = runner.invoke(args=["erase-child", str(world.bob)], input="y\n")
    assert done.exit_code == 0, done.output
    assert db["children"].get(world.bob)["given_name"] == "Anonymised"
    log = run(runner, "audit-log")
    assert "erase child" in log.output and "Bob" not in log.output and "Brown" not in log.output


def test_anonymise_expired_command_uses_the_configured_years(app, runner, db, world):
    app.config["RETENTION_YEARS"] = 8  # every test child is older than 8
    dry = run(runner, "anonymise-expired", "--dry-run")
    assert "3 records are past retention (8 years)" in dry.output
    assert db["child_erasures"].count == 0
    assert "3 records anonymised" in run(runner, "anonymise-expired").output
    assert db["child_erasures"].count == 3


def test_unlink_parent_from_one_child(runner, db, world):
    db["family_links"].insert({"user_id": world.family, "child_id": world.bob})
    result = run(runner, "unlink-parent", "family@test.example", world.amy)
    assert result.exit_code == 0, result.output
    links = db.execute("SELECT child_id FROM family_links WHERE user_id = ?", [world.family]).fetchall()
    assert links == [(world.bob,)]
    again = run(runner, "unlink-parent", "family@test.example", world.amy)
    assert again.exit_code == 1 and "is not linked" in again.output
    assert db.execute("SELECT count(*) FROM audit_log WHERE action = 'unlink family'").fetchone() == (1,)


def test_an_invitation_is_revoked_by_its_maker_or_an_admin_only(db, world):
    code, _ = family.create_invitation(db, world.amy, world.slt)
    physio = {"id": world.physio, "role": "practitioner"}
    assert family.revoke_invitation(db, physio, 1) is None
    assert family.check_code(db, code)  # still usable
    assert family.revoke_invitation(db, {"id": world.slt, "role": "practitioner"}, 1) == world.amy
    assert family.open_invitations(db, world.amy) == []
    second, _ = family.create_invitation(db, world.amy, world.slt)
    assert family.revoke_invitation(db, {"id": world.admin, "role": "admin"}, 2) == world.amy
    for used in (code, second):
        try:
            family.check_code(db, used)
        except Exception as error:  # noqa: BLE001 - the ValidationError names the field
            assert "code" in error.messages
        else:
            raise AssertionError("a revoked code was accepted")


def test_unconfirmed_import_previews_are_purged_after_a_day(runner, db, world):
    old = importer.stage(db, world.admin, "old.csv", "given_name\nAmy\n")
    fresh = importer.stage(db, world.admin, "new.csv", "given_name\nBob\n")
    db.execute("UPDATE import_uploads SET created_at = datetime('now', '-25 hours') WHERE id = ?", [old])
    db.conn.commit()
    assert importer.staged(db, old, world.admin) is None  # too old to confirm
    assert "1 unconfirmed import previews deleted" in run(runner, "purge-imports").output
    assert [row["id"] for row in db["import_uploads"].rows] == [fresh]


# --- The admin's pages ---------------------------------------------------------------------------


def test_erasure_page_asks_for_the_record_number_and_then_erases(client, auth, db, world):
    auth.login("admin@test.example")
    page = client.get(f"/admin/children/{world.amy}/erase")
    assert page.status_code == 200 and "cannot be undone" in page.text
    token = auth.csrf(f"/admin/children/{world.amy}/erase")
    before = row_counts(db)
    wrong = client.post(f"/admin/children/{world.amy}/erase", data={"csrf_token": token, "confirm": "999"})
    assert wrong.status_code == 422 and f"Type {world.amy}, the record number" in wrong.text
    empty = client.post(f"/admin/children/{world.amy}/erase", data={"csrf_token": token})
    assert empty.status_code == 422 and "Type the record number to confirm" in empty.text
    assert row_counts(db) == before and db["children"].get(world.amy)["given_name"] == "Amy"
    done = client.post(
        f"/admin/children/{world.amy}/erase", data={"csrf_token": token, "confirm": str(world.amy)}
    )
    assert done.status_code == 302
    assert db["children"].get(world.amy)["given_name"] == "Anonymised"
    assert db.execute("SELECT user_id FROM audit_log WHERE action = 'erase child'").fetchone() == (
        world.admin,
    )
    assert "This record is anonymised" in client.get(f"/admin/children/{world.amy}").text


def test_only_admins_reach_erasure_and_retention(client, auth, db, world):
    auth.login("slt@test.example")
    assert client.get(f"/admin/children/{world.amy}/erase").status_code == 403
    assert client.post("/admin/retention", data={"csrf_token": auth.csrf("/")}).status_code == 403
    assert db["child_erasures"].count == 0


def test_retention_page_anonymises_what_is_due(app, client, auth, db, world):
    app.config["RETENTION_YEARS"] = 9  # Amy (2016) is 10, Bob (2017) 9, Cat (2015) 11 in 2026
    auth.login("admin@test.example")
    page = client.get("/admin/retention")
    due = len(retention.expired(db, years=9))
    assert f"Anonymise {due} record" in page.text
    client.post("/admin/retention", data={"csrf_token": auth.csrf("/admin/retention")})
    assert db["child_erasures"].count == due and retention.expired(db, years=9) == []


def test_admin_unlinks_a_parent_and_revokes_an_invitation_from_the_child_page(client, auth, db, world):
    family.create_invitation(db, world.amy, world.slt)
    auth.login("admin@test.example")
    page = client.get(f"/admin/children/{world.amy}")
    assert "Pat Parent" in page.text and "Made by Sally SLT" in page.text
    token = auth.csrf(f"/admin/children/{world.amy}")
    unlink = f"/admin/children/{world.amy}/family/{world.family}/unlink"
    ask = client.post(unlink, data={"csrf_token": token})
    assert ask.status_code == 200 and "Stop Pat Parent seeing Amy" in ask.text
    assert db.execute("SELECT count(*) FROM family_links WHERE child_id = ?", [world.amy]).fetchone() == (1,)
    client.post(unlink, data={"csrf_token": token, "confirmed": "yes"})
    assert db.execute("SELECT count(*) FROM family_links WHERE child_id = ?", [world.amy]).fetchone() == (0,)
    revoke = f"/children/{world.amy}/invitations/revoke"
    ask = client.post(revoke, data={"csrf_token": token, "invitation_id": 1})
    assert ask.status_code == 200 and "Revoke this invitation?" in ask.text
    assert len(family.open_invitations(db, world.amy)) == 1  # asked, not yet done
    client.post(revoke, data={"csrf_token": token, "invitation_id": 1, "confirmed": "yes"})
    assert family.open_invitations(db, world.amy) == []


def test_practitioner_revokes_only_their_own_invitation(client, auth, db, world):
    family.create_invitation(db, world.amy, world.physio)
    auth.login("slt@test.example")
    token = auth.csrf("/")
    other = client.post(
        f"/children/{world.amy}/invitations/revoke", data={"csrf_token": token, "invitation_id": 1}
    )
    assert other.status_code == 404 and len(family.open_invitations(db, world.amy)) == 1
    bad = client.post(
        f"/children/{world.amy}/invitations/revoke", data={"csrf_token": token, "invitation_id": "x"}
    )
    assert bad.status_code == 400
    family.create_invitation(db, world.amy, world.slt)
    page = client.get(f"/children/{world.amy}")
    assert page.text.count("Revoke<span") == 1  # their own invitation only
    own = client.post(
        f"/children/{world.amy}/invitations/revoke",
        data={"csrf_token": token, "invitation_id": 2, "confirmed": "yes"},
    )
    assert own.status_code == 302 and [i["id"] for i in family.open_invitations(db, world.amy)] == [1]
