"""The feed where the area's tools already look: Power BI and Excel over HTTP Basic, the CSV
streamed, and DHIS2's dataValueSets with financial periods mapped to DHIS2's calendar codes."""

import base64
import csv
import io

import pytest
from test_feed import FEED, bearer, token  # noqa: F401  (token: the feed's fixture)

from outcomes import create_app, dhis2, periods


def basic(user, password):
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def test_power_bi_signs_in_with_the_token_as_a_basic_password(client, db, token):  # noqa: F811
    db.execute("UPDATE api_tokens SET last_used_at = NULL")
    db.conn.commit()
    response = client.get(FEED, query_string={"period": "2025-26 Q4"}, headers=basic("powerbi", token))
    assert response.status_code == 200
    assert response.get_json() == client.get(
        FEED, query_string={"period": "2025-26 Q4"}, headers=bearer(token)
    ).get_json() | {"generated_at": response.get_json()["generated_at"]}
    # The same token check as a bearer: its use is recorded against it.
    assert db.execute("SELECT last_used_at FROM api_tokens").fetchone()[0] is not None


@pytest.mark.parametrize("password", ["", "not-the-token"])
def test_a_wrong_basic_password_is_401_with_a_basic_challenge(client, token, password):  # noqa: F811
    response = client.get(FEED, query_string={"period": "2025-26"}, headers=basic("powerbi", password))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic realm=")
    assert "error" in response.get_json()


def test_a_revoked_token_is_refused_over_basic_too(client, runner, token):  # noqa: F811
    assert runner.invoke(args=["revoke-token", "BI tool"]).exit_code == 0
    response = client.get(FEED, query_string={"period": "2025-26"}, headers=basic("excel", token))
    assert response.status_code == 401 and "revoked" in response.get_json()["error"]


def test_the_csv_streams_and_is_complete(client, token):  # noqa: F811
    query = {"period": "2025-26", "format": "csv", "breakdown": "age_band"}
    response = client.get(FEED, query_string=query, headers=bearer(token))
    assert response.status_code == 200 and response.is_streamed
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    card = client.get(FEED, query_string={**query, "format": "json"}, headers=bearer(token)).get_json()
    # One row per figure of the JSON card: service-wide, per domain and per age band.
    expected = sum(
        len(s["measures"])
        + sum(len(d["measures"]) for d in s["domains"])
        + sum(len(g["measures"]) for g in s["breakdown"]["groups"])
        for s in card["services"]
    )
    assert len(rows) == expected
    assert rows[-1]["service"] == card["services"][-1]["key"]


# Financial periods → DHIS2 period codes: DHIS2 quarters are calendar quarters.
@pytest.mark.parametrize(
    ("label", "code"),
    [
        ("2025-26 Q1", "2025Q2"),  # April–June
        ("2025-26 Q2", "2025Q3"),  # July–September
        ("2025-26 Q3", "2025Q4"),  # October–December
        ("2025-26 Q4", "2026Q1"),  # January–March of the next calendar year
        ("2025-26", "2025April"),
        ("2019-20 Q4", "2020Q1"),
        ("1999-00 Q4", "2000Q1"),
        ("1999-00", "1999April"),
    ],
)
def test_dhis2_period_codes(label, code):
    assert periods.dhis2_period(periods.parse(label)) == code


def dhis2_feed(client, token, period, **extra):  # noqa: F811
    response = client.get(
        FEED, query_string={"period": period, "format": "dhis2", **extra}, headers=bearer(token)
    )
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.get_json()


@pytest.mark.parametrize("period", ["2025-26 Q4", "2025-26"])
def test_dhis2_sends_every_shown_figure_and_omits_withheld_ones(client, token, period):  # noqa: F811
    document = dhis2_feed(client, token, period)
    card = client.get(FEED, query_string={"period": period}, headers=bearer(token)).get_json()
    code = periods.dhis2_period(periods.parse(period))
    assert document["period"] == code and document["idScheme"] == "CODE"
    sent = {(v["orgUnit"], v["dataElement"]): v for v in document["dataValues"]}
    shown = withheld = 0
    for service in card["services"]:
        for measure, figure in service["measures"].items():
            value = sent.get((service["key"], "SEND_" + measure.upper()))
            if figure["suppressed"]:
                withheld += 1
                assert value is None, f"{service['key']} {measure} is withheld but was sent"
            elif figure["value"] is None:  # nothing to measure (a mean of no children): no value
                assert value is None
            else:
                shown += 1
                assert value == {
                    "dataElement": dhis2.DATA_ELEMENTS[measure],
                    "period": code,
                    "orgUnit": service["key"],
                    "value": str(figure["value"]).removesuffix(".0"),
                }
    assert len(sent) == shown and shown and withheld


def test_dhis2_service_as_a_category_option_of_the_area(app, client, token):  # noqa: F811
    app.config.update(
        DHIS2_SERVICE_AS="category_option",
        DHIS2_ORG_UNIT="LA_EXAMPLE",
        DHIS2_CATEGORY_OPTION_COMBOS={"slt": "SEND_SLT"},
    )
    values = dhis2_feed(client, token, "2025-26")["dataValues"]
    assert {v["orgUnit"] for v in values} == {"LA_EXAMPLE"}
    combos = {v["categoryOptionCombo"] for v in values}
    assert "SEND_SLT" in combos and "slt" not in combos
    app.config.update(DHIS2_SERVICE_AS="org_unit", DHIS2_ORG_UNITS={"slt": "OU_SLT"})
    units = {v["orgUnit"] for v in dhis2_feed(client, token, "2025-26")["dataValues"]}
    assert "OU_SLT" in units and "slt" not in units


def test_every_measure_has_a_distinct_dhis2_code_dhis2_can_hold():
    codes = list(dhis2.DATA_ELEMENTS.values())
    assert len(set(codes)) == len(codes) and all(len(code) <= 50 for code in codes)


def test_openapi_describes_the_dhis2_document_the_feed_returns(client, token):  # noqa: F811
    schema = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]["DataValueSet"]
    document = dhis2_feed(client, token, "2025-26")
    assert set(schema["required"]) <= set(document) <= set(schema["properties"])
    item = schema["properties"]["dataValues"]["items"]
    for value in document["dataValues"]:
        assert set(item["required"]) <= set(value) <= set(item["properties"])
        assert value["dataElement"] in item["properties"]["dataElement"]["enum"]
    # Every code is documented for the analysts who set the data elements up in DHIS2.
    assert all(code in schema["description"] for code in dhis2.DATA_ELEMENTS.values())


def test_an_unknown_dhis2_setting_stops_the_app_saying_what_is_accepted(tmp_path):
    with pytest.raises(
        ValueError, match="Unknown DHIS2_SERVICE_AS 'dataset'. Accepted: org_unit, category_option"
    ):
        create_app({"DATABASE": str(tmp_path / "x.sqlite"), "SECRET_KEY": "x", "DHIS2_SERVICE_AS": "dataset"})
