"""The scorecard's stored facts (outcomes/facts.py, review_facts) against the old computation from
reviews and readings (tests/scorecard_raw.py), after random histories of every kind of write:
reviews with levels, weights and the child's own view, amendments, withdrawals, family views with
readings and ratings given either side of a quarter's UK midnight, changed weights and erasure."""

import os
import tempfile
import uuid
from datetime import date, timedelta
from types import SimpleNamespace

from hypothesis import example, given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError
from scorecard_data import save
from scorecard_raw import raw_queries

from outcomes import create_app, demo, facts, periods, retention, reviews, rules, scorecard, stars, users
from outcomes import services as services_module
from outcomes.db import connect, write_transaction

PERIODS = [
    periods.parse(label)
    for label in ("2024-25", "2024-25 Q4", "2025-26", "2025-26 Q1", "2025-26 Q2", "2025-26 Q3", "2025-26 Q4")
]
START = date(2025, 1, 1)
OUTCOMES = ("met", "partly_met", "not_met", "withdrawn")
# The level a closed target is given, by outcome and `pick`.
LEVELS = {"met": (0, 1, 2), "partly_met": (-1,), "not_met": (-2,), "withdrawn": (None,)}
# When a family's rating is given (UTC): either side of a UK midnight in summer time and in winter.
TIMES = ("22:59:59", "23:00:00", "23:30:00", "00:30:00", "12:00:00")
ANSWERS = (("very_good", 5), ("good", 4), ("neither", 3), ("poor", 2), ("very_poor", 1), ("dont_know", None))

# One step of a history: (kind, child, service, day, score, skip, pick).
STEPS = st.tuples(
    st.sampled_from(
        [
            "review",
            "review",
            "review",
            "draft",
            "amend",
            "withdraw",
            "discard",
            "interval",
            "family",
            "family",
            "unview",
            "weights",
            "level",
            "child",
            "erase",
        ]
    ),
    st.integers(0, 2),
    st.sampled_from(["slt", "physio"]),
    # Any day from 1 January 2025, often the last or first day of a quarter (ties at its edges).
    st.one_of(st.integers(0, 450), st.sampled_from([89, 90, 180, 181, 272, 273, 364, 365])),
    st.integers(1, 10),
    st.integers(0, 7),
    st.integers(0, 50),
)


class World:
    """A fresh database with two services, one practitioner and three children on both caseloads."""

    def __init__(self):
        folder = tempfile.mkdtemp()
        app = create_app({"TESTING": True, "DATABASE": os.path.join(folder, "t.sqlite"), "SECRET_KEY": "t"})
        self.db = db = connect(app.config["DATABASE"])
        self.services = stars.create_default_services(db)
        self.staff = users.create_user(db, "p@test.example", "P", "practitioner", password_hash="x")
        self.parents = [
            users.create_user(db, f"f{n}@test.example", "F", "family", password_hash="x") for n in range(2)
        ]
        self.children = []
        for number in range(3):
            child = db["children"].insert(
                {"given_name": f"C{number}", "family_name": "X", "date_of_birth": f"201{number}-06-01"}
            )
            self.children.append(child.last_pk)
            for key in ("slt", "physio"):
                db["caseloads"].insert(
                    {"child_id": child.last_pk, "service_id": self.services[key], "started_on": "2024-01-01"}
                )
        for key in ("slt", "physio"):
            db["memberships"].insert(
                {"user_id": self.staff, "service_id": self.services[key], "role": "practitioner"}
            )
        self.domains = {
            key: [d["key"] for d in stars.load_version(db, stars.current_version_id(db, sid))["domains"]]
            for key, sid in self.services.items()
        }
        self.drafts = []

    def readings(self, key, score, skip):
        # `skip` leaves domains unassessed (all of them when it is 7: a review with no mean).
        return {
            domain: {"score": None, "not_assessed_reason": "Unwell"}
            if skip == 7 or (skip and index % skip == 0)
            else {"score": max(1, min(10, score + index % 3 - 1)), "not_assessed_reason": None}
            for index, domain in enumerate(self.domains[key])
        }

    def counted(self, child, key):
        return self.db.execute(
            "SELECT id, uuid FROM reviews WHERE child_id = ? AND service_id = ? AND status = 'submitted' "
            "AND is_latest = 1 AND withdrawn_at IS NULL ORDER BY id",
            [child, self.services[key]],
        ).fetchall()

    def step(self, kind, child_number, key, day, score, skip, pick):
        child, when = self.children[child_number], START + timedelta(days=day)
        try:
            getattr(self, kind)(child, key, when, score, skip, pick)
        except (ValidationError, reviews.Conflict, reviews.Refused, LookupError):
            pass  # refused like a person's would be (one review a day, ...): nothing written

    def review(self, child, key, when, score, skip, pick, submit=True):
        # Open targets set at an earlier review are closed by this one.
        open_targets = self.db.execute(
            "SELECT t.id FROM targets t JOIN reviews r ON r.id = t.set_in_review_id "
            "WHERE t.child_id = ? AND t.service_id = ? AND r.date < ? "
            "AND t.id NOT IN (SELECT target_id FROM target_outcomes) ORDER BY t.id",
            [child, self.services[key], when.isoformat()],
        ).fetchall()
        data = {
            "uuid": uuid.uuid4(),
            "child_id": child,
            "service": key,
            "date": when,
            "readings": self.readings(key, score, skip),
            "targets": [
                {
                    "domain": self.domains[key][0],
                    "description": "Aim",
                    "target_score": 10,
                    "due_date": None,
                    # blank (weight 1) or 1-3 each
                    "importance": (None, 1, 2, 3)[pick % 4],
                    "difficulty": (None, 3, 1, 2)[score % 4],
                }
            ],
            "target_outcomes": [
                {
                    "target_id": target,
                    "outcome": OUTCOMES[(pick + n) % 4],
                    "gas_level": LEVELS[OUTCOMES[(pick + n) % 4]][
                        (score + n) % len(LEVELS[OUTCOMES[(pick + n) % 4]])
                    ],
                    "reason": "Moved",
                }
                for n, (target,) in enumerate(open_targets)
            ],
            "notes": "",
            "internal_notes": "",
            "submit": submit,
        }
        if pick % 3 == 0:
            data["child_view"] = {"faces": 5, "readings": {self.domains[key][1]: 1 + score % 5}}
        review, _ = reviews.save_review(self.db, self.staff, data)
        if not submit:
            self.drafts.append(review["uuid"])

    def draft(self, child, key, when, score, skip, pick):
        self.review(child, key, when, score, skip, pick, submit=False)

    def amend(self, child, key, when, score, skip, pick):
        counted = self.counted(child, key)
        if counted:
            review_id = counted[pick % len(counted)][0]
            data = {
                "date": when,
                "readings": self.readings(key, score, skip),
                "notes": "",
                "internal_notes": "",
                "amendment_reason": "Typed wrongly",
            }
            reviews.amend_review(self.db, self.staff, review_id, data)

    def withdraw(self, child, key, when, score, skip, pick):
        counted = self.counted(child, key)
        if counted:
            user = SimpleNamespace(id=self.staff, role="practitioner")
            reviews.withdraw_review(self.db, user, counted[pick % len(counted)][1], "Wrong child")

    def discard(self, child, key, when, score, skip, pick):
        if self.drafts:
            reviews.discard_draft(self.db, self.staff, self.drafts.pop(pick % len(self.drafts)))

    def interval(self, child, key, when, score, skip, pick):
        name = self.db["services"].get(self.services[key])["name"]
        services_module.update_service(
            self.db, self.services[key], {"name": name, "review_interval_days": 60 + 30 * (pick % 6)}, when
        )

    def family(self, child, key, when, score, skip, pick):
        """A family's view of a counted review, given (or given again) at a moment near a quarter's edge;
        written row by row, as a restored or imported view would be."""
        counted = self.counted(child, key)
        if not counted:
            return
        review_id, parent = counted[pick % len(counted)][0], self.parents[pick % 2]
        answer, rating = ANSWERS[(score + pick) % len(ANSWERS)]
        created = f"{when.isoformat()} {TIMES[pick % len(TIMES)]}"
        found = self.db.execute(
            "SELECT id FROM family_views WHERE review_id = ? AND user_id = ?", [review_id, parent]
        ).fetchone()
        if found:
            view_id = found[0]
            self.db.execute(
                "UPDATE family_views SET fft_answer = ?, rating = ?, created_at = ? WHERE id = ?",
                [answer, rating, created, view_id],
            )
            if skip % 2:  # only the rating and when it was given change
                self.db.conn.commit()
                return
            self.db.execute("DELETE FROM family_view_readings WHERE family_view_id = ?", [view_id])
        else:
            view_id = self.db.execute(
                "INSERT INTO family_views (review_id, user_id, fft_answer, rating, comment, created_at) "
                "VALUES (?, ?, ?, ?, '', ?)",
                [review_id, parent, answer, rating, created],
            ).lastrowid
        self.db.execute(
            "INSERT INTO family_view_readings (family_view_id, domain_id, score) "
            "SELECT ?, domain_id, ? + (domain_id % 3) FROM readings "
            "WHERE review_id = ? AND domain_id % ? = 0",
            [view_id, max(1, score - 1), review_id, 1 + skip % 3],
        )
        self.db.conn.commit()

    def unview(self, child, key, when, score, skip, pick):
        view = self.db.execute(
            "SELECT fv.id FROM family_views fv JOIN reviews r ON r.id = fv.review_id "
            "WHERE r.child_id = ? AND r.service_id = ? ORDER BY fv.id",
            [child, self.services[key]],
        ).fetchall()
        if view:
            view_id = view[pick % len(view)][0]
            if skip % 2:  # some of its readings only
                self.db.execute(
                    "DELETE FROM family_view_readings WHERE family_view_id = ? AND domain_id % 2 = 0",
                    [view_id],
                )
            else:  # the view, then its readings (which then belong to no review)
                with write_transaction(self.db):
                    self.db.execute("PRAGMA defer_foreign_keys = ON")
                    self.db.execute("DELETE FROM family_views WHERE id = ?", [view_id])
                    self.db.execute("DELETE FROM family_view_readings WHERE family_view_id = ?", [view_id])
            self.db.conn.commit()

    def weights(self, child, key, when, score, skip, pick):
        self.db.execute(
            "UPDATE targets SET importance = ?, difficulty = ? WHERE child_id = ? AND service_id = ?",
            [(None, 1, 2, 3)[pick % 4], (None, 1, 2, 3)[score % 4], child, self.services[key]],
        )
        self.db.conn.commit()

    def level(self, child, key, when, score, skip, pick):
        """A closed target's level corrected on its own (a met target's level is 0 to +2)."""
        self.db.execute(
            "UPDATE target_outcomes SET gas_level = ? WHERE outcome = 'met' AND target_id IN "
            "(SELECT id FROM targets WHERE child_id = ? AND service_id = ?)",
            [pick % 3, child, self.services[key]],
        )
        self.db.conn.commit()

    def child(self, child, key, when, score, skip, pick):
        """The child's own view added to, or taken from, a counted review on its own."""
        counted = self.counted(child, key)
        if not counted:
            return
        without = [
            review_id
            for review_id, _ in counted
            if not self.db["child_readings"].count_where("review_id = ?", [review_id])
        ]
        review_id = (without or [review_id for review_id, _ in counted])[pick % len(without or counted)]
        if skip % 2:
            self.db.execute("DELETE FROM child_readings WHERE review_id = ?", [review_id])
        else:
            self.db.execute(
                "INSERT OR IGNORE INTO child_readings (review_id, domain_id, faces, face) "
                "SELECT review_id, domain_id, 3, 2 FROM readings WHERE review_id = ? LIMIT 1",
                [review_id],
            )
        self.db.conn.commit()

    def erase(self, child, key, when, score, skip, pick):
        retention.erase(self.db, self.staff, child, today=when)


def figures_both_ways(db):
    """[(from facts, computed the old way)] for every period, service-wide and by SEN status."""
    rows = scorecard.services(db)
    pairs = []
    for period in PERIODS:
        ours = (
            scorecard.compute_services(db, rows, period),
            scorecard.group_figures(db, rows, period, "age_band"),
        )
        with raw_queries():
            old = (
                scorecard.compute_services(db, rows, period),
                scorecard.group_figures(db, rows, period, "age_band"),
            )
        pairs.append((period.label, ours, old))
    return pairs


# A worked history besides the generated ones: a review on a quarter's last day after one in the
# same quarter (only the later is the child's latest), a first review with nothing assessed, an
# amendment that moves a review into another quarter, a withdrawal and a shorter interval.
EXAMPLE = [
    ("review", 0, "slt", 200, 3, 0, 0),
    ("review", 0, "slt", 272, 6, 2, 1),
    ("review", 0, "slt", 330, 8, 0, 2),
    ("review", 1, "slt", 95, 5, 7, 0),
    ("review", 1, "slt", 180, 7, 0, 0),
    ("review", 1, "slt", 364, 2, 3, 0),
    ("amend", 1, "slt", 400, 9, 0, 2),
    ("review", 2, "physio", 10, 4, 0, 0),
    ("review", 2, "physio", 273, 5, 0, 3),
    ("withdraw", 2, "physio", 0, 0, 0, 0),
    ("interval", 0, "slt", 250, 0, 0, 1),
    ("family", 0, "slt", 272, 5, 0, 1),  # 23:00 UTC on 30 September: 1 October in the UK
    ("family", 0, "slt", 365, 7, 1, 3),  # 00:30 UTC on 1 January: January
    ("family", 1, "slt", 364, 2, 2, 2),  # 23:30 UTC on 31 December: still December in the UK
    ("review", 2, "physio", 300, 6, 0, 3),
    ("family", 2, "physio", 89, 4, 0, 2),  # 23:30 UTC on 31 March: 1 April in the UK
    ("weights", 0, "slt", 0, 2, 0, 3),
    ("family", 0, "slt", 273, 3, 1, 1),  # the same view's rating given again, its readings kept
    ("review", 1, "physio", 50, 5, 0, 1),
    ("review", 1, "physio", 150, 6, 0, 1),
    ("review", 2, "slt", 40, 5, 0, 1),
    ("review", 2, "slt", 140, 6, 0, 2),
    ("family", 1, "physio", 160, 6, 0, 0),
    ("family", 0, "slt", 210, 6, 0, 3),
    ("erase", 0, "slt", 400, 0, 0, 0),
    # Last, each on its own child and service (a later write would rebuild the pair's facts anyway):
    ("unview", 0, "slt", 0, 0, 0, 1),  # a view deleted before its readings
    ("unview", 1, "physio", 0, 0, 1, 0),  # some readings of a view deleted
    ("level", 1, "slt", 0, 0, 0, 2),  # a closed target's level corrected on its own
    ("child", 2, "slt", 0, 0, 0, 0),  # the child's own view added on its own
    ("child", 2, "physio", 0, 0, 1, 0),  # and taken away
]


@settings(max_examples=25, deadline=None, derandomize=True, database=None)
@given(st.lists(STEPS, min_size=1, max_size=40))
@example(EXAMPLE)
def test_the_facts_give_the_old_figures_after_any_history_and_equal_their_rebuild(steps):
    world = World()
    for step in steps:
        world.step(*step)
    db = world.db
    for label, ours, old in figures_both_ways(db):
        assert ours == old, label
    kept = facts.rows(db)
    assert (
        len(kept["review_facts"])
        == db.execute("SELECT count(*) FROM reviews WHERE " + rules.counted("")).fetchone()[0]
    )
    facts.rebuild(db)
    assert facts.rows(db) == kept
    db.close()


def rebuilt_rows(db):
    """The facts a full rebuild would give now, leaving the database as it was."""
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        facts.rebuild(db)
        return facts.rows(db)
    finally:
        db.conn.execute("ROLLBACK")


# The refresh writes only the facts that differ from the stored ones (a review added after the others
# touches its own rows and its predecessor's): after every single write, not only at the end of a
# history (where a later write could have put an earlier wrong row right), the facts and their sums
# by quarter are exactly what a full rebuild gives.
@settings(max_examples=10, deadline=None, derandomize=True, database=None)
@given(st.lists(STEPS, min_size=1, max_size=25))
@example(EXAMPLE)
def test_after_every_write_the_facts_equal_their_rebuild(steps):
    world = World()
    for number, step in enumerate(steps):
        world.step(*step)
        assert facts.rows(world.db) == rebuilt_rows(world.db), (number, step)
    world.db.close()


def test_rebuild_facts_puts_right_facts_that_were_changed_by_hand(runner, db, world):
    slt = next(row for row in scorecard.services(db) if row["key"] == "slt")
    for day, score in (("2025-05-01", 3), ("2025-11-01", 6)):
        save(db, world.slt, world.amy, day, score)
    before = facts.rows(db)
    right = scorecard.compute(db, slt, periods.parse("2025-26"))
    assert right[0]["mean_distance_travelled"] == 3.0
    # A fact gone wrong (say, a restored file from before this release, edited by hand).
    db.execute("UPDATE review_facts SET distance = 0, on_time = 0")
    db.execute("DELETE FROM review_domain_facts")
    assert scorecard.compute(db, slt, periods.parse("2025-26")) != right
    result = runner.invoke(args=["rebuild-facts"])
    assert result.exit_code == 0, result.output
    assert "2 counted reviews, 6 distances by domain" in result.output
    assert facts.rows(db) == before
    assert scorecard.compute(db, slt, periods.parse("2025-26")) == right


def test_the_demo_bulk_history_gets_the_facts_it_would_get_row_by_row(db):
    """demo.seed writes through save_review and, in bulk, reviews.bulk_insert (one rebuild per
    child and service at the end): its facts equal their rebuild and give the old figures."""
    demo.seed(db, "outcomes-demo", today=date(2026, 4, 20))
    kept = facts.rows(db)
    assert len(kept["review_facts"]) > 100 and len(kept["review_domain_facts_by_quarter"]) > 100
    rows = scorecard.services(db)
    for period in (periods.parse("2025-26"), periods.parse("2025-26 Q3")):
        ours = scorecard.compute_services(db, rows, period)
        with raw_queries():
            assert scorecard.compute_services(db, rows, period) == ours
    facts.rebuild(db)
    assert facts.rows(db) == kept
