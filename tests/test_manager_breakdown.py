"""The managers' breakdown by age band, SEN status or primary need: a GET form on the dashboard,
a table per service under the same disclosure policy, and the same in the print report."""

import re

import pytest
from conftest import row_counts
from scorecard_data import NAMES
from test_manager import history  # noqa: F401 (a fixture)


def breakdown_columns(html, key):
    """{group: {measure: text}} of one service's breakdown table."""
    section = html.split(f'id="service-{key}"', 1)[1]
    table = section.split('<table class="breakdown">', 1)[1].split("</table>", 1)[0]
    groups = re.findall(r'<th scope="col">([^<]+)</th>', table)[1:]
    columns = {group: {} for group in groups}
    for measure, cells in re.findall(r'<tr data-breakdown-measure="(\w+)">.*?</th>(.*?)</tr>', table, re.S):
        for group, text in zip(groups, re.findall(r"<td>([^<]*)</td>", cells), strict=True):
            columns[group][measure] = text
    return columns


@pytest.fixture
def sen_history(db, history):  # noqa: F811
    # A alone has an EHC plan: her 2 reviews of the year are too few to publish under threshold5.
    db.execute("UPDATE children SET sen_status = 'ehc_plan' WHERE given_name = ?", [NAMES["A"]])
    return history


def test_the_dashboard_offers_the_breakdown_as_a_plain_get_form(client, auth, sen_history):
    auth.login("manager@test.example")
    html = client.get("/manager/", query_string={"period": "2025-26"}).text
    form = html.split('<form class="inline-form" method="get"', 1)[1].split("</form>", 1)[0]
    assert '<label for="breakdown">Break down by</label>' in form
    assert re.findall(r'<option value="(\w+)"', form.split('id="breakdown"')[1]) == [
        "none",
        "age_band",
        "sen_status",
        "primary_need",
    ]
    assert '<table class="breakdown">' not in html  # no breakdown asked for


def test_sen_breakdown_withholds_small_groups_and_never_shows_their_numbers(client, auth, sen_history):
    auth.login("manager@test.example")
    html = client.get("/manager/", query_string={"period": "2025-26", "breakdown": "sen_status"}).text
    assert '<option value="sen_status" selected>' in html
    columns = breakdown_columns(html, "slt")
    assert list(columns) == ["EHC plan", "SEN support", "No SEN", "Not recorded"]
    assert columns["Not recorded"]["reviews"] == "8"
    ehc = columns["EHC plan"]
    assert ehc["reviews"] == "fewer than 5 reviews"  # 2 reviews
    assert ehc["children_reviewed"] == "fewer than 5 children"  # 1 child
    # A withheld figure says why; the only number it carries is the policy's threshold.
    withheld = [text for text in ehc.values() if text.startswith(("fewer than", "hidden"))]
    assert len(withheld) >= 2
    assert not any(re.search(r"\d", text.replace("fewer than 5 ", "")) for text in withheld)
    assert columns["SEN support"]["reviews"] == "0"
    # The service's own figures are the same with or without the breakdown.
    plain = client.get("/manager/", query_string={"period": "2025-26"}).text

    def figures(page):
        return page.split('<div class="perspectives">')[1].split("</div>")[0]

    assert "<td>8</td>" not in figures(html) and figures(plain) == figures(html)


def test_age_and_primary_need_breakdowns_and_the_report_and_csv_carry_it(client, auth, sen_history):
    auth.login("manager@test.example")
    by_age = breakdown_columns(
        client.get("/manager/", query_string={"period": "2025-26", "breakdown": "age_band"}).text, "slt"
    )
    assert list(by_age) == ["0–4", "5–10", "11–15", "16–25", "Other or unknown age"]
    by_need = breakdown_columns(
        client.get("/manager/", query_string={"period": "2025-26", "breakdown": "primary_need"}).text, "slt"
    )
    assert "SLCN" in by_need and by_need["Not recorded"]["reviews"] == "10"
    report = client.get("/manager/report", query_string={"period": "2025-26", "breakdown": "sen_status"}).text
    ehc = breakdown_columns(report, "slt")["EHC plan"]
    assert ehc["reviews"] == "fewer than 5 reviews" and set(ehc) == {
        "children_reviewed",
        "reviews",
        "pct_reviews_on_time",
        "targets_closed",
        "pct_targets_met",
    }
    csv_text = client.get(
        "/manager/scorecard.csv", query_string={"period": "2025-26", "breakdown": "sen_status"}
    ).text
    assert ",reviews,compliance,,true,small_count,sen_status,ehc_plan\r\n" in csv_text


@pytest.mark.parametrize("path", ["/manager/", "/manager/report", "/manager/scorecard.csv"])
def test_an_unknown_breakdown_is_refused_with_a_message(client, auth, db, sen_history, path):
    auth.login("manager@test.example")
    before = row_counts(db)
    response = client.get(path, query_string={"breakdown": "postcode"})
    assert response.status_code == 400 and "Choose the breakdown from the list" in response.text
    assert row_counts(db) == before
