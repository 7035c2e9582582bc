"""The children import: every problem listed and nothing written until the file is clean, then all
rows at once; re-importing changes nothing; a changed row updates its child."""

import html
import re
import sqlite3
from pathlib import Path

import pytest
from conftest import PASSWORD_HASH, Auth, row_counts

from outcomes import importer, users

ROOT = Path(__file__).resolve().parent.parent
HEADER = "local_id,nhs_number,given_name,family_name,date_of_birth,service,practitioner_email,started_on"
GOOD = [
    "A1,9990000018,Aisha,Khan,2017-03-14,slt,slt@test.example,2025-09-01",
    "A2,,Ben,Okoro,02/11/2016,Speech and Language Therapy,,2025-10-15",
    "A3,9990000026,Cara,Lind,2019-07-30,physio,physio@test.example,2026-01-05",
    "A3,9990000026,Cara,Lind,2019-07-30,slt,,2026-01-05",
]


def csv_text(*rows, header=HEADER):
    return "\n".join([header, *rows]) + "\n"


def test_clean_file_imports_children_and_caseload_entries(world, db):
    plan = importer.import_csv(db, world.admin, csv_text(*GOOD))
    assert plan.clean and plan.counts["rows"] == 4
    assert plan.counts["children_created"] == 3 and plan.counts["caseloads_added"] == 4
    aisha = db.execute(
        "SELECT id, date_of_birth, nhs_number, local_id FROM children WHERE given_name = 'Aisha'"
    ).fetchone()
    assert aisha[1:] == ("2017-03-14", "9990000018", "A1")
    assert (
        db.execute("SELECT date_of_birth FROM children WHERE given_name = 'Ben'").fetchone()[0]
        == "2016-11-02"
    )
    assert db.execute(
        "SELECT practitioner_id, started_on FROM caseloads WHERE child_id = ?", [aisha[0]]
    ).fetchone() == (world.slt, "2025-09-01")
    cara = db.execute("SELECT id FROM children WHERE given_name = 'Cara'").fetchone()[0]
    assert db.execute("SELECT count(*) FROM caseloads WHERE child_id = ?", [cara]).fetchone()[0] == 2
    assert (
        db.execute(
            "SELECT count(*) FROM audit_log WHERE action = 'create child' AND user_id = ?", [world.admin]
        ).fetchone()[0]
        == 3
    )


def test_reimporting_the_same_file_changes_nothing(world, db):
    importer.import_csv(db, world.admin, csv_text(*GOOD))
    before = row_counts(db)
    plan = importer.import_csv(db, world.admin, csv_text(*GOOD))
    assert plan.clean and plan.counts["unchanged"] == 4
    assert row_counts(db) == before  # not even an audit entry


def test_changed_row_updates_the_child_matched_by_nhs_number_or_local_id(world, db):
    importer.import_csv(db, world.admin, csv_text(*GOOD))
    changed = [
        "A1-NEW,9990000018,Aisha,Khan-Smith,2017-03-14,slt,,2025-09-01",  # matched by NHS number
        "A2,,Benjamin,Okoro,2016-11-02,slt,slt@test.example,2025-10-15",  # matched by local id
    ]
    children_before = db["children"].count
    plan = importer.import_csv(db, world.admin, csv_text(*changed))
    assert plan.clean and plan.counts["children_updated"] == 2 and plan.counts["children_created"] == 0
    assert db["children"].count == children_before
    assert db.execute(
        "SELECT family_name, local_id FROM children WHERE nhs_number = '9990000018'"
    ).fetchone() == ("Khan-Smith", "A1-NEW")
    ben = db.execute("SELECT id, given_name FROM children WHERE local_id = 'A2'").fetchone()
    assert ben[1] == "Benjamin"
    assert (
        db.execute("SELECT practitioner_id FROM caseloads WHERE child_id = ?", [ben[0]]).fetchone()[0]
        == world.slt
    )
    assert db.execute("SELECT count(*) FROM audit_log WHERE action = 'update child'").fetchone()[0] == 2


def test_row_for_a_child_already_on_record_joins_them_to_a_new_service(world, db):
    db["children"].update(world.cat, {"nhs_number": "9990000034"})
    plan = importer.import_csv(db, world.admin, csv_text("C1,9990000034,Cat,Cole,2015-09-30,ot,,2025-01-01"))
    assert plan.counts["children_updated"] == 1 and plan.counts["caseloads_added"] == 1  # local id added
    assert db.execute("SELECT local_id FROM children WHERE id = ?", [world.cat]).fetchone()[0] == "C1"
    assert db.execute("SELECT count(*) FROM caseloads WHERE child_id = ?", [world.cat]).fetchone()[0] == 2


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        ("A9,9990000018,Zed,Zee,2017-13-01,slt,,", "date_of_birth", "real date"),
        ("A9,9990000018,Zed,Zee,2030-01-01,slt,,", "date_of_birth", "cannot be in the future"),
        ("A9,9990000017,Zed,Zee,2017-01-01,slt,,", "nhs_number", "check digit is wrong"),
        ("A9,99900,Zed,Zee,2017-01-01,slt,,", "nhs_number", "10 digits"),
        ("A9,9990000042,Zed,Zee,2017-01-01,dentistry,,", "service", "Unknown service 'dentistry'"),
        ("A9,9990000018,,Zee,2017-01-01,slt,,", "given_name", "given name"),
        ("A9,9990000018,Zed,Zee,,slt,,", "date_of_birth", "date of birth"),
        ("A9,9990000018,Zed,Zee,2017-01-01,,,", "service", "service's key or name"),
        (",,Zed,Zee,2017-01-01,slt,,", "nhs_number", "NHS number or a local id"),
        (
            "A9,9990000042,Zed,Zee,2017-01-01,slt,physio@test.example,",
            "practitioner_email",
            "No active practitioner of Speech",
        ),
        ("A9,9990000018,Zed,Zee,2017-01-01,slt,not-an-email,", "practitioner_email", "Not an email address"),
        ("A9,9990000018,Zed,Zee,2017-01-01,slt,,01/01/2017x", "started_on", "real date"),
        ("A9,9990000018,Zed,Zee,2017-01-01,slt", "", "This row has 6 values"),
    ],
)
def test_every_problem_is_listed_with_line_and_column_and_nothing_is_imported(
    world, db, row, column, message
):
    before = row_counts(db)
    plan = importer.import_csv(db, world.admin, csv_text(GOOD[0], row, GOOD[2]))
    assert [(p.line, p.column) for p in plan.problems] == [(3, column)]
    assert message in plan.problems[0].message
    assert row_counts(db) == before  # all or nothing: the good rows were not imported either


def test_duplicates_and_conflicts_in_the_file_are_problems(world, db):
    db["children"].insert(
        {
            "given_name": "Old",
            "family_name": "Record",
            "date_of_birth": "2015-01-01",
            "nhs_number": "9990000042",
            "local_id": "OLD1",
        }
    )
    rows = [
        GOOD[0],
        GOOD[0],  # line 3: same child and service again
        "A1,9990000018,Aisha,Khan,2017-03-15,physio,,",  # line 4: same child, different birth date
        # line 5: local id of one child, NHS number of another?
        "OLD1,9990000026,Someone,Else,2016-01-01,slt,,",
        "OLD1,9990000042,Old,Record,2015-01-01,ot,,",  # line 6: fine on its own
        "NEW9,9990000042,Old,Record,2015-01-01,physio,,",  # line 7: NHS number on line 6, local id new
    ]
    before = row_counts(db)
    plan = importer.check(db, csv_text(*rows))
    found = {(p.line, p.column): p.message for p in plan.problems}
    assert "Duplicate: line 2" in found[(3, "service")]
    assert "Line 2 gives different details" in found[(4, "given_name")]
    assert "different details" in found[(7, "given_name")]
    assert (6, "service") not in found and (6, "local_id") not in found
    assert row_counts(db) == before


def test_nhs_number_of_one_child_and_local_id_of_another_is_a_problem(world, db):
    db["children"].update(world.amy, {"nhs_number": "9990000018", "local_id": "AMY"})
    db["children"].update(world.bob, {"local_id": "BOB"})
    plan = importer.check(db, csv_text("BOB,9990000018,Amy,Able,2016-05-01,slt,,"))
    assert [(p.line, p.column) for p in plan.problems] == [(2, "local_id")]
    assert "matches one child and the local id another" in plan.problems[0].message


@pytest.mark.parametrize(
    ("text", "column", "message"),
    [
        ("", "", "The file is empty"),
        ("given_name,family_name,date_of_birth,service,colour\n", "colour", "Unknown column"),
        ("local_id,given_name,family_name,service\n", "date_of_birth", "This column is missing"),
        ("given_name,family_name,date_of_birth,service\n", "nhs_number", "nhs_number or a local_id column"),
    ],
)
def test_header_problems(world, db, text, column, message):
    plan = importer.check(db, text)
    assert any(p.line == 1 and p.column == column and message in p.message for p in plan.problems)


def test_a_row_for_a_discharged_episode_does_not_reopen_it(world, db):
    importer.import_csv(db, world.admin, csv_text(GOOD[0]))
    db.execute("UPDATE caseloads SET discharged_on = '2025-12-01'")
    db.conn.commit()
    before = row_counts(db)
    plan = importer.import_csv(db, world.admin, csv_text(GOOD[0]))
    assert plan.counts["unchanged"] == 1 and row_counts(db) == before


def test_columns_may_come_in_any_order_with_a_bom_and_spreadsheet_headings(world, db):
    text = (
        "\ufeffService,Given Name,Family Name,Date of Birth,NHS Number\n"
        "slt,Aisha,Khan,2017-03-14,999 000 0018\n"
    )
    plan = importer.import_csv(db, world.admin, text)
    assert plan.clean, plan.problems
    assert (
        db.execute("SELECT nhs_number FROM children WHERE given_name = 'Aisha'").fetchone()[0] == "9990000018"
    )


def test_the_sample_file_imports_cleanly(world, db):
    for key in ("slt", "physio", "ot", "social"):
        user = users.create_user(db, f"{key}@demo.test", key, "practitioner", password_hash=PASSWORD_HASH)
        db["memberships"].insert({"user_id": user, "service_id": world.services[key], "role": "practitioner"})
    plan = importer.import_csv(db, world.admin, (ROOT / "samples" / "children.csv").read_text())
    assert plan.clean, plan.problems
    assert plan.counts["rows"] == 5 and plan.counts["children_created"] == 4


# --- The upload page ----------------------------------------------------------------------


@pytest.fixture
def admin(client, auth, world):
    auth.login("admin@test.example")
    return client


def upload(client, text, name="children.csv", encoding="utf-8"):
    import io

    token = Auth(client).headers()["X-CSRFToken"]
    return client.post(
        "/admin/import",
        data={"csrf_token": token, "file": (io.BytesIO(text.encode(encoding)), name)},
        content_type="multipart/form-data",
    )


def people_and_children(db):
    return {name: db[name].count for name in ("children", "caseloads", "audit_log")}


def confirm(client, page_text):
    upload_id = re.search(r'name="upload_id" value="(\d+)"', page_text).group(1)
    token = Auth(client).headers()["X-CSRFToken"]
    return client.post("/admin/import/confirm", data={"csrf_token": token, "upload_id": upload_id})


def test_upload_previews_then_imports_on_confirmation(admin, db):
    before = people_and_children(db)
    preview = upload(admin, csv_text(*GOOD))
    assert preview.status_code == 200
    assert "Ready to import children.csv" in preview.text and "3 new children" in preview.text
    assert people_and_children(db) == before  # the preview imports nothing
    done = confirm(admin, preview.text)
    assert done.status_code == 302
    assert "Imported 4 rows: 3 children created" in admin.get(done.location).text
    assert db["children"].count == before["children"] + 3
    assert db["import_uploads"].count == 0  # the staged upload is gone once imported
    assert confirm(admin, preview.text).status_code == 404  # and cannot be imported twice


def test_upload_with_problems_lists_them_and_offers_no_import(admin, db):
    before = row_counts(db)
    response = upload(admin, csv_text(GOOD[0], "A9,9990000017,Zed,Zee,2017-01-01,dentistry,,"))
    assert response.status_code == 422
    text = html.unescape(response.text)
    assert "2 problems in children.csv: nothing has been imported" in text
    assert "<td>3</td><td>nhs_number</td><td>This NHS number's check digit is wrong" in text
    assert "<td>3</td><td>service</td><td>Unknown service 'dentistry'" in text
    assert "upload_id" not in text
    assert row_counts(db) == before


def test_a_file_that_went_bad_before_confirmation_imports_nothing(admin, world, db):
    preview = upload(admin, csv_text(GOOD[0]))
    db["children"].update(world.bob, {"local_id": "X"})
    db.execute("UPDATE users SET active = 0 WHERE id = ?", [world.slt])  # the practitioner left meanwhile
    db.conn.commit()
    before = people_and_children(db)
    response = confirm(admin, preview.text)
    assert response.status_code == 422 and "No active practitioner" in response.text
    assert people_and_children(db) == before


def test_another_admins_upload_cannot_be_confirmed(admin, world, db):
    from outcomes import importer as imp

    other = imp.stage(db, world.slt, "theirs.csv", csv_text(GOOD[0]))
    token = Auth(admin).headers()["X-CSRFToken"]
    response = admin.post("/admin/import/confirm", data={"csrf_token": token, "upload_id": str(other)})
    assert response.status_code == 404 and db["children"].count == 3


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"text": "given_name\n\xff", "encoding": "latin-1"}, "not UTF-8"),
    ],
)
def test_unreadable_upload_is_refused(admin, db, kwargs, message):
    before = row_counts(db)
    response = upload(admin, **kwargs)
    assert response.status_code == 422 and message in response.text
    assert row_counts(db) == before


def test_upload_without_a_file_names_the_field(admin):
    token = Auth(admin).headers()["X-CSRFToken"]
    response = admin.post("/admin/import", data={"csrf_token": token}, content_type="multipart/form-data")
    assert response.status_code == 422 and 'id="file-error"' in response.text


def test_a_failure_part_way_through_leaves_nothing_behind(world, db):
    """All rows go in one transaction: the database refusing the third caseload row undoes the first two."""
    db.execute("""CREATE TRIGGER refuse_third_caseload BEFORE INSERT ON caseloads
                  WHEN (SELECT count(*) FROM caseloads) >= 6 BEGIN SELECT RAISE(ABORT, 'disk full'); END""")
    db.conn.commit()
    before = row_counts(db)
    with pytest.raises(sqlite3.IntegrityError, match="disk full"):
        importer.import_csv(db, world.admin, csv_text(*GOOD))
    assert row_counts(db) == before
