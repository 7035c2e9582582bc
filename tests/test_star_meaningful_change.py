"""The star editor's meaningful-change threshold: a number of points above 0 and at most the scale's
range, stored on the star (form and save-star JSON alike); bad input named, nothing written."""

import html
import json

import pytest
from conftest import row_counts
from test_admin import admin, create_star, post, star_form  # noqa: F401 (admin is a fixture)
from test_admin_cli import STAR


def stored(db, star_id):
    return db.execute("SELECT meaningful_change FROM stars WHERE id = ?", [star_id]).fetchone()[0]


def test_a_new_star_takes_the_threshold_and_the_editor_shows_and_changes_it(admin, db):  # noqa: F811
    page = admin.get("/admin/stars/new").text
    assert '<label for="meaningful_change">Meaningful change (points)</label>' in page
    star_id = create_star(admin, meaningful_change="1.5")
    assert stored(db, star_id) == 1.5
    assert 'name="meaningful_change" value="1.5"' in admin.get(f"/admin/stars/{star_id}").text
    response = post(admin, f"/admin/stars/{star_id}", star_form(meaningful_change="2"))
    assert response.status_code == 302
    assert stored(db, star_id) == 2


def test_a_star_saved_without_it_keeps_its_threshold_or_gets_one_point(admin, db):  # noqa: F811
    star_id = create_star(admin)
    assert stored(db, star_id) == 1
    db["stars"].update(star_id, {"meaningful_change": 3})
    post(admin, f"/admin/stars/{star_id}", star_form(name="Home life star, revised"))
    assert stored(db, star_id) == 3


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0", "more than 0 points"),
        ("-1", "more than 0 points"),
        ("ten", "as a number of points"),
        ("nan", "as a number of points"),
        ("9.5", "at most the scale's range, 9 points"),
    ],
)
def test_a_bad_threshold_is_named_and_nothing_is_written(admin, db, value, message):  # noqa: F811
    star_id = create_star(admin, meaningful_change="2")
    before = row_counts(db)
    response = post(admin, f"/admin/stars/{star_id}", star_form(name="Renamed star", meaningful_change=value))
    assert response.status_code == 422
    assert 'id="meaningful_change-error"' in response.text and message in html.unescape(response.text)
    assert row_counts(db) == before and stored(db, star_id) == 2
    new = post(admin, "/admin/stars/new", star_form(name="Another star", meaningful_change=value))
    assert new.status_code == 422 and row_counts(db) == before


def test_save_star_json_sets_the_threshold_and_refuses_a_bad_one(runner, world, db, tmp_path):
    star_file = tmp_path / "star.json"
    star_file.write_text(json.dumps(dict(STAR, meaningful_change=25)))
    before = row_counts(db)
    bad = runner.invoke(args=["save-star", str(star_file)])
    assert bad.exit_code != 0 and "meaningful_change" in bad.output and "9 points" in bad.output
    assert row_counts(db) == before
    star_file.write_text(json.dumps(dict(STAR, meaningful_change=0.5)))
    assert runner.invoke(args=["save-star", str(star_file)]).exit_code == 0
    assert db.execute("SELECT meaningful_change FROM stars WHERE key = 'home_life'").fetchone()[0] == 0.5
