"""The practitioner's flow through the server-rendered pages: caseload, review form, star, amendments."""

import json
import re

import pytest
from conftest import PASSWORD_HASH, row_counts

from outcomes import stars, users

SLT_DOMAINS = [
    "attention",
    "understanding",
    "talking",
    "speech_sounds",
    "social_communication",
    "eating_drinking",
]


def form_for(client, path):
    """The fields a browser would send back from the form at `path` (hidden inputs and defaults)."""
    page = client.get(path)
    assert page.status_code == 200
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
    date_field = re.search(r'name="date" value="([^"]+)"', page.text)
    if date_field:
        fields["date"] = date_field.group(1)
    return fields


def fill(fields, scores, **extra):
    data = dict(fields)
    data.update({f"reading-{key}": str(score) for key, score in scores.items()})
    data.update(extra)
    return data


@pytest.fixture
def slt(client, auth, world):
    auth.login("slt@test.example")
    return client


def test_caseload_lists_only_children_of_her_services(slt, world):
    page = slt.get("/caseload")
    assert "Amy Able" in page.text and "Bob Brown" in page.text
    assert "Cat Cole" not in page.text  # on physiotherapy's caseload only


def test_other_services_child_is_a_404_everywhere(slt, world):
    assert slt.get(f"/children/{world.cat}").status_code == 404
    assert slt.get(f"/children/{world.cat}/reviews/new?service=slt").status_code == 404
    assert slt.get(f"/children/{world.cat}/reviews/new?service=physio").status_code == 404
    assert slt.get(f"/children/{world.amy}/reviews/new?service=physio").status_code == 404


def test_child_page_shows_only_her_services_record(slt, world):
    page = slt.get(f"/children/{world.amy}")
    assert "Speech and Language Therapy" in page.text
    assert "Physiotherapy" not in page.text  # Amy is seen by physio too, but that record is not hers


def test_draft_then_submit_then_star_shows_first_and_latest(slt, world, db):
    path = f"/children/{world.amy}/reviews/new?service=slt"
    first_scores = {key: 2 + i for i, key in enumerate(SLT_DOMAINS)}
    fields = form_for(slt, path)
    data = fill(
        fields,
        first_scores,
        date="2025-03-01",
        action="draft",
        **{
            "target-0-domain": "talking",
            "target-0-description": "Asks for a drink with two words.",
            "target-0-target_score": "7",
        },
    )
    saved = slt.post(path, data=data)
    assert saved.status_code == 302 and "/edit" in saved.location
    assert db.execute("SELECT status FROM reviews").fetchone()[0] == "draft"

    # She comes back to the draft: her readings and target are still there, then she submits.
    edit = slt.get(saved.location)
    assert 'value="4" checked' in edit.text
    assert "Asks for a drink with two words." in edit.text
    submitted = slt.post(saved.location, data=dict(data, action="submit"))
    assert submitted.status_code == 302
    assert db.execute("SELECT status, count(*) FROM reviews").fetchone() == ("submitted", 1)

    # Second review closes the due target with the suggested outcome pre-filled.
    latest_scores = {key: 5 + i % 3 for i, key in enumerate(SLT_DOMAINS)}
    fields = form_for(slt, path)
    target_id = db.execute("SELECT id FROM targets").fetchone()[0]
    draft = slt.post(path, data=fill(fields, latest_scores, action="draft"))
    edit = slt.get(draft.location)
    # talking was 4 at the start, now 7 = the target reading: suggested "met".
    assert re.search(rf'id="outcome-{target_id}"[^>]*>.*?<option value="0" selected>', edit.text, re.S)
    slt.post(
        draft.location, data=fill(fields, latest_scores, action="submit", **{f"outcome-{target_id}": "met"})
    )
    assert db.execute("SELECT outcome FROM target_outcomes").fetchone()[0] == "met"

    page = slt.get(f"/children/{world.amy}")
    chart = json.loads(
        re.search(
            r'<script type="application/json" id="star-data-slt">(.*?)</script>', page.text, re.S
        ).group(1)
    )
    assert chart["datasets"][0]["values"] == [first_scores[k] for k in SLT_DOMAINS]
    assert chart["datasets"][1]["values"] == [latest_scores[k] for k in SLT_DOMAINS]
    assert "Readings over time" in page.text and "No open targets." in page.text
    assert "Growing in confidence" in page.text  # stage names beside the numbers


def test_form_bad_input_is_reshown_with_the_field_named_and_nothing_saved(slt, world, db):
    path = f"/children/{world.amy}/reviews/new?service=slt"
    fields = form_for(slt, path)
    scores = {key: 5 for key in SLT_DOMAINS if key != "talking"}
    before = row_counts(db)
    response = slt.post(
        path,
        data=fill(
            fields,
            scores,
            action="submit",
            **{"reading-speech_sounds": "na"},
            **{"target-0-description": "Says more words", "target-0-target_score": "15"},
        ),
    )
    assert response.status_code == 422
    assert "There is a problem" in response.text
    assert 'id="readings-talking-error"' in response.text
    assert 'id="readings-speech_sounds-error"' in response.text
    assert 'id="targets-0-target_score-error"' in response.text
    assert 'value="5" checked' in response.text  # what she entered is kept
    assert row_counts(db) == before


def test_not_assessed_with_a_reason_is_accepted(slt, world, db):
    path = f"/children/{world.amy}/reviews/new?service=slt"
    scores = {key: 5 for key in SLT_DOMAINS if key != "eating_drinking"}
    data = fill(
        form_for(slt, path),
        scores,
        action="submit",
        **{"reading-eating_drinking": "na", "reason-eating_drinking": "Not observed at school visit"},
    )
    assert slt.post(path, data=data).status_code == 302
    row = db.execute(
        "SELECT score, not_assessed_reason FROM readings rd JOIN domains d ON d.id = rd.domain_id "
        "WHERE d.key = 'eating_drinking'"
    ).fetchone()
    assert row == (None, "Not observed at school visit")


def submit_review(client, child_id, scores, when):
    path = f"/children/{child_id}/reviews/new?service=slt"
    return client.post(path, data=fill(form_for(client, path), scores, date=when, action="submit"))


def test_amendment_is_a_new_version_and_the_old_one_stays(slt, world, db):
    submit_review(slt, world.amy, {key: 3 for key in SLT_DOMAINS}, "2025-06-01")
    review_id = db.execute("SELECT id FROM reviews").fetchone()[0]
    amend_path = f"/reviews/{review_id}/amend"

    form = fill(form_for(slt, amend_path), {key: 4 for key in SLT_DOMAINS})  # opening it is audited
    before = row_counts(db)
    no_reason = slt.post(amend_path, data=form)
    assert no_reason.status_code == 422 and 'id="amendment_reason-error"' in no_reason.text
    assert row_counts(db) == before

    response = slt.post(
        amend_path,
        data=fill(
            form_for(slt, amend_path),
            {key: 4 for key in SLT_DOMAINS},
            amendment_reason="Scored from the wrong session notes",
        ),
    )
    assert response.status_code == 302
    versions = db.execute(
        "SELECT version, is_latest, amendment_reason FROM reviews ORDER BY version"
    ).fetchall()
    assert versions == [(1, 0, None), (2, 1, "Scored from the wrong session notes")]
    old_scores = {row[0] for row in db.execute("SELECT score FROM readings WHERE review_id = ?", [review_id])}
    assert old_scores == {3}  # the old version's readings are kept as they were

    page = slt.get(f"/children/{world.amy}")
    assert "Superseded" in page.text and "Scored from the wrong session notes" in page.text
    chart = json.loads(re.search(r'id="star-data-slt">(.*?)</script>', page.text, re.S).group(1))
    assert (
        chart["datasets"][-1]["values"] == [4] * 6 and len(chart["datasets"]) == 1
    )  # the amended version counts, once
    old_page = slt.get(f"/reviews/{review_id}")
    assert old_page.status_code == 200 and "Superseded by a later version" in old_page.text
    assert "Amend this review" not in old_page.text  # only the latest version can be amended
    assert (
        slt.post(
            amend_path,
            data=fill(
                form_for(slt, f"/reviews/{review_id + 1}/amend"),
                {k: 5 for k in SLT_DOMAINS},
                amendment_reason="again",
            ),
        ).status_code
        == 422
    )


def test_staff_reads_of_a_child_are_audited(slt, world, db):
    slt.get(f"/children/{world.amy}")
    rows = db.execute("SELECT user_id, action, child_id FROM audit_log").fetchall()
    assert (world.slt, "view child record", world.amy) in rows


def test_refused_read_of_another_child_is_not_audited_as_a_view(slt, world, db):
    slt.get(f"/children/{world.cat}")
    assert db.execute("SELECT count(*) FROM audit_log WHERE child_id = ?", [world.cat]).fetchone()[0] == 0


def test_family_and_manager_cannot_open_staff_pages(client, auth, world):
    for email in ("family@test.example", "manager@test.example"):
        auth.login(email)
        assert client.get(f"/children/{world.amy}").status_code == 403
        assert client.get("/caseload").status_code == 403
        auth.logout()


def test_signed_out_visitor_is_sent_to_sign_in(client, world):
    response = client.get(f"/children/{world.amy}")
    assert response.status_code == 302 and "/login" in response.location


def test_form_without_csrf_token_is_refused(slt, world, db):
    path = f"/children/{world.amy}/reviews/new?service=slt"
    fields = form_for(slt, path)
    fields.pop("csrf_token")
    before = row_counts(db)
    response = slt.post(path, data=fill(fields, {key: 5 for key in SLT_DOMAINS}, action="submit"))
    assert response.status_code == 400 and "expired" in response.text
    assert row_counts(db) == before


def test_caseload_shows_when_the_next_review_is_due(slt, world):
    submit_review(slt, world.amy, {key: 5 for key in SLT_DOMAINS}, "2025-01-01")
    page = slt.get("/caseload")
    # 2025-01-01 + 182 days
    assert "2025-07-02" in page.text and "Overdue" in page.text
    # The last review the UK way, like every other date on the page; the name links to the child.
    assert '<time datetime="2025-01-01">1 January 2025</time>' in page.text
    assert f'href="/children/{world.amy}"' in page.text


@pytest.mark.parametrize("service", ["slt", "physio", "ot", "social"])
def test_every_service_reviews_on_its_own_star(client, auth, world, db, service):
    user = users.create_user(
        db, f"{service}-2@test.example", "Another practitioner", "practitioner", password_hash=PASSWORD_HASH
    )
    db["memberships"].insert({"user_id": user, "service_id": world.services[service], "role": "practitioner"})
    if service != "slt":  # Bob is already on the SLT caseload
        db["caseloads"].insert(
            {"child_id": world.bob, "service_id": world.services[service], "started_on": "2025-01-01"}
        )
    star = stars.load_version(db, stars.current_version_id(db, world.services[service]))
    keys = [domain["key"] for domain in star["domains"]]
    assert 6 <= len(keys) <= 10
    assert all(domain["description"].endswith(".") for domain in star["domains"])
    auth.login(f"{service}-2@test.example")
    path = f"/children/{world.bob}/reviews/new?service={service}"
    assert star["domains"][0]["description"] in client.get(path).text
    response = client.post(path, data=fill(form_for(client, path), {key: 6 for key in keys}, action="submit"))
    assert response.status_code == 302
    page = client.get(f"/children/{world.bob}")
    chart = json.loads(re.search(rf'id="star-data-{service}">(.*?)</script>', page.text, re.S).group(1))
    assert chart["labels"] == [domain["label"] for domain in star["domains"]]
    assert chart["datasets"][-1]["values"] == [6] * len(keys)
