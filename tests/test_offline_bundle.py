"""The offline bundle read in batches: the same bundle as reading it child by child, in a number of
SQL statements that does not grow with the number of children on her list."""

import random
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from bundle_shape import with_scales_in_charts
from flask import render_template

from outcomes import charts, child_view, children, demo, offline_bundle, reviews, stars
from outcomes.targets import open_targets
from outcomes.views.practitioner import review_form_context
from outcomes.wording import uk_date_text

TODAY = date.today()


def bundle_child_by_child(db, user_id):
    """The bundle as it was built before the batches: each part read per child with the functions
    the online pages use (the reference the batched bundle must equal)."""
    services, kept = [], {}
    recent = offline_bundle.recently_opened(db, user_id)
    for service in children.practitioner_services(db, user_id):
        star = stars.load_version(db, stars.current_version_id(db, service["id"]))
        services.append(offline_bundle._service_entry(service, star))
        for row in children.caseload(db, user_id, service["id"], own_and=recent):
            child = kept.setdefault(
                row["id"],
                dict(
                    {k: row[k] for k in ("id", "given_name", "family_name", "date_of_birth")},
                    born=uk_date_text(row["date_of_birth"]),
                    services={},
                    child_faces=child_view.default_faces(db, row["id"]),
                ),
            )
            chart = children.star_over_time(db, row["id"], service["id"])
            child["services"][service["key"]] = {
                "last_review": row["last_review"],
                "next_due": row["next_due"],
                "last_review_text": uk_date_text(row["last_review"], empty=None),
                "next_due_text": uk_date_text(row["next_due"], empty=None),
                "overdue": row["overdue"],
                "open_targets": [
                    dict(
                        {key: t[key] for key in offline_bundle.TARGET_FIELDS},
                        due_text=uk_date_text(t["due_date"]),
                    )
                    for t in open_targets(db, row["id"], service["id"])
                ],
                "chart": charts.star_chart(chart, "") if chart else None,
            }
    ordered = sorted(kept.values(), key=lambda c: (c["family_name"], c["given_name"], c["id"]))
    return {"user_id": user_id, "services": services, "children": ordered}


def without_unread_fields(bundle):
    """The reference bundle less what no offline page reads (static/js/offline/shell.js): the ISO
    dates beside the dates as shown, and each reading's date (the tablet draws no lines over time)."""
    for child in bundle["children"]:
        del child["date_of_birth"]
        for record in child["services"].values():
            del record["last_review"], record["next_due"]
            for dataset in record["chart"]["datasets"] if record["chart"] else ():
                del dataset["date"]
    return bundle


def add_children(db, world, count, seed):
    """`count` children with varied histories on Sally's SLT and physio lists (she practises in
    both), through the demo's bulk history: amended reviews, drafts, targets set and closed, family
    ratings. Then some reviews withdrawn, child's views on 3 or 5 faces, some children passed to a
    colleague (one of them opened by Sally this week), one discharged."""
    rng = random.Random(seed)
    colleague = db.execute("SELECT id FROM users WHERE email = 'colleague@test.example'").fetchone()[0]
    made = []
    for number in range(count):
        made.append(
            db["children"]
            .insert(
                {
                    "given_name": f"Kid{seed}-{number:02d}",
                    "family_name": rng.choice("QRSTZ") + "oe",
                    "date_of_birth": f"201{number % 10}-0{1 + number % 9}-1{number % 10}",
                }
            )
            .last_pk
        )
    plan = [
        (child, world.family, [["slt"], ["physio"], ["slt", "physio"]][n % 3]) for n, child in enumerate(made)
    ]
    demo.bulk_history(
        db,
        rng,
        plan,
        {"slt": world.slt, "physio": world.slt},
        TODAY - timedelta(days=900),
        TODAY,
        targets_per_review=2,
        rating_share=0.5,
        amend_share=0.3,
        draft_share=0.3,
    )
    sally = SimpleNamespace(id=world.slt, role="practitioner")
    counted = db.execute(
        f"""SELECT r.uuid, r.id, r.child_id, r.star_version_id FROM reviews r
            WHERE r.child_id IN ({",".join(map(str, made))}) AND r.status = 'submitted' AND r.is_latest = 1
            ORDER BY r.id"""
    ).fetchall()
    for index, (review_uuid, review_id, child_id, version_id) in enumerate(counted):
        if index % 5 == 0:
            reviews.withdraw_review(db, sally, review_uuid, "Entered in error")
        elif index % 3 == 0:
            domains = {d["key"]: d["id"] for d in stars.load_version(db, version_id)["domains"]}
            faces = 3 if child_id % 2 else 5
            child_view.store(
                db, review_id, domains, {"faces": faces, "readings": {k: 1 + index % faces for k in domains}}
            )
    db.execute(
        "UPDATE caseloads SET practitioner_id = ? WHERE child_id IN (?, ?, ?)",
        [colleague, made[1], made[4], made[7 % count]],
    )
    db["audit_log"].insert({"user_id": world.slt, "action": "view child record", "child_id": made[4]})
    db.execute("UPDATE caseloads SET discharged_on = ? WHERE child_id = ?", [TODAY.isoformat(), made[2]])
    db.conn.commit()
    return made


@pytest.fixture
def sally(db, world):
    """Sally practises in SLT and physio, with a colleague in both."""
    db["memberships"].insert(
        {"user_id": world.slt, "service_id": world.services["physio"], "role": "practitioner"}
    )
    colleague = (
        db["users"].insert({"email": "colleague@test.example", "name": "Col", "role": "practitioner"}).last_pk
    )
    for key in ("slt", "physio"):
        db["memberships"].insert(
            {"user_id": colleague, "service_id": world.services[key], "role": "practitioner"}
        )
    return world.slt


def statements_of(db, work):
    seen = []
    db.conn.set_trace_callback(seen.append)
    try:
        result = work()
    finally:
        db.conn.set_trace_callback(None)
    return result, seen


def test_the_batched_bundle_equals_the_bundle_read_child_by_child(db, world, sally):
    made = add_children(db, world, 24, seed=1)
    expected = bundle_child_by_child(db, sally)
    bundle = offline_bundle.caseload_bundle(db, sally)
    assert len(bundle["chart_scales"]) == 2  # one per star (SLT's and physio's), not one per child
    bundle = with_scales_in_charts(bundle)
    assert bundle == without_unread_fields(expected)
    # The data is as varied as it claims: it would catch children's parts being mixed up.
    kept = {child["id"]: child for child in bundle["children"]}
    assert made[1] not in kept and made[2] not in kept and made[4] in kept  # colleague's, discharged, opened
    records = [record for child in kept.values() for record in child["services"].values()]
    assert {len(child["services"]) for child in kept.values()} == {1, 2}
    assert {child["child_faces"] for child in kept.values()} == {3, 5}
    assert any(r["chart"] and len(r["chart"]["datasets"]) > 2 for r in records)
    assert any(r["chart"] is None for r in records) or any(not r["open_targets"] for r in records)
    assert sum(len(r["open_targets"]) for r in records) > 10
    assert len({r["next_due_text"] for r in records}) > 10
    logged = db.execute(
        "SELECT child_id FROM audit_log WHERE action = 'keep caseload offline' AND user_id = ? ORDER BY id",
        [sally],
    ).fetchall()
    assert [row[0] for row in logged] == [child["id"] for child in bundle["children"]]


def test_the_bundle_takes_as_many_statements_for_many_children_as_for_few(db, world, sally):
    add_children(db, world, 6, seed=2)
    offline_bundle.caseload_bundle(db, sally)  # published star versions are read once per process
    few, few_statements = statements_of(db, lambda: offline_bundle.caseload_bundle(db, sally))
    add_children(db, world, 60, seed=3)
    many, many_statements = statements_of(db, lambda: offline_bundle.caseload_bundle(db, sally))
    assert len(many["children"]) > len(few["children"]) + 40
    assert len(many_statements) == len(few_statements)
    assert len(many_statements) < 25


def test_each_kept_form_has_the_targets_its_own_online_form_would_close(client, auth, app, db, world, sally):
    add_children(db, world, 12, seed=4)
    auth.login("slt@test.example")
    bundle = client.get("/api/v1/offline/bundle").json
    records = [
        (child, key, record) for child in bundle["children"] for key, record in child["services"].items()
    ]
    assert {len(record["open_targets"]) for _, _, record in records} >= {0, 2}
    with app.test_request_context():
        for child, key, record in records:
            service_id = world.services[key]
            star = stars.load_version(db, stars.current_version_id(db, service_id))
            own = review_form_context(star, open_targets(db, child["id"], service_id), {})
            markup = render_template("practitioner/_targets_to_close.html", **own).strip()
            assert record["targets_to_close"] == markup, (child["given_name"], key)
