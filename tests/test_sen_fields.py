"""A child's SEN status and SEN2 primary need: set in the admin forms, the add-child command and
the import; refused with a message naming the field; carried in the subject access export."""

import html

import pytest
from conftest import row_counts
from test_admin import add_new_child, admin, post  # noqa: F401 (admin is a fixture)


def test_new_child_form_offers_labelled_plain_word_choices_and_stores_them(admin, world, db):  # noqa: F811
    slt = world.services["slt"]
    page = admin.get(f"/admin/services/{slt}/caseload").text
    assert '<label for="sen_status">SEN status (optional)</label>' in page
    assert '<label for="primary_need">Primary need, SEN2 (optional)</label>' in page
    assert ">EHC plan<" in page and ">SEN support<" in page and ">No SEN<" in page
    assert "SLCN – Speech, language and communication needs" in html.unescape(page)
    response = add_new_child(admin, slt, sen_status="sen_support", primary_need="ASD")
    assert response.status_code == 302
    assert db.execute(
        "SELECT sen_status, primary_need FROM children WHERE given_name = 'Dina'"
    ).fetchone() == (
        "sen_support",
        "ASD",
    )


def test_blank_choices_store_not_recorded(admin, world, db):  # noqa: F811
    response = add_new_child(admin, world.services["slt"], sen_status="", primary_need="")
    assert response.status_code == 302
    assert db.execute(
        "SELECT sen_status, primary_need FROM children WHERE given_name = 'Dina'"
    ).fetchone() == (
        None,
        None,
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [("sen_status", "statemented", "SEN status must be"), ("primary_need", "XYZ", "Primary need must be")],
)
def test_unknown_sen_values_are_named_and_nothing_is_written(admin, world, db, field, value, message):  # noqa: F811
    before = row_counts(db)
    response = add_new_child(admin, world.services["slt"], **{field: value})
    assert response.status_code == 422
    assert f'id="{field}-error"' in response.text and message in html.unescape(response.text)
    after = row_counts(db)
    after.pop("audit_log"), before.pop("audit_log")
    assert after == before


def test_correcting_a_child_sets_and_clears_sen_details(admin, world, db):  # noqa: F811
    details = {"given_name": "Bob", "family_name": "Brown", "date_of_birth": "2017-02-11"}
    response = post(
        admin, f"/admin/children/{world.bob}", dict(details, sen_status="ehc_plan", primary_need="HI")
    )
    assert response.status_code == 302
    row = "SELECT sen_status, primary_need FROM children WHERE id = ?"
    assert db.execute(row, [world.bob]).fetchone() == ("ehc_plan", "HI")
    page = admin.get(f"/admin/children/{world.bob}").text
    assert '<option value="ehc_plan" selected>EHC plan</option>' in page
    bad = post(admin, f"/admin/children/{world.bob}", dict(details, sen_status="ehc_plan", primary_need="ZZ"))
    assert bad.status_code == 422 and 'id="primary_need-error"' in bad.text
    assert db.execute(row, [world.bob]).fetchone() == ("ehc_plan", "HI")
    post(admin, f"/admin/children/{world.bob}", details)
    assert db.execute(row, [world.bob]).fetchone() == (None, None)


def test_add_child_command_takes_sen_options_and_refuses_unknown_ones(runner, world, db):
    base = ["add-child", "--given-name", "Ed", "--family-name", "Eve", "--date-of-birth", "2019-01-01"]
    base += ["--local-id", "E-1", "--service", "slt"]
    before = row_counts(db)
    bad = runner.invoke(args=base + ["--sen-status", "maybe"])
    assert bad.exit_code != 0 and "SEN status must be" in bad.output
    assert row_counts(db) == before
    good = runner.invoke(args=base + ["--sen-status", "EHC plan", "--primary-need", "semh"])
    assert good.exit_code == 0, good.output
    assert db.execute("SELECT sen_status, primary_need FROM children WHERE local_id = 'E-1'").fetchone() == (
        "ehc_plan",
        "SEMH",
    )


def test_subject_access_export_includes_sen_details(admin, world, db):  # noqa: F811
    db["children"].update(world.amy, {"sen_status": "sen_support", "primary_need": "SLCN"})
    export = admin.get(f"/admin/children/{world.amy}/subject-access.json").get_json()
    assert export["child"]["sen_status"] == "sen_support"
    assert export["child"]["primary_need"] == "SLCN"


# --- The CSV import -----------------------------------------------------------------------

IMPORT_HEADER = "local_id,given_name,family_name,date_of_birth,service,sen_status,primary_need"


def test_import_accepts_codes_and_plain_words_in_any_case(world, db):
    from outcomes import importer

    text = "\n".join(
        [
            IMPORT_HEADER,
            "S1,Sam,Stone,2016-01-01,slt,SEN Support,slcn",
            "S2,Tia,Tate,2016-01-01,slt,EHC_PLAN,Hearing impairment",
            "S3,Uma,Ure,2016-01-01,slt,no sen,",
            "S4,Vic,Vale,2016-01-01,slt,,",
        ]
    )
    plan = importer.import_csv(db, world.admin, text + "\n")
    assert plan.clean, plan.problems
    stored = db.execute("SELECT local_id, sen_status, primary_need FROM children WHERE local_id LIKE 'S_'")
    assert sorted(stored.fetchall()) == [
        ("S1", "sen_support", "SLCN"),
        ("S2", "ehc_plan", "HI"),
        ("S3", "none", None),
        ("S4", None, None),
    ]
    # A later file with the cells blank keeps what the record holds; a new value replaces it.
    again = importer.import_csv(db, world.admin, f"{IMPORT_HEADER}\nS1,Sam,Stone,2016-01-01,slt,,\n")
    assert again.clean and again.counts["children_updated"] == 0
    importer.import_csv(db, world.admin, f"{IMPORT_HEADER}\nS1,Sam,Stone,2016-01-01,slt,EHC plan,ASD\n")
    assert db.execute("SELECT sen_status, primary_need FROM children WHERE local_id = 'S1'").fetchone() == (
        "ehc_plan",
        "ASD",
    )


def test_import_names_an_unknown_sen_value_and_writes_nothing(world, db):
    from outcomes import importer

    before = row_counts(db)
    text = (
        f"{IMPORT_HEADER}\nS1,Sam,Stone,2016-01-01,slt,statement,SLCN\nS2,Tia,Tate,2016-01-01,slt,none,XX\n"
    )
    plan = importer.import_csv(db, world.admin, text)
    found = {(p.line, p.column) for p in plan.problems}
    assert found == {(2, "sen_status"), (3, "primary_need")}
    assert any("SEN status must be" in p.message for p in plan.problems)
    assert row_counts(db) == before
