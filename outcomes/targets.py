"""Targets: what is open for a child, and the outcome to suggest when one is closed."""

from .db import id_list
from .rules import counted, latest_first


def suggested_outcome(start_score, target_score, score):
    """DESIGN.md: met at or above the target reading, partly met when it rose from the start, else not met."""
    if score is None:
        return None
    if score >= target_score:
        return "met"
    if start_score is not None and score > start_score:
        return "partly_met"
    return "not_met"


def open_targets(db, child_id, service_id, editing_review_id=None):
    """Targets set at a counted review and not yet closed, each with `set_on`: that review's date.

    Only submitted reviews hold outcomes (a draft keeps its plan aside). Outcomes recorded by
    `editing_review_id` (the review being amended) do not count as closing, so they can change.
    """
    return open_targets_by_child(db, [child_id], service_id, editing_review_id).get(child_id, [])


def open_targets_by_child(db, child_ids, service_id, editing_review_id=None):
    """open_targets for many children of one service in one statement: {child id: [targets]},
    leaving out children with none open."""
    found = {}
    for target in db.query(
        f"""SELECT t.*, r.date AS set_on
           FROM targets t
           JOIN reviews r ON r.id = t.set_in_review_id AND {counted()}
           LEFT JOIN target_outcomes o ON o.target_id = t.id
           WHERE t.child_id IN (SELECT value FROM json_each(:children)) AND t.service_id = :service
             AND (o.target_id IS NULL OR o.review_id = :editing)
           ORDER BY t.child_id, t.due_date, t.id""",
        {"children": id_list(child_ids), "service": service_id, "editing": editing_review_id or -1},
    ):
        found.setdefault(target["child_id"], []).append(target)
    return found


def closed_targets(db, child_id, service_id):
    """Targets closed by a counted review, newest first, with the outcome and when."""
    return list(
        db.query(
            f"""SELECT t.*, o.outcome, o.gas_level, o.reason, o.score_at_close, r.date AS closed_on,
                  r.id AS closed_in
           FROM targets t
           JOIN target_outcomes o ON o.target_id = t.id
           JOIN reviews r ON r.id = o.review_id AND {counted()}
           WHERE t.child_id = ? AND t.service_id = ?
           ORDER BY {latest_first()}, t.id""",
            [child_id, service_id],
        )
    )


OUTCOME_LABELS = {
    "met": "Met",
    "partly_met": "Partly met",
    "not_met": "Not met",
    "withdrawn": "Withdrawn",
}
