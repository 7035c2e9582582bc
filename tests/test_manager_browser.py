"""The manager's scorecard in real headless Chromium on a tablet: the charts show what the feed says."""

from datetime import date, timedelta
from pathlib import Path

from conftest import axe_violations, sign_in

from outcomes import periods, scorecard, tokens
from outcomes.db import connect

SCREENSHOT = Path(__file__).resolve().parent.parent / "docs" / "screenshots" / "manager-scorecard.png"
SERVICES = ["slt", "physio", "ot", "social"]


def chart_data(page, canvas_id):
    """The chart's figures, once it is drawn: on the dashboard, when it scrolls near the screen."""
    page.locator(f"#{canvas_id}").scroll_into_view_if_needed()
    page.wait_for_function("id => window.Chart && Chart.getChart(document.getElementById(id))", arg=canvas_id)
    return page.evaluate(
        """id => { const c = Chart.getChart(document.getElementById(id));
                   return {labels: c.data.labels, data: c.data.datasets[0].data}; }""",
        canvas_id,
    )


def test_manager_opens_a_quarter_and_the_charts_match_the_feed(tablet, live_server):
    page, base = tablet, live_server.url
    db = connect(live_server.app.config["DATABASE"])
    token = tokens.create_token(db, "browser test")
    db.close()

    def feed(label):
        response = page.request.get(
            f"{base}/api/v1/scorecard", params={"period": label}, headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status == 200
        return {service["key"]: service for service in response.json()["services"]}

    sign_in(page, base, "manager@demo.test")
    page.wait_for_url(f"{base}/manager/")
    # The quarter before the last complete one: not the page's default.
    quarter = periods.quarter_containing(periods.default_period(date.today()).start - timedelta(days=1))
    page.select_option("#period", quarter.label)
    page.click("button:has-text('Show')")
    page.wait_for_selector(f"h1:has-text('Scorecard: {quarter.label}')")
    assert page.get_attribute("#period option[selected]", "value") == quarter.label

    this_quarter = feed(quarter.label)
    # Chart.js is fetched only when a chart comes near the screen: the figures' tables come first.
    assert page.evaluate("() => window.Chart === undefined")
    trend = {key: chart_data(page, f"trend-{key}") for key in SERVICES}
    feeds = {label: feed(label) for label in trend["slt"]["labels"]}
    assert list(feeds)[-1] == quarter.label and len(feeds) == 8
    shown = 0
    for key in SERVICES:
        expected = [
            feeds[label][key]["measures"]["pct_targets_met"]["value"] for label in trend[key]["labels"]
        ]
        assert trend[key]["data"] == expected
        bars = chart_data(page, f"domains-{key}")
        domains = this_quarter[key]["domains"]
        assert bars["labels"] == [row["label"] for row in domains]
        assert bars["data"] == [row["measures"]["mean_distance_travelled"]["value"] for row in domains]
        shown += sum(value is not None for value in trend[key]["data"] + bars["data"])
        # Each chart has its table beside it: every measure, a column per point.
        assert page.locator(f"#service-{key} ~ .chart-and-table table.trend tbody tr").count() == len(
            scorecard.MEASURES
        )
        assert page.locator(f"#service-{key} ~ .chart-and-table table.trend thead th").count() == 1 + 8 + 2
        assert page.locator(f"#service-{key} ~ .chart-and-table table.domains tbody tr").count() == len(
            domains
        )
    assert shown > 0  # the demo data gives figures above the threshold
    assert axe_violations(page) == []
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=False)


def test_print_report_is_one_a4_page_per_service(browser, live_server):
    context = browser.new_context(viewport={"width": 820, "height": 1180})
    page = context.new_page()
    sign_in(page, live_server.url, "manager@demo.test")
    page.wait_for_url(f"{live_server.url}/manager/")
    page.click("text=Print report")
    page.wait_for_selector("section.report-page canvas.scorecard-chart")
    assert page.locator("section.report-page").count() == 4
    assert page.locator("section.report-page .footnote").count() == 4
    pdf = page.pdf(format="A4", prefer_css_page_size=True)
    context.close()
    assert pdf.count(b"/Type /Page\n") == 4  # Chromium's PDF: one page object per page
