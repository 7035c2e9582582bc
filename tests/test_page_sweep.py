"""Every page type, as each role and signed out, on a phone (390x844) and a tablet (820x1180):
no page wider than the screen, no console error, axe (WCAG 2.0/2.1/2.2 A and AA) finds nothing,
primary actions are at least 44 px tall and navigation and back links at least 24 px (axe's
target-size checks 24 px, or enough spacing, for everything else).

One browser context per role and viewport, reusing its page; the demo data is seeded once."""

from pathlib import Path

import pytest
from conftest import AXE_SOURCE, PASSWORD, LiveServer, sign_in

from outcomes import create_app, demo, users
from outcomes.db import connect

VIEWPORTS = {"phone": {"width": 390, "height": 844}, "tablet": {"width": 820, "height": 1180}}
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"

# What the page measures: overflow, primary actions under 44 px (visible ones), and axe's findings.
CHECKS = """async (tags) => {
  const small = [];
  const height = el => el.getBoundingClientRect().height;
  const name = el => `${el.tagName} "${el.textContent.trim().slice(0, 40)}" ${height(el)}px`;
  const primary = "main button:not(.button-secondary), main .button, main input[type=submit]";
  for (const el of document.querySelectorAll(primary)) {
    if (height(el) > 0 && height(el) < 44) small.push(name(el));
  }
  for (const el of document.querySelectorAll("header a, header button, nav a, a.back-link")) {
    if (height(el) > 0 && height(el) < 24) small.push(name(el));
  }
  // What sticks out past the screen's edge (innermost first), to name in the failure.
  const edge = window.innerWidth + 1;
  const out = el => el.getBoundingClientRect().right > edge;
  const wide = [...document.querySelectorAll("body *")]
    .filter(el => out(el) && !el.closest(".table-scroll, .visually-hidden"))
    .filter(el => ![...el.children].some(out))
    .slice(0, 3).map(el => `${el.tagName.toLowerCase()}.${el.className}`);
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags}});
  return {
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    small: small,
    wide: wide,
    violations: result.violations.map(v => `${v.id}: ${v.nodes.slice(0, 3).map(n => n.target).join(" | ")}`),
  };
}"""


@pytest.fixture(scope="module")
def sweep_server(tmp_path_factory):
    """The demo data once for the module, with the ids the page list needs."""
    path = tmp_path_factory.mktemp("sweep") / "demo.sqlite"
    app = create_app({"DATABASE": str(path), "SECRET_KEY": "sweep-test"})
    db = connect(str(path))
    demo.seed(db, PASSWORD)
    ids = _ids(db)
    db.close()
    server = LiveServer(app)
    yield server, ids
    server.stop()


def _one(db, sql, params=()):
    return db.execute(sql, params).fetchone()[0]


def _ids(db):
    slt = _one(db, "SELECT id FROM services WHERE key = 'slt'")
    slt_user = _one(db, "SELECT id FROM users WHERE email = 'slt@demo.test'")
    child = _one(
        db,
        "SELECT child_id FROM caseloads WHERE service_id = ? AND practitioner_id = ? "
        "AND discharged_on IS NULL ORDER BY child_id LIMIT 1",
        [slt, slt_user],
    )
    family_user = _one(db, "SELECT id FROM users WHERE email = 'family@demo.test'")
    family_child = _one(
        db, "SELECT child_id FROM family_links WHERE user_id = ? ORDER BY child_id", [family_user]
    )
    review = _one(
        db,
        "SELECT id FROM reviews WHERE child_id = ? AND service_id = ? AND status = 'submitted' "
        "ORDER BY date DESC LIMIT 1",
        [child, slt],
    )
    family_review = _one(
        db,
        "SELECT id FROM reviews WHERE child_id = ? AND status = 'submitted' ORDER BY date DESC LIMIT 1",
        [family_child],
    )
    family_service = _one(
        db,
        "SELECT s.key FROM reviews r JOIN services s ON s.id = r.service_id WHERE r.id = ?",
        [family_review],
    )
    return {
        "slt": slt,
        "child": child,
        "review": review,
        "family_child": family_child,
        "family_review": family_review,
        "family_service": family_service,
        "star": _one(db, "SELECT star_id FROM services WHERE id = ?", [slt]),
        "person": slt_user,
        "reset": users.create_reset(db, _one(db, "SELECT id FROM users WHERE email = 'ot@demo.test'")),
    }


def pages(role, ids):
    """The page types each role reaches, as paths."""
    child, review = ids["child"], ids["review"]
    return {
        "signed-out": ["/login", "/family/join", f"/reset-password/{ids['reset']}"],
        "practitioner": [
            "/caseload",
            "/caseload?show=overdue&sort=due",
            f"/children/{child}",
            f"/children/{child}/report",
            f"/children/{child}/reviews/new?service=slt",
            f"/reviews/{review}",
            f"/reviews/{review}/amend",
            f"/reviews/{review}/withdraw",
            "/feedback/",
            "/offline",
        ],
        "family": [
            "/family/",
            f"/family/children/{ids['family_child']}",
            f"/family/children/{ids['family_child']}/print/{ids['family_service']}",
            f"/family/reviews/{ids['family_review']}/view",
            "/family/notices",
        ],
        "manager": ["/manager/", "/manager/report", "/feedback/"],
        "admin": [
            "/admin/",
            "/admin/services",
            f"/admin/services/{ids['slt']}",
            f"/admin/services/{ids['slt']}/caseload",
            "/admin/caseloads",
            "/admin/stars",
            f"/admin/stars/{ids['star']}",
            f"/admin/stars/{ids['star']}/preview",
            "/admin/people",
            f"/admin/people/{ids['person']}",
            "/admin/people/new",
            "/admin/children?q=a",
            f"/admin/children/{child}",
            f"/admin/children/{child}/erase",
            "/admin/import",
            "/admin/audit",
            "/admin/retention",
            f"/children/{child}",
        ],
    }[role]


ACCOUNTS = {
    "practitioner": "slt@demo.test",
    "family": "family@demo.test",
    "manager": "manager@demo.test",
    "admin": "admin@demo.test",
}


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("role", ["signed-out", "practitioner", "family", "manager", "admin"])
def test_every_page_fits_has_no_console_error_and_passes_axe(browser, sweep_server, role, viewport):
    server, ids = sweep_server
    context = browser.new_context(viewport=VIEWPORTS[viewport])
    # The machine is shared: a page may take long to load, which is not what this test measures.
    context.set_default_timeout(90_000)
    page = context.new_page()
    errors = []
    page.on(
        "console", lambda message: message.type == "error" and errors.append(f"{page.url}: {message.text}")
    )
    page.on("pageerror", lambda error: errors.append(f"{page.url}: {error}"))
    if role in ACCOUNTS:
        sign_in(page, server.url, ACCOUNTS[role])
        page.wait_for_selector("nav[aria-label=Main]")
    found = []
    for path in pages(role, ids):
        response = page.goto(server.url + path)
        assert response.status == 200, f"{path}: {response.status}"
        found += checked_page(page, path)
        if role == "practitioner" and path.endswith("/report") and viewport == "tablet":
            page.screenshot(path=str(SCREENSHOTS / "child-report.png"), full_page=False)
    # The error page: its 404 is the answer asked for, so the browser's note of it is no error.
    response = page.goto(server.url + "/no-such-page")
    assert response.status == 404
    found += checked_page(page, "the not-found page")
    errors = [error for error in errors if "status of 404" not in error]
    if role == "admin":
        # The "Are you sure?" step, reached as a person would (and left without confirming).
        page.goto(f"{server.url}/admin/people/{ids['person']}")
        page.click("button:has-text('Deactivate')")
        page.wait_for_selector("h1:has-text('Deactivate')")
        found += checked_page(page, "the deactivation's confirmation step")
    context.close()
    assert not found + errors, "\n".join(found + errors)


def checked_page(page, label):
    """What the sweep finds wrong on the page now shown, one line each."""
    page.wait_for_load_state("load")
    page.evaluate(AXE_SOURCE)
    checked = page.evaluate(CHECKS, AXE_TAGS)
    found = []
    if checked["scrollWidth"] > checked["innerWidth"]:
        wide, screen = checked["scrollWidth"], checked["innerWidth"]
        found.append(f"{label}: {wide} px wide on a {screen} px screen ({checked['wide']})")
    found += [f"{label}: tap target too small: {small}" for small in checked["small"]]
    found += [f"{label}: axe {violation}" for violation in checked["violations"]]
    return found
