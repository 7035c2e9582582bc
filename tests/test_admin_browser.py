"""In real headless Chromium on a tablet: the admin sets up a new service with its own star, a
practitioner and a child; the practitioner then signs in and completes a review on that star."""

from conftest import TABLET, axe_violations, sign_in

NEW_PASSWORD = "a brand new long password"
DOMAINS = [
    ("Getting ready", "How your child gets ready for the day, step by step."),
    ("Eating", "How your child eats a meal with the family at the table."),
    ("Sleeping", "How well your child settles and sleeps through the night."),
    ("Playing", "How your child plays with toys and with other children."),
    ("Feelings", "How your child shows and manages big feelings."),
    ("Going out", "How your child copes with shops, buses and busy places."),
]


def admin_sets_up_early_help(page, base):
    sign_in(page, base, "admin@demo.test")
    page.wait_for_url(f"{base}/admin/")
    page.click("main a:text-is('Services')")
    page.fill("#name", "Early Help")
    page.fill("#key", "eh")
    page.click("button:has-text('Create service')")
    assert "Service Early Help created" in page.text_content(".flash")

    page.goto(f"{base}/admin/")
    page.click("main a:text-is('Stars')")
    page.click("text=Create a star")
    page.fill("#name", "Family life star")
    for row, (label, description) in enumerate(DOMAINS):
        page.fill(f"#domain-{row}-label", label)
        page.fill(f"#domain-{row}-description", description)
    page.click("button:has-text('Save draft star')")
    assert "Star saved as a draft" in page.text_content(".flash")
    assert axe_violations(page) == []

    page.click("text=Preview as a family would see it")
    page.wait_for_url("**/preview")
    page.wait_for_selector(
        "canvas.star-chart[data-drawn]", state="attached"
    )  # drawn just after the page is painted
    labels = page.evaluate("Chart.getChart(document.getElementById('star-preview')).data.labels")
    assert labels == [label for label, _ in DOMAINS]
    assert page.is_visible("text=How your child copes with shops, buses and busy places.")
    page.go_back()
    page.select_option("#publish-service", label="Early Help")
    page.click("button:has-text('Publish version 1')")
    assert "new reviews for Early Help use it" in page.text_content(".flash")

    page.goto(f"{base}/admin/people/new")
    page.fill("#email", "erin@demo.test")
    page.fill("#name", "Erin Early")
    page.click("label:has-text('Early Help') >> nth=0")  # "Practitioner in" comes first
    page.click("button:has-text('Create account')")
    link = page.get_attribute("#reset-link", "href")

    page.goto(f"{base}/admin/caseloads")
    page.click("a:has-text('Early Help')")
    page.fill("#given_name", "Dina")
    page.fill("#family_name", "Das")
    page.fill("#date_of_birth", "2018-04-04")
    page.fill("#nhs_number", "999 000 0018")
    page.select_option("#practitioner_id", label="Erin Early (erin@demo.test)")
    page.click("button:has-text('Add child')")
    assert "added to the Early Help caseload" in page.text_content(".flash")
    assert axe_violations(page) == []
    return link


def test_admin_sets_up_a_service_and_the_practitioner_reviews_on_its_new_star(browser, tablet, live_server):
    base = live_server.url
    link = admin_sets_up_early_help(tablet, base)

    context = browser.new_context(viewport=TABLET)
    page = context.new_page()
    page.goto(link)
    page.fill("#password", NEW_PASSWORD)
    page.fill("#confirm", NEW_PASSWORD)
    page.click("button:has-text('Set password')")
    assert "Your password is set" in page.text_content(".flash")
    sign_in(page, base, "erin@demo.test", NEW_PASSWORD)
    page.wait_for_url(f"{base}/caseload")
    page.click("table.caseload a.row-link:has-text('Dina Das')")
    child_url = page.url
    page.click("text=Start today's review")
    keys = page.eval_on_selector_all(
        "fieldset.domain input[value='na']", "els => els.map(e => e.name.slice(8))"
    )
    assert keys == ["getting_ready", "eating", "sleeping", "playing", "feelings", "going_out"]
    for index, key in enumerate(keys):
        page.click(f"label[for='reading-{key}-{index + 3}']")
    page.fill("#notes", "First review on the Family life star.")
    page.click("button[value=submit]")
    page.wait_for_url(child_url)
    assert "submitted" in page.text_content(".flash")
    page.wait_for_selector("canvas.star-chart[data-drawn]", state="attached")
    chart = page.evaluate("Chart.getChart(document.getElementById('star-eh')).data")
    assert chart["labels"] == [label for label, _ in DOMAINS]
    assert chart["datasets"][-1]["data"] == [3, 4, 5, 6, 7, 8]
    context.close()

    # The admin's audit trail shows the practitioner's work on the child.
    tablet.goto(f"{base}/admin/audit")
    tablet.fill("#child", "9990000018")
    tablet.click("button:has-text('Filter')")
    actions = tablet.eval_on_selector_all(
        "table.audit tbody tr td:nth-child(3)", "els => els.map(e => e.textContent)"
    )
    assert {"create child", "add to caseload", "view child record", "submit review"} <= set(actions)


def test_admin_pages_pass_an_accessibility_audit(tablet, live_server):
    page, base = tablet, live_server.url
    sign_in(page, base, "admin@demo.test")
    page.wait_for_url(f"{base}/admin/")
    failures = {}
    # The star editor and the caseload page are audited in the set-up test above.
    for path in (
        "/admin/",
        "/admin/services/1",
        "/admin/stars/1/preview",
        "/admin/people/new",
        "/admin/children/1",
        "/admin/import",
        "/admin/audit",
    ):
        page.goto(f"{base}{path}")
        violations = axe_violations(page)
        if violations:
            failures[path] = violations
    assert failures == {}
