"""The core flow in real headless Chromium: a therapist completes a review on a tablet and sees the star."""

from pathlib import Path

from conftest import PHONE, axe_violations, sign_in

from outcomes.db import connect

SCREENSHOT = Path(__file__).resolve().parent.parent / "docs" / "screenshots" / "child-star.png"


def open_first_child_review(page, base):
    sign_in(page, base, "slt@demo.test")
    page.wait_for_url(f"{base}/caseload")
    page.click("table.caseload a.row-link >> nth=0")
    child_url = page.url
    page.click("text=Start today's review")
    return child_url


def test_therapist_submits_a_review_and_the_radar_shows_it(tablet, live_server):
    page, base = tablet, live_server.url
    child_url = open_first_child_review(page, base)
    domains = page.eval_on_selector_all(
        "fieldset.domain input[value='na']", "els => els.map(e => e.name.slice(8))"
    )
    assert len(domains) == 6
    entered = {}
    for index, key in enumerate(domains):
        score = (index * 3) % 10 + 1
        page.click(f"label[for='reading-{key}-{score}']")  # tap the big number, not the hidden radio
        entered[key] = score
    for outcome in page.query_selector_all("select.outcome-select"):
        if not outcome.input_value():
            outcome.select_option("-2")  # not met
    page.fill("#notes", "Lovely session; practised turn-taking games.")
    assert axe_violations(page) == []
    page.click("button[value=submit]")
    # The page's words, not every subresource: the service worker may be replacing itself (signed in,
    # it precaches the charts too) while this navigation runs.
    page.wait_for_url(child_url, wait_until="domcontentloaded")
    assert "submitted" in page.text_content(".flash")
    page.wait_for_selector(
        "canvas.star-chart[data-drawn]", state="attached"
    )  # drawn just after the page is painted
    datasets = page.evaluate(
        "Chart.getChart(document.getElementById('star-slt')).data.datasets"
        ".map(d => ({label: d.label, data: d.data}))"
    )
    # The demo child gave their own view at an earlier review: it is the third dataset.
    assert [d["label"].split(" (")[0] for d in datasets] == [
        "First review",
        "Latest review",
        "Child's own view, in faces",
    ]
    assert datasets[1]["data"] == [entered[key] for key in domains]
    assert datasets[0]["label"].startswith("First review")
    labels = page.evaluate("Chart.getChart(document.getElementById('star-slt')).data.labels")
    table_rows = page.eval_on_selector_all(
        "table.readings tbody th", "els => els.map(e => e.textContent.trim())"
    )
    assert labels == table_rows  # the table beside the chart has a row for every domain
    assert axe_violations(page) == []
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=False)


def test_review_form_is_tappable_on_a_phone(browser, live_server):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    open_first_child_review(page, live_server.url)
    sizes = page.eval_on_selector_all(
        "label.score",
        "els => els.map(e => { const r = e.getBoundingClientRect(); return [r.width, r.height]; })",
    )
    assert sizes and all(width >= 44 and height >= 44 for width, height in sizes)  # WCAG 2.5.5 target size
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0  # no sideways scrolling on a phone
    # Stage names are shown beside the numbers.
    assert page.is_visible("text=Needs a lot of help") and page.is_visible("text=Doing well")
    context.close()


def test_review_form_works_without_javascript(browser, live_server):
    context = browser.new_context(viewport={"width": 820, "height": 1180}, java_script_enabled=False)
    page = context.new_page()
    open_first_child_review(page, live_server.url)
    for key in page.eval_on_selector_all(
        "fieldset.domain input[value='na']", "els => els.map(e => e.name.slice(8))"
    ):
        page.click(f"label[for='reading-{key}-5']")
    page.click("button[value=draft]")
    assert "Draft saved" in page.text_content(".flash")
    assert page.is_checked("input[name^='reading-'][value='5'] >> nth=0")
    context.close()


def test_sign_in_and_caseload_pages_pass_axe(tablet, live_server):
    page, base = tablet, live_server.url
    page.goto(f"{base}/login")
    assert axe_violations(page) == []
    sign_in(page, base, "slt@demo.test")
    page.wait_for_url(f"{base}/caseload")
    assert axe_violations(page) == []
    page.keyboard.press("Tab")  # the first Tab reaches the skip link, shown on focus
    assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
    assert page.is_visible(".skip-link")


def test_submit_go_back_and_submit_again_stores_one_review_and_says_so(tablet, live_server):
    page, base = tablet, live_server.url
    child_url = open_first_child_review(page, base)
    child_id = int(child_url.rstrip("/").split("/")[-1])
    database = connect(live_server.app.config["DATABASE"])
    count = "SELECT count(*) FROM reviews WHERE child_id = ? AND status = 'submitted'"
    before = database.execute(count, [child_id]).fetchone()[0]

    def score_every_domain():
        for key in page.eval_on_selector_all(
            "fieldset.domain input[value='na']", "els => els.map(e => e.name.slice(8))"
        ):
            page.click(f"label[for='reading-{key}-5']")
        page.click("button[value=submit]")

    score_every_domain()
    page.wait_for_url(child_url, wait_until="domcontentloaded")  # as in the test above
    page.go_back()
    page.wait_for_selector("button[value=submit]")
    score_every_domain()
    # Either the restored form (its UUID already stored) or a fresh one (a second review of the
    # day): the page says the review is already recorded, and links to it.
    page.wait_for_selector("text=already recorded")
    assert page.locator("a[href^='/reviews/']").count() >= 1
    assert axe_violations(page) == []
    assert database.execute(count, [child_id]).fetchone()[0] == before + 1

    # Entered in error after all: withdraw it, with the confirmation step.
    latest = database.execute(
        "SELECT id FROM reviews WHERE child_id = ? ORDER BY id DESC LIMIT 1", [child_id]
    ).fetchone()[0]
    page.goto(f"{base}/reviews/{latest}")
    page.click("text=Withdraw this review")
    page.click("button:has-text('Withdraw the review')")  # no reason: refused, focus on the summary
    page.wait_for_selector("#error-summary:focus")
    assert axe_violations(page) == []
    page.fill("#reason", "Entered twice by mistake")
    page.click("button:has-text('Withdraw the review')")
    page.wait_for_selector("#withdrawn")
    assert "Entered twice by mistake" in page.text_content("#withdrawn")
    database.close()
