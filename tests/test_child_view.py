"""The child's own view: saved with the review (API and form), shown on the star and to the family."""

import html
import uuid
from datetime import date

import pytest
from conftest import row_counts
from test_admin import post as admin_post
from test_admin import star_form
from test_api_reviews import SLT_DOMAINS, post, review_body
from test_practitioner import fill, form_for

from outcomes import child_view, reviews, stars
from outcomes.schemas import ReviewSchema
from outcomes.views.api import figures_version

FIVE_FACES = {"faces": 5, "readings": {key: 1 + index % 5 for index, key in enumerate(SLT_DOMAINS)}}


@pytest.fixture
def slt_client(client, auth, world):
    auth.login("slt@test.example")
    return client


def test_the_childs_view_is_stored_with_the_review_and_returned(slt_client, auth, world, db):
    response = post(slt_client, auth, review_body(world.amy, child_view=FIVE_FACES))
    assert response.status_code == 201
    assert response.get_json()["child_view"] == FIVE_FACES
    assert db["child_readings"].count == len(SLT_DOMAINS)


def test_a_review_without_the_childs_view_has_none(slt_client, auth, world, db):
    response = post(slt_client, auth, review_body(world.amy))
    assert response.get_json()["child_view"] is None
    assert db["child_readings"].count == 0


def test_a_resent_review_with_the_childs_view_is_stored_once(slt_client, auth, world, db):
    body = review_body(world.amy, child_view={"faces": 3, "readings": {"talking": 3, "attention": 1}})
    first, again = post(slt_client, auth, body), post(slt_client, auth, body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json() == first.get_json()
    assert db["reviews"].count == 1 and db["child_readings"].count == 2


def test_the_same_uuid_with_another_childs_view_is_a_conflict(slt_client, auth, world, db):
    body = review_body(world.amy, child_view={"faces": 3, "readings": {"talking": 3}})
    post(slt_client, auth, body)
    before = row_counts(db)
    changed = dict(body, child_view={"faces": 3, "readings": {"talking": 1}})
    assert post(slt_client, auth, changed).status_code == 409
    assert row_counts(db) == before


BAD_CHILD_VIEWS = [
    ({"faces": 4, "readings": {"talking": 1}}, "child_view.faces", "3 or 5 faces"),
    ({"faces": "5", "readings": {"talking": 1}}, "child_view.faces", "integer"),
    ({"readings": {"talking": 1}}, "child_view.faces", "3 or 5 faces"),
    ({"faces": 3, "readings": {"talking": 4}}, "child_view.readings.talking", "from 1 (saddest) to 3"),
    ({"faces": 5, "readings": {"talking": 0}}, "child_view.readings.talking", "from 1 (saddest) to 5"),
    ({"faces": 5, "readings": {"talking": True}}, "child_view.readings.talking", "Choose a face"),
    ({"faces": 5, "readings": {"talking": "happy"}}, "child_view.readings.talking", "Choose a face"),
    ({"faces": 5, "readings": {}}, "child_view.readings", "at least one face"),
    ({"faces": 5, "readings": {"balance": 2}}, "child_view.readings.balance", "Unknown domain"),
    ({"faces": 5, "readings": {"talking": 2}, "mood": 1}, "child_view.mood", "Unknown field"),
    ("very happy", "child_view._schema", "Invalid input"),
]


@pytest.mark.parametrize(("value", "field", "message"), BAD_CHILD_VIEWS)
def test_bad_childs_view_is_refused_naming_the_field_and_nothing_is_stored(
    slt_client, auth, world, db, value, field, message
):
    before = row_counts(db)
    response = post(slt_client, auth, review_body(world.amy, child_view=value))
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert field in errors, errors
    assert message in " ".join(errors[field])
    assert row_counts(db) == before


def test_an_amendment_keeps_the_childs_view(slt_client, auth, world, db):
    stored = post(slt_client, auth, review_body(world.amy, child_view=FIVE_FACES)).get_json()
    readings = dict(stored["readings"], talking=7)
    amended = reviews.amend_review(
        db,
        world.slt,
        stored["id"],
        {
            "readings": {k: {"score": v, "not_assessed_reason": None} for k, v in readings.items()},
            "notes": "",
            "internal_notes": "",
            "amendment_reason": "Talking was 7",
        },
    )
    assert amended["child_view"] == FIVE_FACES
    assert amended["id"] != stored["id"]


def test_a_draft_resaved_without_the_childs_view_drops_it(slt_client, auth, world, db):
    body = review_body(world.amy, submit=False, child_view=FIVE_FACES)
    post(slt_client, auth, body)
    response = post(slt_client, auth, dict(body, child_view=None, notes="Child did not want to."))
    assert response.get_json()["child_view"] is None
    assert db["child_readings"].count == 0


@pytest.mark.parametrize(("faces", "expected"), [(5, [1.0, 3.25, 5.5, 7.75, 10.0]), (3, [1.0, 5.5, 10.0])])
def test_faces_sit_on_the_star_scale_from_lowest_to_highest(faces, expected):
    assert [child_view.on_star_scale(face, faces, 1, 10) for face in range(1, faces + 1)] == expected


def test_the_star_and_family_page_show_the_childs_view(slt_client, auth, world, db, client):
    view = {"faces": 3, "readings": {"talking": 3, "attention": 1}}
    post(slt_client, auth, review_body(world.amy, child_view=view))
    page = slt_client.get(f"/children/{world.amy}").get_data(as_text=True)
    assert "Child&#39;s own view" in page or "Child's own view" in page
    assert "Happy" in page and "Sad" in page
    review_id = db.execute("SELECT id FROM reviews").fetchone()[0]
    review_page = slt_client.get(f"/reviews/{review_id}").get_data(as_text=True)
    assert "own view" in review_page and 'aria-hidden="true"' in review_page and "Happy" in review_page
    auth.logout()
    auth.login("family@test.example")
    family_page = client.get(f"/family/children/{world.amy}").get_data(as_text=True)
    assert "own view" in family_page and "Happy" in family_page


def test_default_stars_carry_child_wording_and_the_schema_loads_it(db, world):
    version = stars.load_version(db, stars.current_version_id(db, world.services["slt"]))
    wording = {d["key"]: d["child_wording"] for d in version["domains"]}
    assert wording["talking"] == stars.CHILD_WORDING["talking"]
    assert all(wording.values())
    body = ReviewSchema().load(
        {
            "uuid": str(uuid.uuid4()),
            "child_id": 1,
            "service": "slt",
            "date": "2024-05-01",
            "readings": {},
            "child_view": {"faces": 5, "readings": {"talking": 5}},
        }
    )
    assert body["child_view"] == {"faces": 5, "readings": {"talking": 5}}


def test_the_review_form_saves_the_faces_the_child_tapped(slt_client, world, db):
    path = f"/children/{world.amy}/reviews/new?service=slt"
    fields = form_for(slt_client, path)
    data = fill(
        fields,
        {key: 5 for key in SLT_DOMAINS},
        action="submit",
        child_faces="3",
        **{"child3-talking": "3", "child3-attention": "1", "child5-play": "4"},
    )
    assert slt_client.post(path, data=data).status_code == 302
    review_id = db.execute("SELECT id FROM reviews").fetchone()[0]
    assert child_view.of_review(db, review_id) == {"faces": 3, "readings": {"attention": 1, "talking": 3}}
    # Chosen per child: her next review offers the 3 faces she used.
    page = slt_client.get(path).text
    assert 'id="child_faces-3" name="child_faces" value="3" checked' in page


def test_the_review_form_names_a_bad_face_and_saves_nothing(slt_client, world, db):
    path = f"/children/{world.amy}/reviews/new?service=slt"
    data = fill(
        form_for(slt_client, path),
        {key: 5 for key in SLT_DOMAINS},
        action="submit",
        child_faces="3",
        **{"child3-talking": "7"},
    )
    before = row_counts(db)
    response = slt_client.post(path, data=data)
    assert response.status_code == 422
    assert "The child&#39;s view: Talking" in response.text or "The child's view: Talking" in response.text
    assert row_counts(db) == before


def test_a_review_without_the_childs_view_still_submits_from_the_form(slt_client, world, db):
    path = f"/children/{world.amy}/reviews/new?service=slt"
    data = fill(form_for(slt_client, path), {key: 5 for key in SLT_DOMAINS}, action="submit", child_faces="5")
    assert slt_client.post(path, data=data).status_code == 302
    assert db["child_readings"].count == 0


@pytest.fixture
def admin(client, auth, world):
    auth.login("admin@test.example")
    return client


def test_the_star_editor_saves_and_previews_words_for_the_child(admin, db):
    data = star_form(**{"domain-0-child_wording": "Getting ready in the morning"})
    response = admin_post(admin, "/admin/stars/new", data)
    star_id = int(response.location.rsplit("/", 1)[1])
    version = stars.load_version(db, stars.latest_version_id(db, star_id))
    assert [d["child_wording"] for d in version["domains"]][:2] == ["Getting ready in the morning", None]
    assert 'value="Getting ready in the morning"' in admin.get(f"/admin/stars/{star_id}").text
    preview = admin.get(f"/admin/stars/{star_id}/preview").text
    assert "Getting ready in the morning" in preview and "no words for the child yet" in preview
    assert "Very happy" in preview


@pytest.mark.parametrize(
    ("wording", "message"),
    [("x" * 121, "to 120 characters"), ("ok", "at least 3 characters")],
)
def test_bad_words_for_the_child_are_named_and_nothing_is_saved(admin, db, wording, message):
    before = row_counts(db)
    response = admin_post(admin, "/admin/stars/new", star_form(**{"domain-1-child_wording": wording}))
    assert response.status_code == 422
    assert 'id="domains-1-child_wording-error"' in response.text and message in html.unescape(response.text)
    assert row_counts(db) == before


def test_the_share_of_reviews_with_the_childs_view_reaches_every_output(app, client, auth, db, world):
    """scorecard_data's year: 4 of 10 reviews carry the child's view (test_scorecard works it out)."""
    from scorecard_data import build
    from test_manager import figure_cells

    from outcomes import tokens

    app.config["DISCLOSURE_POLICY"] = "threshold5"
    build(db, world)
    token = tokens.create_token(db, "BI tool")
    period = {"period": "2025-26"}
    feed = client.get("/api/v1/scorecard", query_string=period, headers={"Authorization": f"Bearer {token}"})
    slt = feed.get_json()["services"][0]
    assert slt["measures"]["pct_reviews_with_child_view"] == {
        "perspective": "effectiveness",
        "value": 40.0,
        "suppressed": False,
        "reason": None,
    }
    csv_feed = client.get(
        "/api/v1/scorecard",
        query_string={**period, "format": "csv"},
        headers={"Authorization": f"Bearer {token}"},
    ).text
    assert (
        "2025-26,2025-04-01,2026-03-31,slt,,pct_reviews_with_child_view,effectiveness,40.0,false" in csv_feed
    )
    openapi = client.get("/api/v1/openapi.json").get_json()
    figures = openapi["components"]["schemas"]
    assert "pct_reviews_with_child_view" in str(figures)
    assert figures["ReviewInput"]["properties"]["child_view"] == {"$ref": "#/components/schemas/ChildView"}
    auth.login("manager@test.example")
    cells = figure_cells(client.get("/manager/", query_string=period).text, "slt")
    assert cells["pct_reviews_with_child_view"] == "40.0%"
    assert (
        "Reviews with the child&#39;s own view (%)" in client.get("/manager/report", query_string=period).text
    )
    manager_csv = client.get("/manager/scorecard.csv", query_string=period).text
    assert ",pct_reviews_with_child_view,effectiveness,40.0," in manager_csv


def test_under_the_nhs_policy_a_handful_of_child_views_is_withheld(app, client, db, world):
    from scorecard_data import build

    from outcomes import tokens

    build(db, world)  # 10 reviews in the year, 4 with the child's view: 4 is a count of 1-7
    token = tokens.create_token(db, "BI tool")
    feed = client.get(
        "/api/v1/scorecard", query_string={"period": "2025-26"}, headers={"Authorization": f"Bearer {token}"}
    )
    figure = feed.get_json()["services"][0]["measures"]["pct_reviews_with_child_view"]
    assert (figure["value"], figure["suppressed"]) == (None, True)


def test_save_star_takes_words_for_the_child_and_names_bad_ones(runner, world, db, tmp_path):
    import json

    from test_admin_cli import STAR, run

    star = dict(STAR, domains=[dict(d, child_wording=f"My {d['label'].lower()}") for d in STAR["domains"]])
    star_file = tmp_path / "star.json"
    star_file.write_text(json.dumps(star))
    assert run(runner, "save-star", star_file).exit_code == 0
    star_id = db.execute("SELECT id FROM stars WHERE key = 'home_life'").fetchone()[0]
    version = stars.load_version(db, stars.latest_version_id(db, star_id))
    assert version["domains"][0]["child_wording"] == "My mornings"
    star["domains"][2]["child_wording"] = "x" * 200
    star_file.write_text(json.dumps(dict(star, key="home_life_2")))
    before = row_counts(db)
    result = run(runner, "save-star", star_file)
    assert result.exit_code != 0 and "domains.2.child_wording" in result.output
    assert row_counts(db) == before


def test_a_childs_view_changes_the_figures_version_the_feed_cache_keys_on(slt_client, auth, world, db):
    stored = post(slt_client, auth, review_body(world.amy)).get_json()
    before = figures_version(db, date.max)
    domain_id = db.execute("SELECT id FROM domains WHERE key = 'talking' LIMIT 1").fetchone()[0]
    with db.conn:
        db["child_readings"].insert(
            {"review_id": stored["id"], "domain_id": domain_id, "faces": 5, "face": 4}
        )
    assert figures_version(db, date.max) > before
