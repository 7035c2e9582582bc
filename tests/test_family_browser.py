"""Families on a phone (390x844), in real headless Chromium against the live demo server."""

import re
import uuid
from datetime import date, timedelta

import pytest
from conftest import PHONE, TABLET, axe_violations, sign_in

from outcomes import family, reviews, stars
from outcomes.db import connect

SCORES = [3, 4, 5, 6, 7, 8]
FAMILY_SCORES = {0: 6, 2: 4, 5: 9}  # the parent leaves the other areas blank


@pytest.fixture
def recent_review(live_server):
    """A counted SLT review of the family's first child from two days ago, so the 30-day window is open."""
    db = connect(live_server.app.config["DATABASE"])
    family_id = db.execute("SELECT id FROM users WHERE email = 'family@demo.test'").fetchone()[0]
    child_id = db.execute("SELECT min(child_id) FROM family_links WHERE user_id = ?", [family_id]).fetchone()[
        0
    ]
    slt = db.execute("SELECT id FROM users WHERE email = 'slt@demo.test'").fetchone()[0]
    service_id = db.execute("SELECT id FROM services WHERE key = 'slt'").fetchone()[0]
    star = stars.load_version(db, stars.current_version_id(db, service_id))
    keys = [domain["key"] for domain in star["domains"]]
    saved, _ = reviews.save_review(
        db,
        slt,
        {
            "uuid": uuid.uuid4(),
            "child_id": child_id,
            "service": "slt",
            "date": date.today() - timedelta(days=2),
            "readings": {
                key: {"score": score, "not_assessed_reason": None}
                for key, score in zip(keys, SCORES, strict=False)
            },
            "targets": [],
            "target_outcomes": [],
            "notes": "Lovely session with mum.",
            "internal_notes": "STAFF ONLY: not for the family",
            "submit": True,
        },
    )
    name = " ".join(
        db.execute("SELECT given_name, family_name FROM children WHERE id = ?", [child_id]).fetchone()
    )
    db.close()
    return {"id": saved["id"], "child_id": child_id, "keys": keys, "name": name}


def datasets(page, canvas_id):
    """The radar's datasets but the child's own view (the demo gives one at some reviews:
    tests/test_child_view_browser.py reads it)."""
    page.wait_for_selector(
        f"#{canvas_id}[data-drawn]", state="attached"
    )  # drawn just after the page is painted
    return page.evaluate(
        f"Chart.getChart(document.getElementById('{canvas_id}')).data.datasets"
        ".map(d => ({label: d.label, data: d.data}))"
        '.filter(d => !d.label.startsWith("Child\'s own view"))'
    )


def test_family_adds_their_view_on_a_phone_and_the_practitioner_sees_it(browser, live_server, recent_review):
    base = live_server.url
    phone = browser.new_context(viewport=PHONE)
    page = phone.new_page()
    sign_in(page, base, "family@demo.test")
    page.wait_for_url(f"{base}/family/")
    page.click(f"a[href='/family/children/{recent_review['child_id']}']")
    page.wait_for_url(f"{base}/family/children/{recent_review['child_id']}")
    assert recent_review["name"] in page.text_content("h1")
    before = datasets(page, "star-slt")
    assert [d["label"].split(" (")[0] for d in before] == ["First review", "Latest review"]
    assert before[1]["data"] == SCORES
    assert "STAFF ONLY" not in page.content()
    assert (
        page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    )  # no sideways scroll

    page.click(f"a[href='/family/reviews/{recent_review['id']}/view']")
    page.wait_for_url(f"{base}/family/reviews/{recent_review['id']}/view")
    for index, score in FAMILY_SCORES.items():
        page.select_option(f"#reading-{recent_review['keys'][index]}", str(score))
    page.click("label[for='answer-good']")
    page.fill("#comment", "She is chatting more at home.")
    assert axe_violations(page) == []
    page.click("button:has-text('Save your view')")
    page.wait_for_url(
        re.compile(rf".*/family/children/{recent_review['child_id']}#review-{recent_review['id']}$")
    )
    assert "Your view is saved" in page.text_content(".flash")

    after = datasets(page, "star-slt")
    assert len(after) == 3
    assert [d["label"].split(" (")[0] for d in after] == ["First review", "Latest review", "Your view"]
    assert after[1]["data"] == SCORES
    assert after[2]["data"] == [FAMILY_SCORES.get(index) for index in range(len(SCORES))]
    assert axe_violations(page) == []
    phone.close()

    staff = browser.new_context(viewport=TABLET)
    page = staff.new_page()
    sign_in(page, base, "slt@demo.test")
    page.wait_for_url(f"{base}/caseload")
    page.goto(f"{base}/children/{recent_review['child_id']}")
    view = page.locator(".family-view").first
    assert "She is chatting more at home." in view.text_content()
    assert "rated the service good" in view.text_content()
    staff_chart = datasets(page, "star-slt")
    assert staff_chart[2]["label"].startswith("Family's view")
    assert staff_chart[2]["data"] == after[2]["data"]
    staff.close()


def test_parent_with_two_children_switches_and_prints_one_a4_page(browser, live_server, recent_review):
    # The fullest page the demo makes: the newest review and a family view as well.
    db = connect(live_server.app.config["DATABASE"])
    family_id = db.execute("SELECT id FROM users WHERE email = 'family@demo.test'").fetchone()[0]
    family.save_view(
        db,
        family_id,
        recent_review["id"],
        {
            "answer": "very_good",
            "what_was_good": "",
            "could_be_better": "",
            "comment": "",
            "readings": {key: 5 for key in recent_review["keys"]},
        },
    )
    db.close()
    phone = browser.new_context(viewport=PHONE)
    page = phone.new_page()
    base = live_server.url
    sign_in(page, base, "family@demo.test")
    page.wait_for_url(f"{base}/family/")
    links = page.eval_on_selector_all("ul.child-list a", "els => els.map(e => e.getAttribute('href'))")
    assert len(links) == 2
    page.goto(base + links[0])
    page.click("nav.switcher a:not([aria-current])")
    page.wait_for_url(base + links[1])
    assert page.get_attribute("nav.switcher a[aria-current=page]", "href") == links[1]

    page.goto(base + links[0])
    page.goto(f"{base}/family/children/{recent_review['child_id']}")
    page.click(f"a[href='/family/children/{recent_review['child_id']}/print/slt']")
    page.wait_for_url(f"{base}/family/children/{recent_review['child_id']}/print/slt")
    page.wait_for_selector("canvas.star-chart[data-drawn]", state="attached")
    # First, latest, your view and the child's own view (the demo child gave one).
    assert (
        page.evaluate("Chart.getChart(document.querySelector('canvas.star-chart')).data.datasets.length") == 4
    )
    assert page.locator("table.readings thead th").count() == 1 + 4 + 1 + 1  # area, 4 reviews, 2 views
    page.emulate_media(media="print")
    pdf = page.pdf(format="A4", print_background=True)
    assert len(re.findall(rb"/Type\s*/Page(?!s)", pdf)) == 1  # star, readings table and targets on one page
    phone.close()


def test_practitioner_invites_a_parent_who_joins_on_a_phone(browser, live_server):
    base = live_server.url
    staff = browser.new_context(viewport=TABLET)
    page = staff.new_page()
    sign_in(page, base, "slt@demo.test")
    page.wait_for_url(f"{base}/caseload")
    page.click("table.caseload a.row-link >> nth=1")
    page.wait_for_url(re.compile(r".*/children/\d+$"))
    child_name = page.text_content("h1")
    page.click("button:has-text('Invite a parent or carer')")
    page.wait_for_url(re.compile(r".*/children/\d+/invitations$"))
    code = page.text_content("#invitation-code")
    staff.close()

    phone = browser.new_context(viewport=PHONE)
    page = phone.new_page()
    page.goto(f"{base}/login")
    page.click("text=Have an invitation code?")
    page.wait_for_url(f"{base}/family/join")
    page.fill("#code", code)
    page.fill("#name", "Jo Carer")
    page.fill("#email", "jo.carer@example.org")
    page.fill("#password", "a long sunny afternoon")
    page.fill("#confirm", "a long sunny afternoon")
    assert axe_violations(page) == []
    page.click("button:has-text('Continue')")
    page.wait_for_url(re.compile(r".*/family/children/\d+$"))
    assert page.text_content("h1") == child_name
    phone.close()
