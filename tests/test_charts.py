"""The star chart's data (outcomes/charts.py): one dataset per reading, which of them are drawn
at first, stage names for the scale, and no dataset without a point to draw."""

import json
import re

from test_family import SLT, story, submit  # noqa: F401  (story is a fixture)

from outcomes import charts, children, family, stars


def chart_block(page, key="slt"):
    return json.loads(re.search(rf'id="star-data-{key}">(.*?)</script>', page.text, re.S).group(1))


def test_each_review_is_a_dataset_named_by_its_place_and_first_and_latest_are_drawn(db, world):
    for days_ago, score in ((300, 2), (200, 3), (100, 4), (10, 5)):
        submit(db, world.slt, world.amy, "slt", days_ago, dict.fromkeys(SLT, score))
    chart = charts.star_chart(children.star_over_time(db, world.amy, world.services["slt"]), "Family's view")
    kinds = [(d["kind"], d["shown"], d["values"][0]) for d in chart["datasets"]]
    assert kinds == [("first", True, 2), ("review", False, 3), ("previous", False, 4), ("latest", True, 5)]
    assert chart["datasets"][0]["label"].startswith("First review (") and chart["datasets"][0]["date"]
    assert chart["labels"][0] == "Attention and listening" and (chart["min"], chart["max"]) == (1, 10)
    # The scale's rings carry the star's own stage names, each at its top score.
    assert [(s["max"], s["name"]) for s in chart["stages"]][:2] == [
        (2, "Needs a lot of help"),
        (4, "Starting out"),
    ]


def test_a_family_view_with_no_reading_on_the_star_is_not_a_dataset(db, world, story):  # noqa: F811
    # Pat rates the review but leaves every area blank: the legend must not list an empty view.
    family.save_view(
        db,
        world.family,
        story.amy_latest,
        {"answer": "good", "what_was_good": "", "could_be_better": "", "comment": "", "readings": {}},
    )
    chart = family.star_with_family_view(db, world.amy, world.services["slt"])
    assert chart["family"] is not None
    assert [d["kind"] for d in charts.star_chart(chart, "Family's view")["datasets"]] == ["first", "latest"]
    family.save_view(
        db,
        world.family,
        story.amy_latest,
        {
            "answer": "good",
            "what_was_good": "",
            "could_be_better": "",
            "comment": "",
            "readings": {"talking": 6},
        },
    )
    chart = family.star_with_family_view(db, world.amy, world.services["slt"])
    [view] = [d for d in charts.star_chart(chart, "Family's view")["datasets"] if d["kind"] == "family"]
    assert view["shown"] and view["values"] == [None, None, 6, None, None, None]


def test_the_child_page_sends_every_reading_to_the_chart_once(client, auth, world, story):  # noqa: F811
    auth.login("slt@test.example")
    page = client.get(f"/children/{world.amy}")
    chart = chart_block(page)
    assert [d["kind"] for d in chart["datasets"]] == ["first", "latest"]
    assert [d["values"] for d in chart["datasets"]] == [[2, 3, 2, 3, 2, 4], [4, 5, 3, 6, 4, 7]]
    assert 'class="domain-lines" data-chart="star-data-slt"' in page.text  # the line per domain
    # The tables a chart needs are focusable scrolling regions, so a phone never scrolls sideways.
    assert page.text.count('class="table-scroll" tabindex="0" role="region"') == 2


def test_the_readings_table_shows_each_score_with_its_stage_and_not_assessed_as_such(client, auth, db, world):
    # Every score of the scale once across four reviews, one domain not assessed in one of them.
    for days_ago, score in ((300, 1), (200, 4), (100, 7), (10, 10)):
        readings = dict.fromkeys(SLT, score)
        if score == 7:
            readings[SLT[0]] = None
        submit(db, world.slt, world.amy, "slt", days_ago, readings)
    chart = children.star_over_time(db, world.amy, world.services["slt"])
    rows = charts.readings_rows(chart)
    assert [row["label"] for row in rows] == [domain["label"] for domain in chart["domains"]]
    for row, domain_index in zip(rows, range(len(rows)), strict=True):
        expected = [
            (c["scores"][domain_index], stars.stage_name(chart["star"], c["scores"][domain_index]))
            for c in chart["columns"]
        ]
        assert row["cells"] == expected
    assert rows[0]["cells"][2] == (None, "")
    auth.login("slt@test.example")
    page = client.get(f"/children/{world.amy}").text
    table = page[page.index('class="readings"') : page.index("</table>", page.index('class="readings"'))]
    first_row = table[table.index('<th scope="row">') :].split("</tr>", 1)[0]
    assert re.findall(r"<td>(.*?)</td>", first_row) == [
        f'1 <span class="stage">{stars.stage_name(chart["star"], 1)}</span>',
        f'4 <span class="stage">{stars.stage_name(chart["star"], 4)}</span>',
        '<span class="muted">Not assessed</span>',
        f'10 <span class="stage">{stars.stage_name(chart["star"], 10)}</span>',
    ]


def test_the_staff_page_draws_the_newest_of_the_views_it_lists(db, world, story):  # noqa: F811
    """The staff page loads the family views once: the radar's family view is the first it lists, the
    one the chart would find itself, even when two parents' views of one review tie on their time."""
    from outcomes import users

    view = {"answer": "good", "what_was_good": "", "could_be_better": "", "comment": "", "readings": {}}
    family.save_view(db, world.family, story.amy_latest, dict(view, readings={"talking": 6}))
    other = users.create_user(db, "parent2@test.example", "Sam Parent", "family")
    db.execute(
        """INSERT INTO family_views (review_id, user_id, fft_answer, rating, comment, created_at)
           SELECT review_id, ?, fft_answer, rating, comment, created_at
           FROM family_views WHERE user_id = ?""",
        [other, world.family],
    )
    db.execute(
        """INSERT INTO family_view_readings (family_view_id, domain_id, score)
           SELECT (SELECT id FROM family_views WHERE user_id = ?), domain_id, 3 FROM family_view_readings""",
        [other],
    )
    slt = world.services["slt"]
    listed = family.views_for_staff(db, world.amy, slt)
    assert [v["name"] for v in listed] == ["Sam Parent", "Pat Parent"]
    alone = family.star_with_family_view(db, world.amy, slt)
    given = family.star_with_family_view(db, world.amy, slt, staff_views=listed)
    assert given == alone and given["family"]["name"] == "Sam Parent" and 3 in given["family"]["scores"]
    assert family.star_with_family_view(db, world.amy, slt, staff_views=[])["family"] is None
