"""The caseload page read through the stored last review dates (caseload_last_reviews) against the
straightforward computation from the reviews themselves, after random histories of reviews, drafts,
amendments, withdrawals, discarded drafts, interval changes, erasures, discharges, children put back
on a caseload and moves between practitioners: the same children, in the same order, with the same
dates, flags and drafts, on the same pages, for every choice of the caseload's filter form."""

from datetime import date, timedelta
from itertools import product

from hypothesis import example, given, settings
from hypothesis import strategies as st
from test_facts import EXAMPLE, World

from outcomes import children, facts, rules, users

TODAY = date(2026, 1, 15)
QUERIES = [
    {"q": q, "scope": scope, "show": show, "sort": sort}
    for q, scope, show, sort in product(
        ("", "c1"), ("mine", "service"), ("all", "due_soon", "overdue"), ("due", "name")
    )
]
STEPS = st.tuples(
    st.sampled_from(
        ["review", "review", "review", "draft", "amend", "withdraw", "discard", "interval", "erase"]
        + ["discharge", "readd", "move", "move"]
    ),
    st.integers(0, 4),
    st.sampled_from(["slt", "physio"]),
    st.integers(0, 400),
    st.integers(1, 10),
    st.integers(0, 7),
    st.integers(0, 50),
)


class CaseloadWorld(World):
    """test_facts' world, with a second practitioner, five children (two with one name: the record
    number breaks the tie) and the caseload's own writes."""

    def __init__(self):
        super().__init__()
        db = self.db
        self.other = users.create_user(db, "o@test.example", "O", "practitioner", password_hash="x")
        for key in ("slt", "physio"):
            db["memberships"].insert(
                {"user_id": self.other, "service_id": self.services[key], "role": "practitioner"}
            )
        for _ in range(2):
            child = db["children"].insert(
                {"given_name": "C1", "family_name": "X", "date_of_birth": "2015-03-01"}
            )
            self.children.append(child.last_pk)
            for key in ("slt", "physio"):
                db["caseloads"].insert(
                    {"child_id": child.last_pk, "service_id": self.services[key], "started_on": "2024-01-01"}
                )

    def _open(self, child, key):
        return self.db.execute(
            "SELECT id FROM caseloads WHERE child_id = ? AND service_id = ? AND discharged_on IS NULL",
            [child, self.services[key]],
        ).fetchone()

    def discharge(self, child, key, when, score, skip, pick):
        entry = self._open(child, key)
        if entry:
            children.discharge(self.db, self.staff, entry[0], date(2025, 1, 1) + timedelta(days=pick))

    def readd(self, child, key, when, score, skip, pick):
        owner = (None, self.staff, self.other)[pick % 3]
        data = {"service_id": self.services[key], "practitioner_id": owner, "started_on": date(2025, 6, 1)}
        children.add_to_caseload(self.db, self.staff, child, data)

    def move(self, child, key, when, score, skip, pick):
        entry = self._open(child, key)
        if entry:
            children.move(self.db, self.staff, entry[0], (None, self.staff, self.other)[pick % 3])


def straightforward(db, user, service_id, query, page_size):
    """Every page of the caseload worked out in Python from the reviews, the rules and the caseloads."""
    interval = db.execute("SELECT review_interval_days FROM services WHERE id = ?", [service_id]).fetchone()[
        0
    ]
    listed = []
    for child_id, owner in db.execute(
        "SELECT child_id, practitioner_id FROM caseloads WHERE service_id = ? AND discharged_on IS NULL",
        [service_id],
    ):
        given, family = db.execute(
            "SELECT given_name, family_name FROM children WHERE id = ?", [child_id]
        ).fetchone()
        if query["scope"] == "mine" and owner not in (user, None):
            continue
        if query["q"].lower() not in f"{given} {family}".lower():
            continue
        reviews = db.execute(
            "SELECT date, status, is_latest, withdrawn_at FROM reviews WHERE child_id = ? AND service_id = ?",
            [child_id, service_id],
        ).fetchall()
        counted = [
            day
            for day, status, latest, withdrawn in reviews
            if (status, latest, withdrawn) == ("submitted", 1, None)
        ]
        last = max(counted) if counted else None
        due = rules.next_review(last, interval, TODAY)
        soon = not due["overdue"] and (
            due["next_due"] is None
            or due["next_due"] <= (TODAY + timedelta(days=rules.DUE_SOON_DAYS)).isoformat()
        )
        if (query["show"] == "overdue" and not due["overdue"]) or (query["show"] == "due_soon" and not soon):
            continue
        drafts = sum(status == "draft" for _, status, _, _ in reviews)
        row = (child_id, last, due["next_due"], due["overdue"], soon, drafts)
        listed.append(
            (
                (due["next_due"] is not None, due["next_due"] or "") if query["sort"] == "due" else (),
                family,
                given,
                child_id,
                row,
            )
        )
    listed.sort(key=lambda item: item[:-1])
    rows = [item[-1] for item in listed]
    return [rows[start : start + page_size] for start in range(0, len(rows), page_size)] or [[]]


def shown(db, user, service_id, query, page, page_size):
    listing = children.caseload_page(db, user, service_id, dict(query, page=page), TODAY, page_size)
    rows = [
        (r["id"], r["last_review"], r["next_due"], r["overdue"], r["due_soon"], r["drafts"])
        for r in listing["rows"]
    ]
    return listing, rows


# A worked history: the latest review withdrawn, the latest amended to a later date, a draft, a move
# to another practitioner and to nobody, a discharge, a review refused off the caseload, a return.
WORKED = [
    ("review", 0, "slt", 100, 5, 0, 0),
    ("review", 0, "slt", 300, 5, 0, 0),
    ("withdraw", 0, "slt", 0, 0, 0, 1),
    ("review", 1, "slt", 100, 5, 0, 0),
    ("review", 1, "slt", 300, 5, 0, 0),
    ("amend", 1, "slt", 390, 5, 0, 1),
    ("draft", 2, "slt", 200, 5, 0, 0),
    ("move", 2, "slt", 0, 0, 0, 2),
    ("move", 3, "slt", 0, 0, 0, 0),
    ("review", 4, "slt", 300, 5, 0, 0),
    ("discharge", 4, "slt", 0, 0, 0, 3),
    ("review", 4, "slt", 380, 5, 0, 0),
    ("readd", 4, "slt", 0, 0, 0, 2),
    ("interval", 0, "slt", 250, 0, 0, 1),
]


@settings(max_examples=20, deadline=None, derandomize=True, database=None)
@given(st.lists(STEPS, min_size=1, max_size=40))
@example(WORKED)
@example([step for step in EXAMPLE if step[0] in ("review", "amend", "withdraw", "interval", "erase")])
def test_the_caseload_lists_what_the_reviews_say_after_any_history(steps):
    world = CaseloadWorld()
    for step in steps:
        world.step(*step)
    db = world.db
    for key, query, user in product(("slt", "physio"), QUERIES, (world.staff, world.other)):
        service_id = world.services[key]
        expected = straightforward(db, user, service_id, query, page_size=2)
        total = sum(len(page) for page in expected)
        for page in range(1, len(expected) + 2):  # and one past the end: the last page again
            listing, rows = shown(db, user, service_id, query, page, page_size=2)
            label = (key, query, page)
            assert rows == expected[min(page, len(expected)) - 1], label
            assert (listing["total"], listing["pages"], listing["page"]) == (
                total,
                len(expected),
                min(page, len(expected)),
            ), label
    # The stored dates are what a rebuild makes of the reviews.
    kept = facts.rows(db)["caseload_last_reviews"]
    facts.rebuild(db)
    assert facts.rows(db)["caseload_last_reviews"] == kept
    db.close()
