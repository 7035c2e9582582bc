"""A small hand-built history for the scorecard tests, stored through the project's own functions
(reviews.save_review with loaded dicts, reviews.amend_review) plus direct family_views inserts.

Service: Speech and Language Therapy (slt), review interval 182 days, six domains. Every domain
gets the same score at a review unless said otherwise, so a review's mean reading is that score.

child  reviews (date: score)                         targets set -> closed (outcome)
A      2025-09-01: 3, 2026-03-31: 5                   talking 5, attention 6 set 09-01;
                                                      closed 03-31: met, partly_met
B      2025-10-01: 4, 2026-04-01: 6                   talking 6 set 10-01; closed 04-01: met
C      2026-01-15: 5 (first review)                   -
D      2025-08-01: 2, 2026-01-20: 4 amended to 6      talking 5 set 08-01;
                                                      closed 01-20: not_met (moves to the amendment)
E      2025-11-01: 5, 2026-02-15: 4                   talking 7, attention 6 set 11-01;
                                                      closed 02-15: withdrawn, not_met
F      2026-02-10: draft only (never counts)          -
G      2025-12-01: 3 but eating_drinking not assessed, 2026-03-01: 3
                                                      talking 4 set 12-01; closed 03-01: met
Due dates (previous + 182 days): A 2026-03-02 (03-31 is late), B 2026-04-01 (04-01 on time, the
last day), D 2026-01-30 (01-20 on time), E 2026-05-02, G 2026-06-01.

Family ratings (created_at is UTC; British Summer Time began on 29 March 2026): A's 03-31 review 4
at 2026-03-31 22:59:59 UTC, 23:59:59 on 31 March in the UK (Q4); B's 04-01 review 5 at
2026-03-31 23:00:01 UTC, 00:00:01 on 1 April in the UK (next year's Q1); E's 02-15 review 2 at
2026-02-20; D's 01-20 review 3 at 2026-01-25 (given on version 1, moved to the amendment);
C's review: a comment without a rating.
The child's own view (faces) was given at A2, C1, D2 (kept by its amendment), E1 and F's draft.
Physiotherapy has no reviews at all (zero shown).
"""

import uuid
from datetime import date
from types import SimpleNamespace

from outcomes import reviews

SLT_DOMAINS = [
    "attention",
    "understanding",
    "talking",
    "speech_sounds",
    "social_communication",
    "eating_drinking",
]
# Names that must never appear on a manager's page or in the feed.
NAMES = {
    "A": "Aurelio",
    "B": "Bettany",
    "C": "Cosimo",
    "D": "Delphine",
    "E": "Eulalia",
    "F": "Fenwick",
    "G": "Gwendolyn",
}


# The child's own view: five faces, every domain "Happy".
FACES = {"faces": 5, "readings": dict.fromkeys(SLT_DOMAINS, 4)}


def readings(score, not_assessed=(), keys=SLT_DOMAINS):
    return {
        key: (
            {"score": None, "not_assessed_reason": "Unwell on the day"}
            if key in not_assessed
            else {"score": score, "not_assessed_reason": None}
        )
        for key in keys
    }


def save(
    db,
    user_id,
    child_id,
    day,
    score,
    targets=(),
    outcomes=(),
    submit=True,
    not_assessed=(),
    keys=SLT_DOMAINS,
    child_view=None,
):
    data = {
        "uuid": uuid.uuid4(),
        "child_id": child_id,
        "service": "slt",
        "date": date.fromisoformat(day),
        "readings": readings(score, not_assessed, keys),
        "targets": [
            {"domain": domain, "description": f"Work on {domain}", "target_score": target, "due_date": None}
            for domain, target in targets
        ],
        "target_outcomes": [
            {
                "target_id": target_id,
                "outcome": outcome,
                "reason": "Family moved school" if outcome == "withdrawn" else None,
            }
            for target_id, outcome in outcomes
        ],
        "notes": "",
        "internal_notes": "",
        "child_view": child_view,
        "submit": submit,
    }
    review, _ = reviews.save_review(db, user_id, data)
    return review


def rate(db, user_id, review_id, rating, created_at):
    db["family_views"].insert(
        {"review_id": review_id, "user_id": user_id, "rating": rating, "created_at": created_at}
    )


def build(db, world):
    """Store the history above; returns the children's ids and the reviews by name."""
    slt, user = world.services["slt"], world.slt
    child = {}
    for letter, given in NAMES.items():
        child[letter] = (
            db["children"]
            .insert({"given_name": given, "family_name": "Scorecard", "date_of_birth": "2016-01-01"})
            .last_pk
        )
        db["caseloads"].insert({"child_id": child[letter], "service_id": slt, "started_on": "2025-01-01"})
    r = SimpleNamespace()
    r.a1 = save(db, user, child["A"], "2025-09-01", 3, targets=[("talking", 5), ("attention", 6)])
    r.b1 = save(db, user, child["B"], "2025-10-01", 4, targets=[("talking", 6)])
    r.d1 = save(db, user, child["D"], "2025-08-01", 2, targets=[("talking", 5)])
    r.e1 = save(
        db, user, child["E"], "2025-11-01", 5, targets=[("talking", 7), ("attention", 6)], child_view=FACES
    )
    r.g1 = save(
        db, user, child["G"], "2025-12-01", 3, targets=[("talking", 4)], not_assessed=["eating_drinking"]
    )
    a_targets = {t["domain"]: t["id"] for t in r.a1["targets"]}
    e_targets = {t["domain"]: t["id"] for t in r.e1["targets"]}
    r.a2 = save(
        db,
        user,
        child["A"],
        "2026-03-31",
        5,
        outcomes=[(a_targets["talking"], "met"), (a_targets["attention"], "partly_met")],
        child_view=FACES,
    )
    r.b2 = save(db, user, child["B"], "2026-04-01", 6, outcomes=[(r.b1["targets"][0]["id"], "met")])
    r.c1 = save(db, user, child["C"], "2026-01-15", 5, child_view={"faces": 3, "readings": {"talking": 3}})
    r.d2 = save(
        db,
        user,
        child["D"],
        "2026-01-20",
        4,
        outcomes=[(r.d1["targets"][0]["id"], "not_met")],
        child_view=FACES,
    )
    r.e2 = save(
        db,
        user,
        child["E"],
        "2026-02-15",
        4,
        outcomes=[(e_targets["talking"], "withdrawn"), (e_targets["attention"], "not_met")],
    )
    r.f1 = save(db, user, child["F"], "2026-02-10", 9, submit=False, child_view=FACES)
    r.g2 = save(db, user, child["G"], "2026-03-01", 3, outcomes=[(r.g1["targets"][0]["id"], "met")])
    rate(db, world.family, r.a2["id"], 4, "2026-03-31 22:59:59")
    rate(db, world.family, r.b2["id"], 5, "2026-03-31 23:00:01")
    rate(db, world.family, r.e2["id"], 2, "2026-02-20 10:00:00")
    rate(db, world.family, r.d2["id"], 3, "2026-01-25 09:30:00")
    db["family_views"].insert(
        {
            "review_id": r.c1["id"],
            "user_id": world.family,
            "rating": None,
            "comment": "Thanks",
            "created_at": "2026-01-16 12:00:00",
        }
    )
    r.d2_amended = reviews.amend_review(
        db,
        user,
        r.d2["id"],
        {"readings": readings(6), "notes": "", "internal_notes": "", "amendment_reason": "Scores mistyped"},
    )
    return child, r
