"""The scorecard feed: bearer tokens, the JSON and CSV it returns, its errors, the OpenAPI document,
and the token commands. Figures come from scorecard_data.py's hand-built history."""

import csv
import io
from types import SimpleNamespace

import pytest
from conftest import PASSWORD_HASH, row_counts
from scorecard_data import NAMES, build

from outcomes import create_app, stars, tokens, users
from outcomes.db import connect
from outcomes.security import hash_secret

FEED = "/api/v1/scorecard"


@pytest.fixture
def token(app, db, world):
    """The hand-built history is a handful of children: under the default (NHS) policy nearly every
    figure is withheld, so these tests read it under the old rule; test_the_default_policy_... and
    tests/test_disclosure.py cover the default."""
    app.config["DISCLOSURE_POLICY"] = "threshold5"
    build(db, world)
    return tokens.create_token(db, "BI tool")


def bearer(value):
    return {"Authorization": f"Bearer {value}"}


def test_json_for_a_quarter(client, token):
    response = client.get(FEED, query_string={"period": "2025-26 Q4"}, headers=bearer(token))
    assert response.status_code == 200
    body = response.get_json()
    assert body["period"] == {"label": "2025-26 Q4", "start": "2026-01-01", "end": "2026-03-31"}
    assert body["disclosure"] == {
        "policy": "threshold5",
        "withhold_below": 5,
        "round_to": 1,
        "secondary": False,
    }
    assert body["generated_at"].endswith("Z")
    assert [service["key"] for service in body["services"]] == ["slt", "physio", "ot", "social"]
    slt = body["services"][0]
    assert slt["name"] == "Speech and Language Therapy"
    # See test_scorecard: 5 reviews, 4 on time (suppressed), 80% on time, 40% of 5 targets met.
    assert slt["measures"]["reviews"] == {
        "perspective": "compliance",
        "value": 5,
        "suppressed": False,
        "reason": None,
    }
    assert slt["measures"]["reviews_on_time"] == {
        "perspective": "compliance",
        "value": None,
        "suppressed": True,
        "reason": "small_count",
    }
    assert slt["measures"]["pct_reviews_on_time"]["value"] == 80.0
    assert slt["measures"]["pct_targets_met"] == {
        "perspective": "impact",
        "value": 40.0,
        "suppressed": False,
        "reason": None,
    }
    assert slt["measures"]["mean_family_satisfaction"]["perspective"] == "effectiveness"
    # Four of the five Q4 reviews have a family's view (test_scorecard); four children, too few to show.
    assert slt["measures"]["pct_reviews_with_family_view"] == {
        "perspective": "effectiveness",
        "value": 80.0,
        "suppressed": False,
        "reason": None,
    }
    assert slt["measures"]["mean_gas_t_score"]["reason"] == "small_count"
    talking = next(row for row in slt["domains"] if row["domain"] == "talking")
    assert talking["label"] == "Talking"
    assert talking["measures"]["mean_distance_travelled"] == {
        "perspective": "impact",
        "value": None,
        "suppressed": True,
        "reason": "small_count",
    }
    assert body["services"][1]["measures"]["reviews"] == {
        "perspective": "compliance",
        "value": 0,
        "suppressed": False,
        "reason": None,
    }
    assert body["services"][1]["measures"]["pct_targets_met"]["reason"] == "no_data"


def test_one_service_and_a_year(client, token):
    response = client.get(FEED, query_string={"period": "2025-26", "service": "slt"}, headers=bearer(token))
    body = response.get_json()
    assert [service["key"] for service in body["services"]] == ["slt"]
    assert body["period"] == {"label": "2025-26", "start": "2025-04-01", "end": "2026-03-31"}
    assert body["services"][0]["measures"]["reviews"]["value"] == 10
    assert body["services"][0]["measures"]["pct_reviews_on_time"]["value"] == 90.0


def test_csv_carries_the_same_figures_as_json(client, token):
    query = {"period": "2025-26 Q4"}
    body = client.get(FEED, query_string=query, headers=bearer(token)).get_json()
    response = client.get(FEED, query_string={**query, "format": "csv"}, headers=bearer(token))
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert 'filename="scorecard-2025-26-Q4.csv"' in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert list(rows[0]) == [
        "period",
        "period_start",
        "period_end",
        "service",
        "domain",
        "measure",
        "perspective",
        "value",
        "suppressed",
        "reason",
        "breakdown",
        "group",
    ]
    from_json = {}
    for service in body["services"]:
        for name, figure in service["measures"].items():
            from_json[(service["key"], "", name)] = figure
        for domain in service["domains"]:
            for name, figure in domain["measures"].items():
                from_json[(service["key"], domain["domain"], name)] = figure
    from_csv = {(row["service"], row["domain"], row["measure"]): row for row in rows}
    assert set(from_csv) == set(from_json)
    assert len(rows) == len(from_json) == 4 * (23 + 6 * 6)
    for key, figure in from_json.items():
        row = from_csv[key]
        assert row["period"] == "2025-26 Q4" and row["perspective"] == figure["perspective"]
        assert row["suppressed"] == ("true" if figure["suppressed"] else "false")
        assert row["value"] == ("" if figure["value"] is None else str(figure["value"]))
        assert row["reason"] == (figure["reason"] or "")
    assert from_csv[("slt", "", "reviews_on_time")]["value"] == ""
    assert from_csv[("slt", "", "children_reviewed")]["value"] == "5"


def test_the_feed_never_names_a_child(client, token):
    for output in ("json", "csv"):
        text = client.get(
            FEED, query_string={"period": "2025-26", "format": output}, headers=bearer(token)
        ).text
        assert not any(name in text for name in NAMES.values())


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "Authorization: Bearer"),
        ({"Authorization": "Bearer "}, "Authorization: Bearer"),
        ({"Authorization": "Digest username=x"}, "Authorization: Bearer"),
        # Basic user:pass, the password taken as a token: not one.
        ({"Authorization": "Basic dXNlcjpwYXNz"}, "not valid or has been revoked"),
        ({"Authorization": "Bearer not-a-token"}, "not valid or has been revoked"),
    ],
)
def test_missing_or_wrong_token_is_401(client, token, headers, message):
    response = client.get(FEED, query_string={"period": "2025-26 Q4"}, headers=headers)
    assert response.status_code == 401
    assert message in response.get_json()["error"]
    # Power BI and Excel answer a Basic challenge with the credentials they were given.
    assert response.headers["WWW-Authenticate"].startswith("Basic realm=")


def test_a_revoked_token_is_401(client, runner, token, db):
    assert client.get(FEED, query_string={"period": "2025-26"}, headers=bearer(token)).status_code == 200
    result = runner.invoke(args=["revoke-token", "BI tool"])
    assert result.exit_code == 0 and "revoked" in result.output
    response = client.get(FEED, query_string={"period": "2025-26"}, headers=bearer(token))
    assert response.status_code == 401
    assert "revoked" in response.get_json()["error"]


def test_a_signed_in_manager_still_needs_a_token(client, auth, token):
    auth.login("manager@test.example")
    assert client.get(FEED, query_string={"period": "2025-26"}).status_code == 401


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            {},
            "period: Give a period: a financial quarter such as '2025-26 Q3' "
            "or a financial year such as '2025-26'.",
        ),
        (
            {"period": "2025-26 Q5"},
            "period: Unknown period '2025-26 Q5'. Give a financial quarter such as '2025-26 Q3' "
            "or a financial year such as '2025-26'.",
        ),
        ({"period": "2025"}, "Unknown period '2025'"),
        (
            {"period": "2025-26", "service": "dentistry"},
            "service: Unknown service 'dentistry'. Accepted: slt, physio, ot, social.",
        ),
        (
            {"period": "2025-26", "format": "xlsx"},
            "format: Give format=json (the default), format=csv or format=dhis2.",
        ),
        ({"period": "2025-26", "colour": "blue"}, "colour: Unknown field."),
    ],
)
def test_bad_query_is_400_saying_what_is_accepted(client, token, db, query, message):
    before = row_counts(db)
    response = client.get(FEED, query_string=query, headers=bearer(token))
    assert response.status_code == 400
    assert message in response.get_json()["error"]
    counts = row_counts(db)
    assert counts == before


def test_openapi_describes_the_feed_and_the_reviews_api(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    assert document["openapi"].startswith("3.")
    feed = document["paths"]["/scorecard"]["get"]
    assert {p["name"] for p in feed["parameters"]} == {"period", "service", "breakdown", "format"}
    assert {"200", "400", "401"} <= set(feed["responses"])
    assert feed["security"] == [{"bearerToken": []}, {"basicToken": []}]
    assert "dhis2" in next(p for p in feed["parameters"] if p["name"] == "format")["schema"]["enum"]
    assert "/children/{child_id}/fhir" in document["paths"]
    reviews = document["paths"]["/reviews"]["post"]
    assert {"200", "201", "409", "422"} <= set(reviews["responses"])
    body = document["components"]["schemas"]["ReviewInput"]
    assert set(body["required"]) == {"uuid", "child_id", "service", "date", "readings"}
    measures = document["components"]["schemas"]["Scorecard"]["properties"]["services"]["items"][
        "properties"
    ]["measures"]
    assert "pct_targets_met" in measures["properties"]


def test_openapi_matches_what_the_feed_returns(client, token):
    """Every key the feed returns is declared, and every declared required key is returned."""
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    body = client.get(FEED, query_string={"period": "2025-26 Q4"}, headers=bearer(token)).get_json()
    card = schemas["Scorecard"]
    assert set(card["required"]) == set(body)
    service_schema = card["properties"]["services"]["items"]
    for service in body["services"]:
        assert set(service) == set(service_schema["required"])
        assert set(service["measures"]) == set(service_schema["properties"]["measures"]["properties"])
        domain_schema = service_schema["properties"]["domains"]["items"]
        for domain in service["domains"]:
            assert set(domain["measures"]) == set(domain_schema["properties"]["measures"]["properties"])
            for figure in domain["measures"].values():
                assert set(figure) == set(schemas["Figure"]["required"])


# --- Token commands ---------------------------------------------------------------------------


def test_create_token_prints_it_once_and_stores_only_its_hash(runner, client, db, world):
    result = runner.invoke(args=["create-token", "Scorecard spreadsheet"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert len(token) >= 40
    stored = db.execute("SELECT token_hash FROM api_tokens WHERE name = 'Scorecard spreadsheet'").fetchone()[
        0
    ]
    assert stored == hash_secret(token) and token not in stored
    assert client.get(FEED, query_string={"period": "2025-26"}, headers=bearer(token)).status_code == 200
    assert db.execute("SELECT last_used_at FROM api_tokens").fetchone()[0] is not None
    listing = runner.invoke(args=["list-tokens"])
    assert "Scorecard spreadsheet" in listing.output and token not in listing.output


def test_token_names_are_unique_and_revoking_an_unknown_name_fails(runner, db):
    assert runner.invoke(args=["create-token", "BI"]).exit_code == 0
    before = row_counts(db)
    again = runner.invoke(args=["create-token", "BI"])
    assert again.exit_code != 0 and "already exists" in again.output
    missing = runner.invoke(args=["revoke-token", "Nobody"])
    assert missing.exit_code != 0 and "No token is called 'Nobody'" in missing.output
    assert row_counts(db) == before


def test_the_default_policy_is_nhs_and_says_why_figures_are_withheld(tmp_path):
    app = create_app({"TESTING": True, "DATABASE": str(tmp_path / "t.sqlite"), "SECRET_KEY": "t"})
    db = connect(app.config["DATABASE"])
    services = stars.create_default_services(db)
    world = SimpleNamespace(services=services)
    world.slt = users.create_user(db, "slt@x.example", "S", "practitioner", password_hash=PASSWORD_HASH)
    world.family = users.create_user(db, "fam@x.example", "F", "family", password_hash=PASSWORD_HASH)
    db["memberships"].insert({"user_id": world.slt, "service_id": services["slt"], "role": "practitioner"})
    build(db, world)
    token = tokens.create_token(db, "t")
    db.close()
    client = app.test_client()
    body = client.get(
        FEED, query_string={"period": "2025-26", "service": "slt"}, headers=bearer(token)
    ).get_json()
    assert body["disclosure"] == {"policy": "nhs", "withhold_below": 8, "round_to": 5, "secondary": True}
    measures = body["services"][0]["measures"]
    # 10 reviews, 9 on time: both round to 10; the rate would give the one late review away.
    assert measures["reviews"]["value"] == 10 and measures["reviews_on_time"]["value"] == 10
    assert (measures["pct_reviews_on_time"]["value"], measures["pct_reviews_on_time"]["reason"]) == (
        None,
        "secondary",
    )
    # 6 targets closed in the year: fewer than 8.
    assert (measures["targets_closed"]["value"], measures["targets_closed"]["reason"]) == (
        None,
        "small_count",
    )
    rows = list(
        csv.DictReader(
            io.StringIO(
                client.get(
                    FEED,
                    query_string={"period": "2025-26", "service": "slt", "format": "csv"},
                    headers=bearer(token),
                ).text
            )
        )
    )
    on_time = next(row for row in rows if row["measure"] == "pct_reviews_on_time" and row["domain"] == "")
    assert (on_time["value"], on_time["suppressed"], on_time["reason"]) == ("", "true", "secondary")


def test_an_unknown_policy_stops_the_app_with_a_message(tmp_path):
    with pytest.raises(ValueError, match="Unknown DISCLOSURE_POLICY 'strict'. Accepted: nhs, threshold5"):
        create_app({"TESTING": True, "DATABASE": str(tmp_path / "t.sqlite"), "DISCLOSURE_POLICY": "strict"})


def test_breakdown_rows_add_up_to_the_service_and_go_through_the_policy(client, token, db):
    # Children A-G were born on 2016-01-01: aged 10 at the end of 2025-26, so all in 5-10; A is
    # recorded with an EHC plan and primary need SLCN, the rest are not recorded.
    db.execute(
        "UPDATE children SET sen_status = 'ehc_plan', primary_need = 'SLCN' WHERE given_name = 'Aurelio'"
    )
    query = {"period": "2025-26", "service": "slt"}
    by_age = client.get(
        FEED, query_string={**query, "breakdown": "age_band"}, headers=bearer(token)
    ).get_json()
    groups = {g["group"]: g["measures"] for g in by_age["services"][0]["breakdown"]["groups"]}
    assert list(groups) == ["0-4", "5-10", "11-15", "16-25", "unknown"]
    assert groups["5-10"]["reviews"]["value"] == 10 and groups["0-4"]["reviews"]["value"] == 0
    by_sen = client.get(
        FEED, query_string={**query, "breakdown": "sen_status"}, headers=bearer(token)
    ).get_json()
    groups = {g["group"]: g["measures"] for g in by_sen["services"][0]["breakdown"]["groups"]}
    # A: 2 reviews (withheld under threshold5's 5); the other 8 are not recorded.
    assert groups["ehc_plan"]["reviews"] == {
        "perspective": "compliance",
        "value": None,
        "suppressed": True,
        "reason": "small_count",
    }
    assert groups["unknown"]["reviews"]["value"] == 8
    # The service's own figures are the same with or without a breakdown.
    plain = client.get(FEED, query_string=query, headers=bearer(token)).get_json()
    assert by_sen["services"][0]["measures"] == plain["services"][0]["measures"]
    rows = list(
        csv.DictReader(
            io.StringIO(
                client.get(
                    FEED,
                    query_string={**query, "breakdown": "primary_need", "format": "csv"},
                    headers=bearer(token),
                ).text
            )
        )
    )
    slcn = [row for row in rows if row["group"] == "SLCN" and row["measure"] == "reviews"]
    assert [(r["breakdown"], r["value"], r["reason"]) for r in slcn] == [("primary_need", "", "small_count")]


def test_an_unknown_breakdown_is_refused_with_a_message(client, token, db):
    before = row_counts(db)
    response = client.get(
        FEED, query_string={"period": "2025-26", "breakdown": "ethnicity"}, headers=bearer(token)
    )
    assert response.status_code == 400
    assert (
        "breakdown=age_band, breakdown=sen_status or breakdown=primary_need" in response.get_json()["error"]
    )
    assert row_counts(db) == before
