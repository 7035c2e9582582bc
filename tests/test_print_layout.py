"""Printed reports lay out cleanly whatever the window's width: the manager's report keeps one A4
page per service with no chart over a table and no table cut; the per-child report starts each
service on a new page."""

from conftest import sign_in

# Each chart-and-table pair as boxes, and how far each table reaches past its box.
LAYOUT = """() => [...document.querySelectorAll('.chart-and-table')].map(pair => {
  const [chart, table] = [...pair.children].map(el => el.getBoundingClientRect());
  const apart = chart.right <= table.left || table.right <= chart.left
             || chart.bottom <= table.top || table.bottom <= chart.top;
  const wrapper = pair.querySelector('.table-scroll');
  return {apart: apart, cut: wrapper.scrollWidth - wrapper.clientWidth};
})"""


def test_manager_report_prints_one_clean_page_per_service_from_a_phone(browser, live_server):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    sign_in(page, live_server.url, "manager@demo.test")
    page.wait_for_url(f"{live_server.url}/manager/")
    page.goto(f"{live_server.url}/manager/report?breakdown=primary_need")
    page.wait_for_selector("section.report-page canvas.scorecard-chart")
    # Laid out as printed on A4 (186 mm between the margins, about 703 CSS px).
    page.set_viewport_size({"width": 703, "height": 1032})
    page.emulate_media(media="print")
    pairs = page.evaluate(LAYOUT)
    assert len(pairs) == 8 and all(pair["apart"] for pair in pairs), pairs
    assert all(pair["cut"] <= 8 for pair in pairs), pairs
    # The primary-need breakdown is not squeezed into slivers: each group column stays readable.
    narrowest = page.evaluate(
        "() => Math.min(...[...document.querySelectorAll('table.breakdown thead th')]"
        ".map(th => th.getBoundingClientRect().width))"
    )
    assert narrowest >= 30
    page.goto(f"{live_server.url}/manager/report")
    page.wait_for_selector("section.report-page canvas.scorecard-chart")
    assert page.pdf(format="A4", prefer_css_page_size=True).count(b"/Type /Page\n") == 4
    context.close()


def test_child_report_prints_each_service_from_a_new_page(browser, live_server):
    context = browser.new_context(viewport={"width": 820, "height": 1180})
    page = context.new_page()
    sign_in(page, live_server.url, "admin@demo.test")
    page.wait_for_url(f"{live_server.url}/admin/")
    page.goto(f"{live_server.url}/children/1")
    page.click("text=Report across services, to print")
    page.wait_for_selector("section.report-service canvas.star-chart")
    services = page.locator("section.report-service").count()
    assert services >= 2
    pdf = page.pdf(format="A4")
    # A cover page, then at least one page per service (each begins a page of its own).
    assert pdf.count(b"/Type /Page\n") >= 1 + services
    page.emulate_media(media="print")
    assert page.evaluate(
        "() => [...document.querySelectorAll('section.report-service')]"
        ".every(s => getComputedStyle(s).breakBefore === 'page')"
    )
    context.close()
