"""The child's star in real headless Chromium on a phone (390x844) and a tablet (820x1180): no
sideways scroll, wrapped area names, legible stage rings, a legend of only what is drawn, and the
viewer's choice of readings, read back from the Chart instance."""

from pathlib import Path

from conftest import PHONE, TABLET, axe_violations, sign_in

from outcomes.db import connect
from outcomes.rules import counted

SCREENSHOT = Path(__file__).resolve().parent.parent / "docs" / "screenshots" / "star-phone.png"
CHART = "Chart.getChart(document.getElementById('star-slt'))"


def child_with_three_reviews(server):
    """A child on slt@demo.test's caseload with at least three counted SLT reviews."""
    db = connect(server.app.config["DATABASE"])
    try:
        return db.execute(
            f"""SELECT r.child_id FROM reviews r JOIN services s ON s.id = r.service_id
                JOIN caseloads c ON c.child_id = r.child_id AND c.service_id = s.id
                  AND c.discharged_on IS NULL
                WHERE s.key = 'slt' AND {counted()} GROUP BY r.child_id HAVING count(*) >= 3
                ORDER BY r.child_id LIMIT 1"""
        ).fetchone()[0]
    finally:
        db.close()


def drawn(page):
    """The labels of the datasets on the radar, of its legend, and of the ticked choices."""
    return page.evaluate(
        f"""[{CHART}.data.datasets.map(d => d.label),
             {CHART}.legend.legendItems.map(i => i.text),
             [...document.querySelectorAll('.star-choices input:checked')]
               .map(i => i.labels[0].textContent)]"""
    )


def geometry(page):
    return page.evaluate(
        f"""(() => {{
          const chart = {CHART}, r = chart.scales.r;
          const rings = r.ticks.slice(1).map(t => r.getDistanceFromCenterForValue(t.value));
          return {{width: chart.width, height: chart.height,
                   overflow: document.documentElement.scrollWidth - innerWidth,
                   ticks: r.ticks.map(t => t.label), gaps: rings.slice(1).map((d, i) => d - rings[i]),
                   tickFont: r._resolveTickFontOptions(0).size,
                   labels: r._pointLabelItems.map(p => [p.left, p.right, p.top, p.bottom]),
                   lines: [...document.querySelectorAll('.domain-lines canvas')]
                     .map(c => c.getAttribute('aria-label'))}};
        }})()"""
    )


LINES = "[...document.querySelectorAll('.domain-lines canvas')]"


def lines_drawn_when_scrolled_to_without_moving(page):
    """The line per domain is drawn when it scrolls near the screen (on a phone the last is far
    below the star at first), in the box kept for it, so nothing on the page moves."""
    boxes = (
        f"{LINES}.map(c => {{ const r = c.getBoundingClientRect(); return [r.top + scrollY, r.height]; }})"
    )
    before = page.evaluate(boxes)
    last_far_below = before[-1][0] > page.evaluate("innerHeight") + 400
    if last_far_below:
        assert page.evaluate(f"Chart.getChart({LINES}.at(-1))") is None
    page.locator(".domain-lines canvas").last.scroll_into_view_if_needed()
    page.wait_for_function(f"() => !!Chart.getChart({LINES}.at(-1))")
    after = page.evaluate(boxes)
    assert all(abs(a[0] - b[0]) <= 1 and abs(a[1] - b[1]) <= 1 for a, b in zip(after, before, strict=True))
    page.evaluate("scrollTo(0, 0)")
    return last_far_below


def test_the_star_reads_on_a_phone_and_a_tablet_and_the_viewer_chooses_the_readings(browser, live_server):
    base = live_server.url
    child_id = child_with_three_reviews(live_server)
    for viewport in (PHONE, TABLET):
        context = browser.new_context(viewport=viewport)
        page = context.new_page()
        sign_in(page, base, "slt@demo.test")
        page.wait_for_url(f"{base}/caseload")
        page.goto(f"{base}/children/{child_id}")
        page.wait_for_selector(".star-choices")
        shape = geometry(page)
        assert shape["overflow"] <= 0  # no sideways scroll
        assert shape["width"] <= viewport["width"] and abs(shape["height"] - shape["width"]) <= 2  # a square
        assert "2 Needs a lot of help" in shape["ticks"] and "10 Doing well" in shape["ticks"]
        assert min(shape["gaps"]) > shape["tickFont"] * 1.2  # stage labels never overlap
        for left, right, top, bottom in shape["labels"]:  # area names wrapped inside the canvas
            assert 0 <= left and right <= shape["width"] and 0 <= top and bottom <= shape["height"]
        domains = page.eval_on_selector_all("table.readings >> nth=0 >> tbody th", "els => els.length")
        assert len(shape["lines"]) == domains and all(" over time: " in label for label in shape["lines"])
        far_below = lines_drawn_when_scrolled_to_without_moving(page)
        assert far_below or viewport != PHONE  # a phone opens the page with no line drawn

        # The child's own view, when the newest review has one, is drawn from the start too.
        has_child_view = page.eval_on_selector(
            "table.readings",
            "t => [...t.querySelectorAll('thead th')].some(th => th.textContent.includes('own view'))",
        )
        child_view = ["Child's own view, in faces"] if has_child_view else []
        datasets, legend, ticked = drawn(page)
        assert [label.split(" (")[0] for label in datasets] == ["First review", "Latest review", *child_view]
        assert legend == datasets and ticked == datasets  # the legend lists what is drawn, nothing more
        page.check(".star-choices input[data-kind=previous]")
        page.uncheck(".star-choices input[data-kind=first]")
        datasets, legend, ticked = drawn(page)
        assert [label.split(" (")[0] for label in datasets] == [
            "Previous review",
            "Latest review",
            *child_view,
        ]
        assert legend == datasets and ticked == datasets
        previous = page.evaluate(f"{CHART}.data.datasets[0].data")
        column = page.eval_on_selector_all(
            "table.readings >> nth=0 >> tbody tr",
            "(rows, back) => rows.map("
            "r => r.children[r.children.length - back].textContent.trim().split(' ')[0])",
            2 + len(child_view),
        )  # the previous review's column in the table beside the chart (before the latest's, and the child's)
        assert [str(value) if value is not None else "Not" for value in previous] == column
        if viewport == PHONE:
            assert axe_violations(page) == []
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            page.locator(".chart-and-table").first.screenshot(path=str(SCREENSHOT))
        context.close()
