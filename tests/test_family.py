"""What a family sees: their own child's star, targets and reviews, their view and rating — and
nothing of anyone else's child. Also the sign-in throttle every account shares."""

import json
import re
import uuid
from datetime import date, datetime, timedelta, timezone

import pytest
from conftest import PASSWORD_HASH, row_counts
from marshmallow import ValidationError

from outcomes import family as family_domain
from outcomes import reviews, users

TODAY = date.today()
SLT = ["attention", "understanding", "talking", "speech_sounds", "social_communication", "eating_drinking"]
PHYSIO = ["getting_about", "balance", "posture", "strength", "comfort", "play_sport"]


def submit(
    db, practitioner, child, service, days_ago, scores, notes="", internal_notes="", submit=True, targets=()
):
    """Store a review through the same function the form and the API use; returns its id."""
    saved, _ = reviews.save_review(
        db,
        practitioner,
        {
            "uuid": uuid.uuid4(),
            "child_id": child,
            "service": service,
            "date": TODAY - timedelta(days=days_ago),
            "readings": {
                key: {"score": score, "not_assessed_reason": None if score is not None else "Not seen today"}
                for key, score in scores.items()
            },
            "targets": [dict(target, due_date=None) for target in targets],
            "target_outcomes": [],
            "notes": notes,
            "internal_notes": internal_notes,
            "submit": submit,
        },
    )
    return saved["id"]


@pytest.fixture
def story(db, world):
    """Amy (linked to Pat) has two SLT reviews and one physio review; Bob and Cat are other families'."""
    s = world
    s.amy_first = submit(
        db,
        world.slt,
        world.amy,
        "slt",
        200,
        dict(zip(SLT, [2, 3, 2, 3, 2, 4], strict=False)),
        notes="First meeting with Amy and her dad.",
    )
    s.amy_latest = submit(
        db,
        world.slt,
        world.amy,
        "slt",
        5,
        dict(zip(SLT, [4, 5, 3, 6, 4, 7], strict=False)),
        notes="Amy asked for a drink with two words.",
        internal_notes="STAFF ONLY: referral to safeguarding discussed.",
        targets=[
            {"domain": "talking", "description": "Uses three-word phrases at snack time.", "target_score": 6}
        ],
    )
    s.amy_draft = submit(
        db,
        world.slt,
        world.amy,
        "slt",
        1,
        dict(zip(SLT, [9] * 6, strict=False)),
        notes="DRAFT NOTE not yet shared",
        submit=False,
    )
    s.amy_physio = submit(db, world.physio, world.amy, "physio", 40, dict(zip(PHYSIO, [5] * 6, strict=False)))
    s.cat_review = submit(
        db,
        world.physio,
        world.cat,
        "physio",
        3,
        dict(zip(PHYSIO, [6] * 6, strict=False)),
        notes="Private note about Cat",
    )
    s.bob_review = submit(
        db,
        world.slt,
        world.bob,
        "slt",
        4,
        dict(zip(SLT, [5] * 6, strict=False)),
        notes="Private note about Bob",
    )
    return s


@pytest.fixture
def family(client, auth, story):
    auth.login("family@test.example")
    return client


def chart_data(page, key):
    block = re.search(
        rf'<script type="application/json" id="star-data-{key}">(.*?)</script>', page.text, re.S
    )
    return json.loads(block.group(1))


# A loaded FamilyViewSchema's free text, left blank.
FFT = {"what_was_good": "", "could_be_better": ""}


def view_form(**fields):
    return {"answer": "good", "comment": "", **fields}


def post_view(client, auth, review_id, data):
    return client.post(
        f"/family/reviews/{review_id}/view",
        data=dict(data, csrf_token=auth.csrf(f"/family/reviews/{review_id}/view")),
    )


# --- What the family sees -------------------------------------------------------------------


def test_one_linked_child_opens_straight_on_their_page(family, story):
    home = family.get("/family/")
    assert home.status_code == 302 and home.location.endswith(f"/family/children/{story.amy}")


def test_two_linked_children_have_a_switcher(family, story, db):
    db["family_links"].insert({"user_id": story.family, "child_id": story.bob})
    home = family.get("/family/")
    assert "Amy Able" in home.text and "Bob Brown" in home.text
    page = family.get(f"/family/children/{story.bob}")
    switcher = re.search(r'<nav class="switcher".*?</nav>', page.text, re.S).group(0)
    assert f'href="/family/children/{story.amy}"' in switcher and 'aria-current="page">Bob' in switcher
    assert "Private note about Bob" in page.text


def test_child_page_shows_the_star_first_and_latest_with_descriptions_and_stages(family, story):
    page = family.get(f"/family/children/{story.amy}")
    assert page.status_code == 200
    slt = chart_data(page, "slt")
    assert [d["values"] for d in slt["datasets"]] == [[2, 3, 2, 3, 2, 4], [4, 5, 3, 6, 4, 7]]
    assert slt["datasets"][0]["label"].startswith("First review")
    assert 'id="star-data-physio"' not in page.text  # one service at a time: the newest review's
    physio = chart_data(family.get(f"/family/children/{story.amy}?service=physio"), "physio")
    assert [d["label"].split(" (")[0] for d in physio["datasets"]] == ["Latest review"]  # her only one
    assert "How your child uses words and sentences" in page.text  # the plain-language description
    assert "Latest reading: 7 – Growing in confidence" in page.text  # eating and drinking, with its stage
    tables = re.findall(r'<table class="readings family-readings">.*?</table>', page.text, re.S)
    table = next(t for t in tables if "Communication star" in t)
    assert (TODAY - timedelta(days=200)).isoformat() in table and (
        TODAY - timedelta(days=5)
    ).isoformat() in table


def test_targets_are_in_plain_words_with_what_happens_next(family, story):
    page = family.get(f"/family/children/{story.amy}")
    assert "Uses three-word phrases at snack time." in page.text
    assert "Talking:" in page.text and "aiming for 6 (Getting there)" in page.text
    assert "Next: this is checked at the next Speech and Language Therapy review" in page.text


def test_timeline_shows_submitted_latest_reviews_and_never_internal_notes(family, story, db):
    amended = reviews.amend_review(
        db,
        story.slt,
        story.amy_first,
        {
            "readings": {key: {"score": 3, "not_assessed_reason": None} for key in SLT},
            "notes": "First meeting, corrected.",
            "internal_notes": "STAFF ONLY amended",
            "amendment_reason": "Typo",
        },
    )
    page = family.get(f"/family/children/{story.amy}")
    assert "Amy asked for a drink with two words." in page.text and "First meeting, corrected." in page.text
    for hidden in (
        "STAFF ONLY",
        "DRAFT NOTE",
        "First meeting with Amy and her dad.",
        "Private note about Cat",
        "Private note about Bob",
    ):
        assert hidden not in page.text
    assert f'id="review-{amended["id"]}"' in page.text and f'id="review-{story.amy_first}"' not in page.text
    assert chart_data(page, "slt")["datasets"][0]["values"] == [3] * 6  # the amended version counts


# --- Nobody else's child --------------------------------------------------------------------


def family_urls(app, child_id, review_id, service_key):
    """Every family route that takes an id, filled with the given ids."""
    values = {"child_id": child_id, "review_id": review_id, "service_key": service_key}
    urls = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("family.") and rule.arguments:
            assert rule.arguments <= set(values), f"teach this test about {rule.rule}"
            path = rule.rule
            for name in rule.arguments:
                path = re.sub(rf"<(?:\w+:)?{name}>", str(values[name]), path)
            urls.extend((method, path) for method in sorted(rule.methods & {"GET", "POST"}))
    return urls


def test_every_family_route_is_404_for_a_child_not_linked(app, family, auth, story, db):
    before = row_counts(db)
    walked = family_urls(app, story.cat, story.cat_review, "physio")
    assert len(walked) >= 4  # child, print, view form (GET and POST)
    token = auth.csrf("/family/")
    for method, path in walked:
        if method == "GET":
            response = family.get(path)
        else:
            response = family.post(path, data={"csrf_token": token, "rating": "5", "reading-posture": "7"})
        assert response.status_code == 404, (method, path)
        for secret in ("Cat", "Cole", "Private note about Cat", "Physiotherapy"):
            assert secret not in response.text, (method, path, secret)
    assert row_counts(db) == before


def test_drafts_superseded_versions_and_unknown_ids_are_404_too(family, story, db):
    amended = reviews.amend_review(
        db,
        story.slt,
        story.amy_first,
        {
            "readings": {key: {"score": 3, "not_assessed_reason": None} for key in SLT},
            "notes": "",
            "internal_notes": "",
            "amendment_reason": "Typo",
        },
    )
    for review_id in (story.amy_draft, story.amy_first, 999999):
        assert family.get(f"/family/reviews/{review_id}/view").status_code == 404
    assert family.get(f"/family/reviews/{amended['id']}/view").status_code == 200
    assert family.get("/family/children/999999").status_code == 404
    assert family.get(f"/family/children/{story.amy}/print/social").status_code == 404  # no such record


@pytest.mark.parametrize(
    "path", ["/caseload", "/children/{amy}", "/reviews/{review}", "/manager/", "/admin/"]
)
def test_family_never_opens_staff_pages(family, story, path):
    response = family.get(path.format(amy=story.amy, review=story.amy_latest))
    assert response.status_code in (403, 404)
    assert "STAFF ONLY" not in response.text


def test_family_never_sees_another_familys_view(family, auth, story, db):
    other = users.create_user(db, "grandma@test.example", "Gran", "family", password_hash=PASSWORD_HASH)
    db["family_links"].insert({"user_id": other, "child_id": story.amy})
    family_domain.save_view(
        db,
        other,
        story.amy_latest,
        {**FFT, "answer": "very_poor", "comment": "Comment from Gran", "readings": {"talking": 9}},
    )
    page = family.get(f"/family/children/{story.amy}")
    assert "Comment from Gran" not in page.text
    assert len(chart_data(page, "slt")["datasets"]) == 2  # Gran's view is not drawn as Pat's
    form = family.get(f"/family/reviews/{story.amy_latest}/view")
    assert "Comment from Gran" not in form.text and 'value="9" selected' not in form.text


# --- The family's view ----------------------------------------------------------------------


def test_family_records_a_view_and_the_practitioner_sees_it(client, family, auth, story, db):
    saved = post_view(
        family,
        auth,
        story.amy_latest,
        view_form(
            answer="good",
            what_was_good="Ideas we can use at home",
            comment="She talks more at home too.",
            **{"reading-talking": "5", "reading-attention": "6", "reading-speech_sounds": ""},
        ),
    )
    assert saved.status_code == 302
    page = family.get(f"/family/children/{story.amy}")
    datasets = chart_data(page, "slt")["datasets"]
    assert len(datasets) == 3 and datasets[2]["label"].startswith("Your view")
    assert datasets[2]["values"] == [6, None, 5, None, None, None]
    assert "Your view:</strong> Good" in page.text and "She talks more at home too." in page.text
    view = db.execute(
        "SELECT user_id, fft_answer, rating, what_was_good, comment, date(created_at) FROM family_views"
    ).fetchone()
    assert view == (
        story.family,
        "good",
        4,  # kept as 4 on the 1–5 scale of the mean satisfaction
        "Ideas we can use at home",
        "She talks more at home too.",
        datetime.now(timezone.utc).date().isoformat(),
    )
    assert db["family_view_readings"].count == 2  # blank readings are not stored

    auth.logout()
    auth.login("slt@test.example")
    staff_page = client.get(f"/children/{story.amy}")
    assert "<h3>Family's view</h3>" in staff_page.text and "She talks more at home too." in staff_page.text
    assert "rated the service good" in staff_page.text and "Pat Parent" in staff_page.text
    # The FFT free text goes to the anonymous comments page, not beside the child's name.
    assert "Ideas we can use at home" not in staff_page.text
    staff_chart = chart_data(staff_page, "slt")["datasets"]
    assert len(staff_chart) == 3 and staff_chart[2]["values"] == [6, None, 5, None, None, None]


def test_resaving_within_the_window_replaces_the_view(family, auth, story, db):
    post_view(family, auth, story.amy_latest, view_form(answer="poor", **{"reading-talking": "3"}))
    post_view(
        family,
        auth,
        story.amy_latest,
        view_form(
            answer="dont_know",
            could_be_better="Later visits",
            comment="Changed my mind",
            **{"reading-attention": "8"},
        ),
    )
    assert db.execute(
        "SELECT count(*), fft_answer, rating, could_be_better, comment FROM family_views"
    ).fetchone() == (1, "dont_know", None, "Later visits", "Changed my mind")
    assert family_domain.view_of(db, story.family, story.amy_latest)["readings"] == {"attention": 8}
    form = family.get(f"/family/reviews/{story.amy_latest}/view")
    assert 'value="8" selected' in form.text and 'value="dont_know" checked' in form.text
    assert "Later visits</textarea>" in form.text


@pytest.mark.parametrize(
    ("field", "changes", "message"),
    [
        ("answer", {"answer": "5"}, "Choose one of the answers, from “Very good” to “Don&#39;t know”."),
        (
            "answer",
            {"answer": "excellent"},
            "Choose one of the answers, from “Very good” to “Don&#39;t know”.",
        ),
        (
            "answer",
            {"answer": ""},
            "Say how your experience of the service was (or choose “Don&#39;t know”).",
        ),
        ("what_was_good", {"what_was_good": "x" * 2001}, "Keep this under 2,000 characters."),
        ("could_be_better", {"could_be_better": "x" * 2001}, "Keep this under 2,000 characters."),
        ("readings-talking", {"reading-talking": "0"}, "Choose a reading from 1 to 10, or leave it blank."),
        ("readings-talking", {"reading-talking": "11"}, "Choose a reading from 1 to 10, or leave it blank."),
        (
            "readings-talking",
            {"reading-talking": "lots"},
            "A reading is a whole number on the star&#39;s scale.",
        ),
        ("comment", {"comment": "x" * 2001}, "Keep the comment under 2,000 characters."),
    ],
)
def test_bad_view_names_the_field_and_writes_nothing(family, auth, story, db, field, changes, message):
    before = row_counts(db)
    page = post_view(family, auth, story.amy_latest, view_form(**changes))
    assert page.status_code == 422
    assert message in page.text and f'id="{field}-error"' in page.text
    assert row_counts(db) == before


def test_view_window_closes_30_days_after_the_review(family, auth, story, db):
    on_the_day = submit(db, story.slt, story.bob, "slt", 30, dict(zip(SLT, [5] * 6, strict=False)))
    too_late = submit(db, story.slt, story.amy, "slt", 31, dict(zip(SLT, [5] * 6, strict=False)))
    db["family_links"].insert({"user_id": story.family, "child_id": story.bob})
    before = row_counts(db)
    form = family.get(f"/family/reviews/{too_late}/view")
    assert "ended on" in form.text and '<form method="post" novalidate' not in form.text
    refused = post_view(family, auth, too_late, view_form())
    assert refused.status_code == 422
    assert "up to 30 days after a review" in refused.text and 'id="review_id-error"' in refused.text
    assert row_counts(db) == before
    assert post_view(family, auth, on_the_day, view_form()).status_code == 302
    page = family.get(f"/family/children/{story.amy}")
    assert f'href="/family/reviews/{too_late}/view"' not in page.text
    assert f'href="/family/reviews/{story.amy_latest}/view"' in page.text


def test_save_view_refuses_other_childrens_reviews_and_old_ones(db, story):
    data = {**FFT, "answer": "neither", "comment": "", "readings": {}}
    before = row_counts(db)
    with pytest.raises(ValidationError) as other_child:
        family_domain.save_view(db, story.family, story.cat_review, data)
    assert other_child.value.messages == {
        "review_id": ["This is not a review of a child linked to your account."]
    }
    with pytest.raises(ValidationError) as late:
        family_domain.save_view(db, story.family, story.amy_latest, data, today=TODAY + timedelta(days=26))
    assert list(late.value.messages) == ["review_id"]
    with pytest.raises(ValidationError) as unknown:
        family_domain.save_view(db, story.family, story.amy_latest, dict(data, readings={"getting_about": 5}))
    assert unknown.value.messages == {
        "readings": {"getting_about": ["Unknown area for the Communication star."]}
    }
    assert row_counts(db) == before
    family_domain.save_view(db, story.family, story.amy_latest, data, today=TODAY + timedelta(days=25))
    assert db["family_views"].count == 1


def test_view_follows_an_amended_review(family, auth, story, db):
    post_view(family, auth, story.amy_latest, view_form(answer="neither", comment="Kept"))
    amended = reviews.amend_review(
        db,
        story.slt,
        story.amy_latest,
        {
            "readings": {key: {"score": 5, "not_assessed_reason": None} for key in SLT},
            "notes": "",
            "internal_notes": "",
            "amendment_reason": "Corrected",
        },
    )
    assert family_domain.view_of(db, story.family, amended["id"])["comment"] == "Kept"
    assert "Kept" in family.get(f"/family/children/{story.amy}").text


def test_print_page_has_one_star_its_table_and_targets(family, story):
    page = family.get(f"/family/children/{story.amy}/print/slt")
    assert page.status_code == 200
    assert page.text.count('class="star-chart"') == 1 and "star-data-slt" in page.text
    assert "Readings over time" in page.text and "Uses three-word phrases at snack time." in page.text
    assert "Physiotherapy" not in page.text.split("<main", 1)[1]


def test_admin_sees_the_familys_view_too(client, auth, story, db):
    family_domain.save_view(
        db,
        story.family,
        story.amy_latest,
        {**FFT, "answer": "poor", "comment": "Too short a visit", "readings": {"talking": 3}},
    )
    auth.login("admin@test.example")
    page = client.get(f"/children/{story.amy}")
    assert page.status_code == 200
    assert "Too short a visit" in page.text and "rated the service poor" in page.text
    assert len(chart_data(page, "slt")["datasets"]) == 3


# --- One service at a time ------------------------------------------------------------------


def test_the_page_opens_on_the_service_with_the_newest_review_and_switches_without_javascript(
    family, story, db
):
    page = family.get(f"/family/children/{story.amy}")
    switcher = re.search(r'<nav class="switcher service-switcher".*?</nav>', page.text, re.S).group(0)
    assert 'aria-current="page">Speech and Language Therapy' in switcher  # SLT 5 days ago, physio 40
    assert f'href="/family/children/{story.amy}?service=physio"' in switcher
    assert 'id="star-data-slt"' in page.text and 'id="star-data-physio"' not in page.text
    assert "Amy asked for a drink with two words." in page.text
    assert f'id="review-{story.amy_physio}"' not in page.text  # the reviews listed are this service's

    physio = family.get(f"/family/children/{story.amy}?service=physio")  # a plain link: no script needed
    assert 'aria-current="page">Physiotherapy' in physio.text
    assert 'id="star-data-physio"' in physio.text and 'id="star-data-slt"' not in physio.text
    assert f'id="review-{story.amy_physio}"' in physio.text

    submit(db, story.physio, story.amy, "physio", 1, dict(zip(PHYSIO, [6] * 6, strict=False)))
    newest = family.get(f"/family/children/{story.amy}")
    assert 'id="star-data-physio"' in newest.text and 'id="star-data-slt"' not in newest.text

    before = row_counts(db)
    for bad in ("social", "nope", ""):  # a service with no record of her, or none at all
        response = family.get(f"/family/children/{story.amy}?service={bad}")
        assert response.status_code == (200 if bad == "" else 404)
    assert row_counts(db) == before


def test_add_your_view_is_near_the_top_while_a_view_is_due(family, story, auth):
    page = family.get(f"/family/children/{story.amy}?service=physio").text
    due = page.index('id="heading-views-due"')
    # The SLT review of 5 days ago waits for a view, offered above the star even on physio's page.
    assert page.index('class="service-section"') > due
    assert f'href="/family/reviews/{story.amy_latest}/view"' in page[due : page.index("</ul>", due)]
    assert f'href="/family/reviews/{story.amy_physio}/view"' not in page[due : page.index("</ul>", due)]
    assert post_view(family, auth, story.amy_latest, view_form(rating="5")).status_code == 302
    assert 'id="heading-views-due"' not in family.get(f"/family/children/{story.amy}").text
