"""The managers' scorecard pages: who sees which services, what the figures read, the CSV and the
print report. Figures come from scorecard_data.py's hand-built history (see test_scorecard)."""

import json
import re
from datetime import date

import pytest
from conftest import row_counts
from scorecard_data import NAMES, build

from outcomes import periods, tokens


@pytest.fixture
def history(app, db, world):
    """A handful of children: read under the old rule (threshold5) unless a test says otherwise."""
    app.config["DISCLOSURE_POLICY"] = "threshold5"
    return build(db, world)


def figure_cells(html, key):
    """{measure: text} of one service's figure tables."""
    section = html.split(f'id="service-{key}"', 1)[1].split('class="scorecard-service"', 1)[0]
    return dict(
        re.findall(r'<tr data-measure="(\w+)"><th scope="row">[^<]+</th><td>([^<]*)</td></tr>', section)
    )


def chart(html, chart_id):
    return json.loads(
        re.search(rf'<script type="application/json" id="{chart_id}">(.*?)</script>', html, re.S).group(1)
    )


def test_manager_sees_only_the_services_she_manages(client, auth, history):
    auth.login("manager@test.example")  # manager of slt only
    page = client.get("/manager/", query_string={"period": "2025-26 Q4"})
    assert page.status_code == 200
    assert 'id="service-slt"' in page.text
    assert not any(f'id="service-{key}"' in page.text for key in ("physio", "ot", "social"))


def test_admin_sees_every_service(client, auth, history):
    auth.login("admin@test.example")
    page = client.get("/manager/", query_string={"period": "2025-26 Q4"})
    assert re.findall(r'<h2 id="service-(\w+)"', page.text) == ["slt", "physio", "ot", "social"]


def test_a_manager_of_nothing_is_told_so(client, auth, db, world):
    db.execute("DELETE FROM memberships WHERE user_id = ?", [world.manager])
    auth.login("manager@test.example")
    page = client.get("/manager/")
    assert "You do not manage any services yet" in page.text and 'id="service-' not in page.text


@pytest.mark.parametrize("email", ["slt@test.example", "family@test.example"])
def test_others_are_refused(client, auth, history, email):
    auth.login(email)
    for path in ("/manager/", "/manager/report", "/manager/scorecard.csv"):
        assert client.get(path).status_code == 403


def test_signed_out_visitors_go_to_sign_in(client):
    response = client.get("/manager/report")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_figures_grouped_by_perspective_with_small_numbers_suppressed(client, auth, history):
    auth.login("manager@test.example")
    html = client.get("/manager/", query_string={"period": "2025-26 Q4"}).text
    cells = figure_cells(html, "slt")
    assert cells["children_reviewed"] == "5"
    assert cells["reviews_on_time"] == "fewer than 5 reviews"  # 4
    assert cells["pct_reviews_on_time"] == "80.0%"
    assert cells["targets_met"] == "fewer than 5 targets"  # 2
    assert cells["pct_targets_met"] == "40.0%"
    assert cells["mean_distance_travelled"] == "fewer than 5 children"  # a mean over 4 children
    assert cells["family_ratings"] == "fewer than 5 ratings"
    captions = re.findall(
        r'<table class="figures" data-perspective="(\w+)">\s*<caption>(\w+)</caption>', html
    )
    assert captions == [
        ("compliance", "Compliance"),
        ("impact", "Impact"),
        ("effectiveness", "Effectiveness"),
    ]
    compliance = html.split('data-perspective="compliance"')[1].split("</table>")[0]
    assert re.findall(r'data-measure="(\w+)"', compliance) == [
        "children_reviewed",
        "reviews",
        "reviews_on_time",
        "pct_reviews_on_time",
    ]


def test_the_year_reads_differently_from_its_last_quarter(client, auth, history):
    auth.login("manager@test.example")
    cells = figure_cells(client.get("/manager/", query_string={"period": "2025-26"}).text, "slt")
    assert (cells["reviews"], cells["reviews_on_time"], cells["pct_reviews_on_time"]) == ("10", "9", "90.0%")


def test_withheld_figures_say_why_and_empty_ones_say_none(client, auth, app, history):
    app.config["DISCLOSURE_POLICY"] = "nhs"
    auth.login("admin@test.example")
    html = client.get("/manager/", query_string={"period": "2025-26"}).text
    slt, physio = figure_cells(html, "slt"), figure_cells(html, "physio")
    assert slt["reviews"] == "10" and slt["reviews_on_time"] == "10"  # 10 and 9, rounded to the nearest 5
    assert slt["pct_reviews_on_time"] == "hidden so that a small number cannot be worked out"
    assert slt["targets_closed"] == "fewer than 8 targets"
    assert slt["pct_targets_met"] == "fewer than 8 targets"
    assert physio["reviews"] == "0" and physio["pct_reviews_on_time"] == "none"
    assert "rounded to the nearest 5" in html and "fewer than 8" in html


def test_the_trend_shows_every_measure_with_its_changes(client, auth, history):
    auth.login("manager@test.example")
    html = client.get("/manager/", query_string={"period": "2025-26 Q4"}).text
    table = html.split('<table class="trend">', 1)[1].split("</table>", 1)[0]
    header = re.findall(r'<th scope="col">([^<]+)</th>', table)
    quarters = [q.label for q in periods.quarters_up_to(periods.parse("2025-26 Q4"), 8)]
    assert header == [
        "Measure",
        *quarters,
        "Change since previous quarter",
        "Change since same quarter last year",
    ]
    rows = {
        measure: re.findall(r"<td>([^<]*)</td>", row)
        for measure, row in re.findall(r'<tr data-measure="(\w+)">(.*?)</tr>', table, re.S)
    }
    # Reviews: 2025-26 Q3 had 3 (B, E, G: withheld), Q4 had 5; a year before, none.
    assert rows["reviews"][-4:] == ["fewer than 5 reviews", "5", "not available", "+5"]
    # Targets met: nothing closed before Q4, so there is no change to show.
    assert rows["pct_targets_met"][-4:] == ["none", "40.0%", "not available", "not available"]


def test_default_period_is_the_last_complete_quarter(client, auth, history):
    auth.login("manager@test.example")
    html = client.get("/manager/").text
    assert f"Scorecard: {periods.default_period(date.today()).label}</h1>" in html


def test_charts_carry_the_feeds_figures_with_tables_beside_them(client, auth, db, history):
    token = tokens.create_token(db, "test")
    auth.login("manager@test.example")
    html = client.get("/manager/", query_string={"period": "2026-27 Q1"}).text
    trend = chart(html, "trend-data-slt")
    assert trend["labels"] == [q.label for q in periods.quarters_up_to(periods.parse("2026-27 Q1"), 8)]
    # 2025-26 Q4: 2 of 5 targets met. 2026-27 Q1: one target closed, so its rate is suppressed (a gap).
    assert trend["datasets"][0]["data"] == [None] * 6 + [40.0, None]
    table = html.split('<table class="trend">', 1)[1].split("</table>", 1)[0]
    row = re.search(r'<tr data-measure="pct_targets_met">(.*?)</tr>', table, re.S).group(1)
    assert re.findall(r"<td>([^<]*)</td>", row)[-4:-2] == ["40.0%", "fewer than 5 targets"]
    feed = client.get(
        "/api/v1/scorecard",
        query_string={"period": "2026-27 Q1", "service": "slt"},
        headers={"Authorization": f"Bearer {token}"},
    ).get_json()["services"][0]
    bars = chart(html, "domains-data-slt")
    assert bars["labels"] == [row["label"] for row in feed["domains"]]
    assert bars["datasets"][0]["data"] == [
        row["measures"]["mean_distance_travelled"]["value"] for row in feed["domains"]
    ]


def test_no_child_is_named_anywhere_a_manager_looks(client, auth, history):
    auth.login("admin@test.example")
    for path in ("/manager/", "/manager/report", "/manager/scorecard.csv"):
        for period in ("2025-26 Q4", "2025-26"):
            text = client.get(path, query_string={"period": period}).text
            found = [name for name in list(NAMES.values()) + ["Amy", "Bob", "Cat"] if name in text]
            assert found == [], (path, period)


def test_csv_download_is_the_feed_for_her_services(client, auth, db, history):
    token = tokens.create_token(db, "test")
    auth.login("manager@test.example")
    response = client.get("/manager/scorecard.csv", query_string={"period": "2025-26 Q4"})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    feed = client.get(
        "/api/v1/scorecard",
        query_string={"period": "2025-26 Q4", "service": "slt", "format": "csv"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.text == feed.text
    assert {line.split(",")[3] for line in response.text.splitlines()[1:]} == {"slt"}


def test_print_report_has_a_page_per_service_with_the_footnote(client, auth, history):
    auth.login("admin@test.example")
    html = client.get("/manager/report", query_string={"period": "2025-26 Q4"}).text
    pages = html.split('<section class="report-page"')[1:]
    assert len(pages) == 4
    for page in pages:
        assert (
            'Balanced scorecard, 2025-26 Q4 (<time datetime="2026-01-01">1 January 2026</time> '
            'to <time datetime="2026-03-31">31 March 2026</time>)'
        ) in page
        assert 'class="footnote"' in page and "Disclosure control (threshold5 policy)" in page
        assert "<caption>Compliance</caption>" in page and "<caption>Effectiveness</caption>" in page
        assert 'class="scorecard-chart"' in page and '<table class="trend">' in page
    assert "<script>" not in html  # the strict CSP: no inline scripts


@pytest.mark.parametrize("path", ["/manager/", "/manager/report", "/manager/scorecard.csv"])
def test_an_unknown_period_is_refused_with_a_message(client, auth, db, history, path):
    auth.login("manager@test.example")
    before = row_counts(db)
    response = client.get(path, query_string={"period": "last quarter"})
    assert response.status_code == 400
    assert "Unknown period" in response.text and "2025-26 Q3" in response.text
    assert row_counts(db) == before


def test_goal_attainment_and_family_measures_on_the_dashboard_report_and_csv(client, auth, history):
    """scorecard_data: 4 of 5 Q4 reviews have a family view; 4 children had a target closed."""
    auth.login("manager@test.example")
    query = {"period": "2025-26 Q4"}
    cells = figure_cells(client.get("/manager/", query_string=query).text, "slt")
    assert cells["pct_reviews_with_family_view"] == "80.0%"
    assert cells["children_with_targets_closed"] == "fewer than 5 children"
    assert cells["mean_gas_t_score"] == "fewer than 5 children"
    assert cells["pct_children_gas_50_or_more"] == "fewer than 5 children"
    assert cells["pct_family_positive"] == "fewer than 5 ratings"
    assert cells["pct_family_view_agreement"] == "none"  # no family gave readings
    report = client.get("/manager/report", query_string=query).text
    for label in ("Mean goal attainment T-score", "Families rating it good or very good"):
        assert label in report
    rows = client.get("/manager/scorecard.csv", query_string=query).text.splitlines()
    slt = [line.split(",") for line in rows if ",slt,," in line]
    assert ["pct_reviews_with_family_view", "effectiveness", "80.0"] in [row[5:8] for row in slt]
