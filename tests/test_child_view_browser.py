"""The child's view on a tablet (820x1180) in real headless Chromium: the practitioner hands the
tablet over, the child taps a face on every domain's screen and hands it back, the review is sent
(online, and offline through the outbox), and the star's datasets read back include the child's view."""

from conftest import axe_violations, sign_in
from test_offline_browser import fill_readings, outbox, ready_practitioner, shell_heading, wait_until

from outcomes import child_view


def child_taps_through(page, keys, faces, face, check_axe=False):
    """Hand over, tap `face` on each domain's screen (one screen at a time), and hand back."""
    page.click("[data-child-start]")
    for index, key in enumerate(keys):
        label = page.locator(f"label[for='child{faces}-{key}-{face}']")
        label.wait_for(state="visible")
        # One domain per screen: the others are out of sight, and so is the rest of the form.
        assert page.locator("[data-child-screen]:visible").count() == 1
        assert page.locator("fieldset.domain:visible").count() == 0
        if index == 0 and check_axe:
            assert page.locator("[data-read-aloud]").first.is_visible()  # Chromium can speak
            assert axe_violations(page) == []
            # By keyboard: focus starts on the happiest face, an arrow moves to the next, Enter moves
            # on to the next domain (never submitting the form).
            assert page.evaluate("document.activeElement.id") == f"child{faces}-{key}-{faces}"
            page.keyboard.press("ArrowRight")
            page.keyboard.press("Enter")
            continue
        label.click()
    page.locator("[data-child-done]").wait_for(state="visible")
    page.click("[data-child-done] [data-child-handback]")
    page.locator("button[value=submit]").wait_for(state="visible")


def child_dataset(page, service="slt"):
    page.wait_for_selector(
        f"#star-{service}[data-drawn]", state="attached"
    )  # drawn just after the page is painted
    return page.evaluate(
        f"Chart.getChart(document.getElementById('star-{service}')).data.datasets"
        ".map(d => ({label: d.label, data: d.data}))"
        '.find(d => d.label.startsWith("Child\'s own view"))'
    )


def test_a_child_taps_through_every_domain_and_the_star_shows_their_view_online(context, server):
    base = server.url
    page = context.new_page()
    sign_in(page, base, "slt@demo.test")
    page.wait_for_url(f"{base}/caseload")
    page.click("table.caseload a.row-link >> nth=0")
    child_url = page.url
    page.click("text=Start today's review")
    keys = fill_readings(page)
    for outcome in page.query_selector_all("select.outcome-select"):
        if not outcome.input_value():
            outcome.select_option("-2")  # not met
    page.click("label[for='child_faces-5']")
    child_taps_through(page, keys, 5, 4, check_axe=True)
    assert page.url.endswith("/reviews/new?service=slt")  # still the form: Enter on a face sent nothing
    page.click("button[value=submit]")
    page.wait_for_url(child_url)
    dataset = child_dataset(page)
    happy = child_view.on_star_scale(4, 5, 1, 10)
    assert dataset["data"] == [happy] * len(keys)
    assert page.locator("table.readings td.child-col", has_text="Happy").count() == len(keys)


def test_a_child_view_given_offline_reaches_the_star_through_the_outbox(context, server):
    base = server.url
    page = ready_practitioner(context, base)
    context.set_offline(True)
    page.goto(f"{base}/caseload")
    page.click("table.caseload a.row-link >> nth=0")
    page.click("text=Start today's review")
    # The shell draws the form from the device's copy; a loaded 2-core machine can take a while.
    page.wait_for_selector("#shell[data-ready] h1", timeout=90_000)
    assert "review:" in shell_heading(page)
    keys = fill_readings(page)
    for outcome in page.query_selector_all("select.outcome-select"):
        if not outcome.input_value():
            outcome.select_option("-2")  # not met
    page.click("label[for='child_faces-3']")  # three faces, for a young child
    child_taps_through(page, keys, 3, 3)
    page.click("button[value=submit]")
    page.wait_for_selector(".outbox-saved")
    items = outbox(page)
    assert items[0]["body"]["child_view"] == {"faces": 3, "readings": dict.fromkeys(keys, 3)}
    child_id = items[0]["body"]["child_id"]
    context.set_offline(False)
    assert wait_until(page, "OfflineStore.all('outbox').then(items => items.length === 0)")
    page.goto(f"{base}/children/{child_id}")
    page.wait_for_selector("canvas#star-slt")
    assert wait_until(page, "!!(window.Chart && Chart.getChart(document.getElementById('star-slt')))")
    assert child_dataset(page)["data"] == [10.0] * len(keys)
