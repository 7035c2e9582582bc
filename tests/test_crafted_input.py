"""Crafted input answers 400, 404 or 422, never a 500: ids beyond 64 bits in every route that takes
one, and in JSON and forms; dates with digits that are not ASCII; JSON nested too deeply."""

import io
import json
import re

import pytest
from conftest import PASSWORD, Auth, row_counts

HUGE = [2**63, 2**64 + 1, 10**30]
ACCOUNTS = ["admin@test.example", "slt@test.example", "family@test.example", "manager@test.example"]


def id_routes(app):
    """(rule, methods) for every route with an id in its path."""
    return [
        (rule, sorted(rule.methods & {"GET", "POST"}))
        for rule in app.url_map.iter_rules()
        if any(
            conv.__class__.__name__ in ("IdConverter", "IntegerConverter")
            for conv in rule._converters.values()
        )
    ]


def fill(rule, number):
    return re.sub(r"<int:\w+>", str(number), re.sub(r"<(?:string:)?(\w+)>", "slt", rule.rule))


def test_ids_beyond_64_bits_in_any_url_are_not_found(app, client, world, db):
    routes = id_routes(app)
    assert len(routes) >= 20  # the sweep sees the app's routes, not an empty list
    auth = Auth(client)
    for email in ACCOUNTS:
        auth.login(email)
        token = auth.csrf("/")
        before = row_counts(db)
        for rule, methods in routes:
            for number in HUGE:
                path = fill(rule, number)
                for method in methods:
                    page = client.open(path, method=method, data={"csrf_token": token})
                    assert page.status_code in (400, 403, 404, 405, 422), (email, method, path)
        assert row_counts(db) == before
        auth.logout()


@pytest.mark.parametrize("field", ["child_id", "targets.0.target_score", "target_outcomes.0.target_id"])
@pytest.mark.parametrize("number", HUGE)
def test_ids_beyond_64_bits_in_json_are_refused_naming_the_field(client, auth, world, db, field, number):
    auth.login("slt@test.example")
    body = {
        "uuid": "1b4e28ba-2fa1-41d2-883f-0016d3cca427",
        "child_id": world.amy,
        "service": "slt",
        "date": "2025-01-10",
        "readings": {},
    }
    if field == "child_id":
        body["child_id"] = number
    elif field.startswith("targets"):
        body["targets"] = [{"domain": "talking", "description": "More words", "target_score": number}]
    else:
        body["target_outcomes"] = [{"target_id": number, "outcome": "met"}]
    before = row_counts(db)
    page = client.post("/api/v1/reviews", json=body, headers=auth.headers())
    assert page.status_code in (404, 422)
    if page.status_code == 422:
        assert field in page.json["errors"]
    assert row_counts(db) == before


def test_json_nested_too_deeply_is_a_400(client, auth, world, db):
    auth.login("slt@test.example")
    before = row_counts(db)
    deep = "[" * 100_000 + "]" * 100_000
    page = client.post("/api/v1/reviews", data=deep, content_type="application/json", headers=auth.headers())
    assert page.status_code == 400
    assert row_counts(db) == before


SUPERSCRIPT_DATES = ["01/²/2016", "²²/01/2016", "01/01/２０１６", "2016-01-0²"]


@pytest.mark.parametrize("when", SUPERSCRIPT_DATES)
def test_dates_with_digits_that_are_not_ascii_are_refused_in_csv_import(client, auth, world, db, when):
    auth.login("admin@test.example")
    csv = f"given_name,family_name,date_of_birth,service\nZed,Zebra,{when},slt\n"
    before = row_counts(db)
    page = client.post(
        "/admin/import",
        data={"csrf_token": auth.csrf("/admin/"), "file": (io.BytesIO(csv.encode()), "children.csv")},
    )
    assert page.status_code in (200, 422)
    assert "date_of_birth" in page.text or "date of birth" in page.text.lower()
    before.pop("import_uploads"), (after := row_counts(db)).pop("import_uploads")
    assert after == before


@pytest.mark.parametrize("when", SUPERSCRIPT_DATES)
def test_dates_with_digits_that_are_not_ascii_are_refused_in_forms(client, auth, world, db, when):
    auth.login("admin@test.example")
    before = row_counts(db)
    page = client.get("/admin/audit", query_string={"date_from": when})
    assert page.status_code in (200, 422)
    page = client.post(
        f"/admin/services/{world.services['slt']}/caseload",
        data={
            "form": "new",
            "csrf_token": auth.csrf("/admin/"),
            "given_name": "Zed",
            "family_name": "Zebra",
            "date_of_birth": when,
            "service_id": str(world.services["slt"]),
        },
    )
    assert page.status_code == 422 and "date" in page.text.lower()
    after = row_counts(db)
    # The page shown again lists the caseload, and that read is audited; nothing else is written.
    after.pop("audit_log"), before.pop("audit_log")
    assert after == before


def test_line_breaks_in_next_do_not_break_the_answer(client, world):
    auth = Auth(client)
    page = client.post(
        "/login?next=/caseload%0D%0ASet-Cookie:x=1",
        data={"email": "slt@test.example", "password": PASSWORD, "csrf_token": auth.csrf()},
    )
    assert page.status_code == 302 and "Set-Cookie:x" not in json.dumps(dict(page.headers))


@pytest.mark.parametrize("name", ["user_id", "page"])
def test_numbers_beyond_64_bits_in_a_query_string_are_refused_naming_the_field(client, auth, world, name):
    auth.login("admin@test.example")
    page = client.get("/admin/audit", query_string={name: str(10**30)})
    assert page.status_code == 422 and "This number is too large." in page.text
