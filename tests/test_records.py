"""Records a service can stand behind: one review per child, service and day; withdrawal of a
review entered in error; drafts that hold anything and never a target; implausible entries
refused with the field named and nothing written; messages in the form's words."""

import json
import re
from datetime import date, timedelta

import pytest
from conftest import row_counts
from test_api_reviews import SLT_DOMAINS, post, review_body

from outcomes import children, disclosure, family, importer, reviews, stars, tokens
from outcomes.targets import open_targets

TODAY = date.today()
YESTERDAY = (TODAY - timedelta(days=1)).isoformat()


@pytest.fixture
def slt_client(client, auth, world):
    auth.login("slt@test.example")
    return client


def stored(slt_client, auth, child, **overrides):
    response = post(slt_client, auth, review_body(child, **overrides))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def scores(value, **others):
    return {key: others.get(key, value) for key in SLT_DOMAINS}


# --- One review per child, service and day ------------------------------------------------------


def test_a_second_review_on_the_same_day_is_a_409_naming_the_first(slt_client, auth, world, db):
    first = stored(slt_client, auth, world.amy)
    before = row_counts(db)
    response = post(slt_client, auth, review_body(world.amy))
    assert response.status_code == 409
    body = response.get_json()
    assert body["uuid"] == first["uuid"]
    assert body["url"] == f"/reviews/{first['id']}"
    assert "already recorded" in body["error"]
    assert row_counts(db) == before


def test_resending_the_same_uuid_stays_idempotent(slt_client, auth, world, db):
    body = review_body(world.amy)
    assert post(slt_client, auth, body).status_code == 201
    assert post(slt_client, auth, body).status_code == 200
    assert db["reviews"].count == 1


def test_another_day_or_another_service_is_not_a_duplicate(client, auth, world, db):
    auth.login("slt@test.example")
    stored(client, auth, world.amy)
    stored(client, auth, world.amy, date=YESTERDAY, targets=[])
    assert db["reviews"].count == 2


def form_fields(page):
    """The review form's fields as a browser would post them (the first option of each select)."""
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page))
    fields["date"] = re.search(r'name="date" value="([^"]*)"', page).group(1)
    for key in sorted(set(re.findall(r'name="reading-(\w+)"', page))):
        fields[f"reading-{key}"] = "5"
    return fields


def test_the_form_says_a_review_of_that_day_is_already_recorded_and_links_to_it(slt_client, world, db):
    first_page = slt_client.get(f"/children/{world.amy}/reviews/new?service=slt").text
    submitted = slt_client.post(
        f"/children/{world.amy}/reviews/new?service=slt", data=dict(form_fields(first_page), action="submit")
    )
    assert submitted.status_code == 302
    [(review_id,)] = db.execute("SELECT id FROM reviews").fetchall()
    # A new form (reloaded after Back) has a new UUID: the one-a-day rule still catches it.
    page = slt_client.get(f"/children/{world.amy}/reviews/new?service=slt").text
    before = row_counts(db)
    again = slt_client.post(
        f"/children/{world.amy}/reviews/new?service=slt", data=dict(form_fields(page), action="submit")
    )
    assert again.status_code == 422
    assert "is already recorded" in again.text
    assert f'href="/reviews/{review_id}"' in again.text
    counts = row_counts(db)
    assert (counts["reviews"], counts["readings"]) == (before["reviews"], before["readings"])
    # The very same form sent twice (restored by Back) stores nothing new and says so.
    resent = slt_client.post(
        f"/children/{world.amy}/reviews/new?service=slt",
        data=dict(form_fields(first_page), action="submit"),
        follow_redirects=True,
    )
    assert "already recorded" in resent.text
    assert db["reviews"].count == 1


# --- Plausibility: each refused with the field named and nothing written -----------------------


def _with_target(slt_client, auth, world, day="2025-01-10"):
    return stored(slt_client, auth, world.amy, date=day)["targets"][0]


PLAUSIBILITY = [
    ("date", {"date": "2016-04-30"}, "before the child's date of birth"),
    ("date", {"date": "2023-12-31"}, "before the child joined the Speech and Language Therapy caseload"),
    # Two days ahead: still the future if the run goes past midnight.
    ("date", {"date": (TODAY + timedelta(days=2)).isoformat()}, "future"),
    (
        "targets.0.target_score",
        {
            "readings": scores(5, talking=6),
            "targets": [{"domain": "talking", "description": "Keeps talking.", "target_score": 5}],
        },
        "below the current reading of 6",
    ),
    (
        "targets.1.domain",
        {
            "targets": [
                {"domain": "talking", "description": "Says more.", "target_score": 8},
                {"domain": "talking", "description": "Says even more.", "target_score": 9},
            ]
        },
        "already has an open target",
    ),
    (
        "targets",
        {
            "targets": [
                {"domain": "talking", "description": f"Target {n}.", "target_score": 8} for n in range(13)
            ]
        },
        "at most 12 targets",
    ),
]


@pytest.mark.parametrize(("field", "change", "message"), PLAUSIBILITY)
def test_an_implausible_review_is_refused_naming_the_field(
    slt_client, auth, world, db, field, change, message
):
    before = row_counts(db)
    response = post(slt_client, auth, review_body(world.amy, **change))
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert message in " ".join(errors[field]), errors
    assert row_counts(db) == before


def test_a_target_may_keep_the_current_reading_shown_as_maintain(slt_client, auth, world, db):
    body = review_body(
        world.amy,
        readings=scores(5, talking=6),
        targets=[{"domain": "talking", "description": "Keeps talking.", "target_score": 6}],
    )
    review = post(slt_client, auth, body).get_json()
    page = slt_client.get(f"/reviews/{review['id']}").text
    assert "Keeps talking." in page and "target 6, maintain" in page


def test_a_second_open_target_in_a_domain_is_refused(slt_client, auth, world, db):
    _with_target(slt_client, auth, world)
    before = row_counts(db)
    response = post(slt_client, auth, review_body(world.amy))  # sets another "talking" target
    assert response.status_code == 422
    assert "already has an open target" in response.get_json()["errors"]["targets.0.domain"][0]
    assert row_counts(db) == before


def test_an_outcome_at_a_review_not_later_than_the_setting_one_is_refused(slt_client, auth, world, db):
    target = _with_target(slt_client, auth, world)
    before = row_counts(db)
    body = review_body(
        world.amy,
        date="2025-01-05",
        targets=[],
        target_outcomes=[{"target_id": target["id"], "outcome": "met"}],
    )
    response = post(slt_client, auth, body)
    assert response.status_code == 422
    message = response.get_json()["errors"]["target_outcomes.0.target_id"][0]
    assert "only a later review can record its outcome" in message
    assert row_counts(db) == before


def test_a_body_over_256_kb_is_a_413_in_json(slt_client, auth, world, db):
    before = row_counts(db)
    response = post(slt_client, auth, review_body(world.amy, notes="x" * (300 * 1024)))
    assert response.status_code == 413
    assert "256 KB" in response.get_json()["error"]
    assert row_counts(db) == before


def test_a_review_form_over_256_kb_gets_a_page_not_a_500(slt_client, auth, world, db):
    token = auth.csrf("/caseload")  # opening the caseload is an audited read
    before = row_counts(db)
    response = slt_client.post(
        f"/children/{world.amy}/reviews/new?service=slt",
        data={"csrf_token": token, "notes": "x" * (300 * 1024)},
    )
    assert response.status_code == 413
    assert "256 KB" in response.text and "<h1>" in response.text
    assert row_counts(db) == before


# --- Drafts ---------------------------------------------------------------------------------------


def test_a_draft_saves_any_subset_and_only_submitting_needs_every_domain(slt_client, auth, world, db):
    body = review_body(world.amy, submit=False, readings={"talking": 4})
    draft = post(slt_client, auth, body)
    assert draft.status_code == 201 and draft.get_json()["status"] == "draft"
    assert draft.get_json()["readings"] == {"talking": 4}
    before = row_counts(db)
    refused = post(slt_client, auth, dict(body, submit=True))
    assert refused.status_code == 422
    assert set(refused.get_json()["errors"]) == {f"readings.{k}" for k in SLT_DOMAINS if k != "talking"}
    assert row_counts(db) == before


def test_a_draft_never_holds_a_target(slt_client, auth, world, db):
    target = _with_target(slt_client, auth, world)
    draft = review_body(
        world.amy, submit=False, targets=[], target_outcomes=[{"target_id": target["id"], "outcome": "met"}]
    )
    kept = post(slt_client, auth, draft).get_json()
    # An outcome sent alone is kept at its plainest attainment level (met: 0).
    assert kept["target_outcomes"] == [
        {"target_id": target["id"], "outcome": "met", "gas_level": 0, "reason": None}
    ]
    # The target stays open, and another review may close it.
    assert [t["id"] for t in open_targets(db, world.amy, world.services["slt"])] == [target["id"]]
    assert db["targets"].count == 1 and db["target_outcomes"].count == 0
    closing = review_body(
        world.amy,
        date=YESTERDAY,
        targets=[],
        target_outcomes=[{"target_id": target["id"], "outcome": "not_met"}],
    )
    assert post(slt_client, auth, closing).status_code == 201
    # Submitting the draft now is refused: the target is closed.
    before = row_counts(db)
    response = post(slt_client, auth, dict(draft, submit=True))
    assert response.status_code == 422
    assert "not an open target" in response.get_json()["errors"]["target_outcomes.0.target_id"][0]
    assert row_counts(db) == before


def test_its_author_discards_a_draft_and_nobody_else_can(client, auth, world, db):
    auth.login("slt@test.example")
    draft = post(client, auth, review_body(world.amy, submit=False)).get_json()
    auth.logout()
    auth.login("admin@test.example")
    assert client.delete(f"/api/v1/reviews/{draft['uuid']}", headers=auth.headers()).status_code == 404
    auth.logout()
    auth.login("slt@test.example")
    assert client.delete(f"/api/v1/reviews/{draft['uuid']}", headers=auth.headers()).status_code == 204
    assert db["reviews"].count == 0 and db["readings"].count == 0
    assert "discard draft review" in [row[0] for row in db.execute("SELECT action FROM audit_log")]


def test_a_submitted_review_cannot_be_discarded(slt_client, auth, world, db):
    review = stored(slt_client, auth, world.amy)
    before = row_counts(db)
    assert slt_client.delete(f"/api/v1/reviews/{review['uuid']}", headers=auth.headers()).status_code == 404
    assert row_counts(db) == before


def test_the_discard_button_asks_first(slt_client, auth, world, db):
    draft = post(slt_client, auth, review_body(world.amy, submit=False)).get_json()
    page = slt_client.get(f"/reviews/{draft['id']}/discard")
    assert "Discard the Speech and Language Therapy draft" in page.text
    assert db["reviews"].count == 1
    done = slt_client.post(f"/reviews/{draft['id']}/discard", data={"csrf_token": auth.csrf("/caseload")})
    assert done.status_code == 302 and db["reviews"].count == 0


# --- Withdrawal -----------------------------------------------------------------------------------


def withdraw(client, auth, review_uuid, reason="Entered for the wrong child"):
    return client.post(
        f"/api/v1/reviews/{review_uuid}/withdrawal", json={"reason": reason}, headers=auth.headers()
    )


def test_a_withdrawn_review_stops_counting_and_stays_in_the_history(slt_client, auth, world, db):
    first = stored(slt_client, auth, world.amy, date="2025-01-10", readings=scores(3))
    target = first["targets"][0]
    second = stored(
        slt_client,
        auth,
        world.amy,
        date=YESTERDAY,
        readings=scores(7),
        targets=[],
        target_outcomes=[{"target_id": target["id"], "outcome": "met"}],
    )
    slt = world.services["slt"]
    assert children.star_over_time(db, world.amy, slt)["latest"]["scores"][0] == 7
    response = withdraw(slt_client, auth, second["uuid"])
    assert response.status_code == 200
    assert response.get_json()["withdrawn"]["reason"] == "Entered for the wrong child"
    # The star and the family's timeline no longer count it; its outcome's target re-opens.
    assert children.star_over_time(db, world.amy, slt)["latest"]["scores"][0] == 3
    assert [r["date"] for r in family.timeline(db, world.family, world.amy)] == ["2025-01-10"]
    assert [t["id"] for t in open_targets(db, world.amy, slt)] == [target["id"]]
    # History keeps it, marked, with the outcome it had recorded.
    page = slt_client.get(f"/reviews/{second['id']}").text
    assert "Withdrawn" in page and "Entered for the wrong child" in page and "Sally SLT" in page
    assert "re-opened when this review was withdrawn" in page
    assert "Withdraw this review" not in page and "Amend this review" not in page
    history = slt_client.get(f"/children/{world.amy}").text
    assert "Withdrawn</span> Entered for the wrong child" in history
    assert db.execute("SELECT count(*) FROM audit_log WHERE action = 'withdraw review'").fetchone()[0] == 1


def test_targets_a_withdrawn_review_set_are_withdrawn(slt_client, auth, world, db):
    first = stored(slt_client, auth, world.amy, date="2025-01-10")
    withdraw(slt_client, auth, first["uuid"])
    assert open_targets(db, world.amy, world.services["slt"]) == []
    # Its domain is free for a new target.
    assert stored(slt_client, auth, world.amy)["targets"][0]["domain"] == "talking"


def test_only_the_author_or_an_admin_withdraws(client, auth, world, db):
    auth.login("slt@test.example")
    review = post(client, auth, review_body(world.amy)).get_json()
    auth.logout()
    auth.login("physio@test.example")
    before = row_counts(db)
    assert withdraw(client, auth, review["uuid"]).status_code == 404
    assert row_counts(db) == before
    auth.logout()
    auth.login("admin@test.example")
    assert withdraw(client, auth, review["uuid"]).status_code == 200
    assert db.execute("SELECT withdrawn_by FROM reviews").fetchone()[0] == world.admin


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "x" * 1001}])
def test_a_withdrawal_needs_a_reason(slt_client, auth, world, db, body):
    review = stored(slt_client, auth, world.amy)
    before = row_counts(db)
    response = slt_client.post(
        f"/api/v1/reviews/{review['uuid']}/withdrawal", json=body, headers=auth.headers()
    )
    assert response.status_code == 422
    assert "reason" in response.get_json()["errors"]
    assert row_counts(db) == before


def test_the_withdraw_button_asks_for_a_reason_first(slt_client, auth, world, db):
    review = stored(slt_client, auth, world.amy)
    page = slt_client.get(f"/reviews/{review['id']}").text
    assert f'href="/reviews/{review["id"]}/withdraw"' in page
    csrf = auth.csrf("/caseload")
    refused = slt_client.post(f"/reviews/{review['id']}/withdraw", data={"csrf_token": csrf, "reason": ""})
    assert refused.status_code == 422 and "Why it is withdrawn" in refused.text
    assert db.execute("SELECT withdrawn_at FROM reviews").fetchone()[0] is None
    done = slt_client.post(
        f"/reviews/{review['id']}/withdraw", data={"csrf_token": csrf, "reason": "Duplicate"}
    )
    assert done.status_code == 302
    assert db.execute("SELECT withdrawn_reason FROM reviews").fetchone()[0] == "Duplicate"


def test_withdrawing_changes_the_feeds_figures_as_worked_out_by_hand(
    client, auth, world, db, app, monkeypatch
):
    # Two SLT reviews of Amy in 2025-26 Q1 (April to June 2025), a target set at the first and
    # met at the second. By hand: 2 reviews, 1 target closed, met: 100%. Withdraw the second:
    # 1 review, no target closed (its outcome re-opens the target): pct_targets_met None.
    auth.login("slt@test.example")
    stored(client, auth, world.amy, date="2025-04-10", readings=scores(3))
    target_id = db.execute("SELECT id FROM targets").fetchone()[0]
    second = stored(
        client,
        auth,
        world.amy,
        date="2025-06-10",
        readings=scores(6),
        targets=[],
        target_outcomes=[{"target_id": target_id, "outcome": "met"}],
    )
    # Figures this small are withheld by every real policy: here they are published as they are.
    open_policy = disclosure.Policy("open", withhold_below=1, round_to=1, secondary=False)
    monkeypatch.setitem(disclosure.POLICIES, "open", open_policy)
    app.config["DISCLOSURE_POLICY"] = "open"
    token = tokens.create_token(db, "BI tool")

    def slt_measures():
        response = client.get(
            "/api/v1/scorecard",
            query_string={"period": "2025-26 Q1", "service": "slt"},
            headers={"Authorization": f"Bearer {token}"},
        )
        return response.get_json()["services"][0]["measures"]

    before = slt_measures()
    assert before["reviews"]["value"] == 2 and before["children_reviewed"]["value"] == 1
    assert before["targets_closed"]["value"] == 1 and before["pct_targets_met"]["value"] == 100.0
    assert withdraw(client, auth, second["uuid"]).status_code == 200
    after = slt_measures()
    assert after["reviews"]["value"] == 1 and after["children_reviewed"]["value"] == 1
    assert after["targets_closed"]["value"] == 0 and after["pct_targets_met"]["value"] is None


# --- Amending the date and the outcomes ------------------------------------------------------------


def amend(client, auth, review_id, **body):
    body.setdefault("readings", scores(5))
    body.setdefault("amendment_reason", "Wrong date typed")
    return reviews_amend(client, auth, review_id, body)


def written_since(db, before):
    """Row counts as `before` was taken, the audit trail's reads aside: opening the amendment form
    is audited (a staff read of the child's record), and nothing else may have been written."""
    counts = row_counts(db)
    reads = db.execute(
        "SELECT count(*) FROM audit_log WHERE action = 'open amend form' AND id > ?",
        [before["_last_audit_id"]],
    ).fetchone()[0]
    counts["audit_log"] -= reads
    counts["_last_audit_id"] = before["_last_audit_id"]
    return counts


def counts_before(db):
    counts = row_counts(db)
    counts["_last_audit_id"] = db.execute("SELECT coalesce(max(id), 0) FROM audit_log").fetchone()[0]
    return counts


def reviews_amend(client, auth, review_id, body):
    """Through the amendment form, as a practitioner does it."""
    page = client.get(f"/reviews/{review_id}/amend").text
    data = {"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)}
    data.update({f"reading-{k}": str(v) for k, v in body["readings"].items()})
    data["amendment_reason"] = body["amendment_reason"]
    if "date" in body:
        data["date"] = body["date"]
    for target_id, outcome in body.get("outcomes", {}).items():
        data[f"outcome-{target_id}"] = outcome
    return client.post(f"/reviews/{review_id}/amend", data=data)


def test_the_date_and_the_outcomes_can_be_amended_as_a_new_version(slt_client, auth, world, db):
    target = _with_target(slt_client, auth, world)
    second = stored(
        slt_client,
        auth,
        world.amy,
        targets=[],
        target_outcomes=[{"target_id": target["id"], "outcome": "met"}],
    )
    response = amend(slt_client, auth, second["id"], date=YESTERDAY, outcomes={target["id"]: "partly_met"})
    assert response.status_code == 302, response.text
    latest = db.execute(
        "SELECT id, date, version FROM reviews WHERE is_latest = 1 AND series_id = ?", [second["id"]]
    )
    new_id, new_date, version = latest.fetchone()
    assert (new_date, version) == (YESTERDAY, 2)
    assert db.execute("SELECT review_id, outcome FROM target_outcomes").fetchall() == [(new_id, "partly_met")]


AMEND_REFUSALS = [
    ({"date": "2016-04-30"}, "date", "date of birth (2016-05-01)"),
    ({"date": (TODAY + timedelta(days=2)).isoformat()}, "date", "future"),
    ({"date": "2025-01-10"}, "date", "already recorded"),
    ({"date": "2025-01-05"}, "target_outcomes", "only a later review can record its outcome"),
]


@pytest.mark.parametrize(("change", "field", "message"), AMEND_REFUSALS)
def test_an_implausible_amendment_is_refused(slt_client, auth, world, db, change, field, message):
    target = _with_target(slt_client, auth, world)
    second = stored(
        slt_client,
        auth,
        world.amy,
        targets=[],
        target_outcomes=[{"target_id": target["id"], "outcome": "met"}],
    )
    before = counts_before(db)
    response = amend(slt_client, auth, second["id"], **change)
    assert response.status_code == 422
    assert message in response.text
    assert f'id="{field}' in response.text
    assert written_since(db, before) == before


def test_a_review_cannot_be_amended_to_after_the_review_that_closed_its_target(slt_client, auth, world, db):
    target = _with_target(slt_client, auth, world)
    stored(
        slt_client,
        auth,
        world.amy,
        date="2025-03-01",
        targets=[],
        target_outcomes=[{"target_id": target["id"], "outcome": "met"}],
    )
    first_id = db.execute("SELECT set_in_review_id FROM targets").fetchone()[0]
    before = counts_before(db)
    response = amend(slt_client, auth, first_id, date="2025-04-01")
    assert response.status_code == 422 and "must stay before that one" in response.text
    assert written_since(db, before) == before


# --- Messages people understand -----------------------------------------------------------------


def test_the_api_adds_labels_in_the_order_of_the_form(slt_client, auth, world, db):
    body = review_body(
        world.amy,
        date="2016-01-01",
        readings={"talking": 4},
        targets=[{"domain": "talking", "description": "Says more.", "target_score": 40}],
    )
    response = post(slt_client, auth, body)
    assert response.status_code == 422
    answer = response.get_json()
    assert list(answer["errors"]) == [
        "date",
        "readings.attention",
        "readings.understanding",
        "readings.speech_sounds",
        "readings.social_communication",
        "readings.eating_drinking",
        "targets.0.target_score",
    ]
    assert answer["labels"]["readings.attention"] == "Attention and listening"
    assert answer["labels"]["targets.0.target_score"] == "New target 1: target reading"
    assert answer["labels"]["date"] == "Date of the review"


def test_the_form_names_each_domain_in_order_and_the_summary_takes_focus(slt_client, world, db):
    page = slt_client.get(f"/children/{world.amy}/reviews/new?service=slt").text
    fields = form_fields(page)
    del fields["reading-attention"], fields["reading-talking"]
    refused = slt_client.post(
        f"/children/{world.amy}/reviews/new?service=slt", data=dict(fields, action="submit")
    ).text
    summary = refused[
        refused.index('id="error-summary"') : refused.index("</ul>", refused.index("error-summary"))
    ]
    items = re.findall(r"<li><a [^>]*>([^<]*)</a></li>", summary)
    assert items == [
        "Attention and listening: Give a reading or mark it not assessed.",
        "Talking: Give a reading or mark it not assessed.",
    ]
    assert 'role="alert" tabindex="-1" id="error-summary"' in refused
    assert re.search(r"js/review-form(\.[0-9a-f]+)?\.js", refused)  # the script that moves focus


# --- Context while scoring ---------------------------------------------------------------------------


def test_the_form_shows_each_domains_previous_reading_and_its_date(slt_client, auth, world, db):
    stored(slt_client, auth, world.amy, date="2025-01-10", readings=scores(4, talking=2))
    page = slt_client.get(f"/children/{world.amy}/reviews/new?service=slt").text
    day = '<time datetime="2025-01-10">10 January 2025</time>'
    assert f'id="previous-talking">Previous reading: 2 on {day}<' in page
    assert f'id="previous-attention">Previous reading: 4 on {day}<' in page


def test_the_review_page_lists_the_targets_set_and_closed_there(slt_client, auth, world, db):
    target = _with_target(slt_client, auth, world)
    second = stored(
        slt_client,
        auth,
        world.amy,
        readings=scores(6),
        targets=[{"domain": "attention", "description": "Listens to a story.", "target_score": 8}],
        target_outcomes=[{"target_id": target["id"], "outcome": "met"}],
    )
    page = slt_client.get(f"/reviews/{second['id']}").text
    set_list = page[page.index('id="targets-set"') : page.index("</ul>", page.index('id="targets-set"'))]
    closed = page[page.index('id="targets-closed"') : page.index("</ul>", page.index('id="targets-closed"'))]
    assert "Listens to a story." in set_list
    assert "Uses two-word phrases at snack time.: Met" in closed


# --- "Latest" is deterministic -------------------------------------------------------------------------


def test_two_counted_reviews_on_one_date_the_higher_id_is_the_later(db, world):
    slt = world.services["slt"]
    star = stars.load_version(db, stars.current_version_id(db, slt))
    domains = {d["key"]: d["id"] for d in star["domains"]}
    start = reviews.next_ids(db)["reviews"]
    history = [
        {
            "id": start + n,
            "uuid": f"h{n}",
            "child_id": world.amy,
            "service_id": slt,
            "star_version_id": star["id"],
            "practitioner_id": world.slt,
            "date": day,
        }
        for n, day in enumerate(["2024-03-01", "2024-03-01", "2024-06-01", "2024-06-01"])
    ]
    # Inserted out of id order, so that row order cannot decide.
    history = [history[1], history[0], history[3], history[2]]
    score_of = {start: 2, start + 1: 3, start + 2: 6, start + 3: 7}
    readings = [(r["id"], domains[key], score_of[r["id"]], None) for r in history for key in domains]
    reviews.bulk_insert(db, reviews=history, readings=readings)
    chart = children.star_over_time(db, world.amy, slt)
    assert chart["first"]["scores"][0] == 2 and chart["latest"]["scores"][0] == 7
    timeline = family.timeline(db, world.family, world.amy)
    assert [row["id"] for row in timeline] == [start + 3, start + 2, start + 1, start]


def test_openapi_describes_the_withdrawal_409_and_413(slt_client, auth, world):
    document = slt_client.get("/api/v1/openapi.json").get_json()
    create = document["paths"]["/reviews"]["post"]["responses"]
    assert {"409", "413", "422"} <= set(create)
    withdrawal = document["paths"]["/reviews/{uuid}/withdrawal"]["post"]
    assert withdrawal["requestBody"]["content"]["application/json"]["schema"]["required"] == ["reason"]
    assert {"200", "404", "422"} <= set(withdrawal["responses"])
    assert "204" in document["paths"]["/reviews/{uuid}"]["delete"]["responses"]
    schemas = document["components"]["schemas"]
    assert {"uuid", "url"} <= set(schemas["Conflict"]["properties"])
    assert "labels" in schemas["ValidationErrors"]["properties"]
    # What the API returns is what the document declares.
    review = stored(slt_client, auth, world.amy)
    answer = withdraw(slt_client, auth, review["uuid"]).get_json()
    assert set(answer) == set(schemas["Review"]["properties"])


def test_the_migration_moves_a_drafts_targets_and_outcomes_onto_the_draft(tmp_path):
    from outcomes.db import _statements, connect, migrate
    from outcomes.migrations import MIGRATIONS

    db = connect(tmp_path / "old.sqlite")
    for number, sql in enumerate(MIGRATIONS[:3], start=1):
        for statement in _statements(sql):
            db.conn.execute(statement)
        db.conn.execute(f"PRAGMA user_version = {number}")
    db.conn.executescript(
        """
        INSERT INTO stars (id, key, name) VALUES (1, 'slt', 'Star');
        INSERT INTO star_versions (id, star_id, version) VALUES (1, 1, 1);
        INSERT INTO services (id, key, name, star_id) VALUES (1, 'slt', 'SLT', 1);
        INSERT INTO users (id, email, name, role) VALUES (1, 'a@b.c', 'A', 'practitioner');
        INSERT INTO children (id, given_name, family_name, date_of_birth) VALUES (1, 'A', 'B', '2016-01-01');
        INSERT INTO reviews (id, uuid, series_id, child_id, service_id, star_version_id, practitioner_id,
                             date, status, content_hash)
            VALUES (1, 'u1', 1, 1, 1, 1, 1, '2025-01-01', 'submitted', ''),
                   (2, 'u2', 2, 1, 1, 1, 1, '2025-06-01', 'draft', '');
        INSERT INTO targets (id, child_id, service_id, domain_key, set_in_review_id, description,
                             target_score, due_date)
            VALUES (1, 1, 1, 'talking', 1, 'Talks', 6, '2025-06-01'),
                   (2, 1, 1, 'attention', 2, 'Listens', 7, '2025-12-01');
        INSERT INTO target_outcomes (target_id, review_id, outcome) VALUES (1, 2, 'met');
        """
    )
    migrate(db)
    plan = json.loads(db.execute("SELECT draft_plan FROM reviews WHERE id = 2").fetchone()[0])
    assert plan["targets"] == [
        {"domain": "attention", "description": "Listens", "target_score": 7, "due_date": "2025-12-01"}
    ]
    assert plan["target_outcomes"] == [{"target_id": 1, "outcome": "met", "reason": None}]
    # The draft no longer hides target 1: it is open again, and the draft's own target is gone.
    assert db.execute("SELECT id FROM targets").fetchall() == [(1,)]
    assert db.execute("SELECT count(*) FROM target_outcomes").fetchone()[0] == 0
    assert db.execute("SELECT draft_plan FROM reviews WHERE id = 1").fetchone()[0] is None
    db.close()


def test_a_backdated_caseload_start_lets_older_history_in(slt_client, auth, world, db):
    refused = post(slt_client, auth, review_body(world.amy, date="2023-06-01"))
    assert refused.status_code == 422
    # The admin's CSV import backdates when Amy joined the SLT caseload, for older history.
    db["children"].update(world.amy, {"local_id": "AMY1"})
    plan = importer.import_csv(
        db,
        world.admin,
        "local_id,given_name,family_name,date_of_birth,service,started_on\n"
        "AMY1,Amy,Able,2016-05-01,slt,2023-01-01\n",
    )
    assert plan.clean
    assert db.execute("SELECT min(started_on) FROM caseloads WHERE child_id = ?", [world.amy]).fetchone()[
        0
    ] == ("2023-01-01")
    assert post(slt_client, auth, review_body(world.amy, date="2023-06-01")).status_code == 201


def test_the_form_names_a_refused_target_in_the_summary_and_beside_the_field(slt_client, world, db):
    page = slt_client.get(f"/children/{world.amy}/reviews/new?service=slt").text
    fields = dict(form_fields(page), action="submit")
    fields.update(
        {"target-0-domain": "talking", "target-0-description": "Keeps talking.", "target-0-target_score": "3"}
    )
    before = row_counts(db)
    refused = slt_client.post(f"/children/{world.amy}/reviews/new?service=slt", data=fields)
    assert refused.status_code == 422
    assert (
        'href="#targets-0-target_score-error">New target 1: target reading: The target is below'
        in refused.text
    )
    assert 'id="targets-0-target_score-error"' in refused.text
    assert row_counts(db) == before


@pytest.mark.parametrize("target_id", [2**64, -(2**63) - 1, "7", None, True])
def test_a_refused_review_naming_any_target_id_gets_a_422_not_a_500(slt_client, auth, world, db, target_id):
    """The labels of a refused body look targets up: an id beyond SQLite's 64 bits is not one."""
    before = row_counts(db)
    body = review_body(world.amy, target_outcomes=[{"target_id": target_id, "outcome": "withdrawn"}])
    response = post(slt_client, auth, body)
    assert response.status_code == 422 and "target_outcomes.0" in " ".join(response.get_json()["errors"])
    assert row_counts(db) == before
