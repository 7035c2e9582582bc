"""The scorecard's stored facts (review_facts, review_domain_facts, review_view_facts, gas_facts,
family_rating_facts ...): kept, rebuilt and checked.

Triggers (the REVIEW_FACTS and MORE_FACTS migrations) keep the facts current in the same transaction as
every write to the reviews, readings, target outcomes, targets' weights, the child's and the family's
views and ratings and review intervals they are made of; each write queues its
(child, service) and the queue's trigger works that pair's facts out again at once and writes the rows
that differ (REFRESH_ONLY_CHANGED_FACTS). So the rule of what a fact holds has one home, that trigger,
and everything here goes through it. The caseload's last counted review of each (service, child) pair
(caseload_last_reviews, the due-date order) is kept by its own triggers and rebuilt here with the
facts. No Flask imports.
"""

import contextlib

from .db import write_transaction
from .rules import counted

# The sums by quarter first: emptied before the rows whose triggers would take from them.
FACT_TABLES = (
    "review_facts_by_quarter",
    "review_domain_facts_by_quarter",
    "review_distance_by_quarter",
    "review_view_facts_by_quarter",
    "review_view_domain_facts_by_quarter",
    "gas_facts_by_period",
    "family_rating_facts_by_quarter",
    "review_facts",
    "review_domain_facts",
    "review_view_facts",
    "review_view_domain_facts",
    "gas_facts",
    "family_rating_facts",
)


@contextlib.contextmanager
def deferred(db):
    """A write transaction (write_transaction) in which the facts of each (child, service) it
    touches are rebuilt once, at its end, instead of once per row written: a review with six
    readings and two target outcomes would be rebuilt nine times. Every review write path and the
    bulk insert use it; a write outside it still gets its facts at once, row by row.

    Other connections never see the pause: it is undone before the transaction commits.
    """
    with write_transaction(db):
        db.conn.execute("UPDATE review_facts_state SET paused = 1")
        yield db
        db.conn.execute("UPDATE review_facts_state SET paused = 0")
        _refresh_queued(db)


def _refresh_queued(db):
    """Rebuild every queued pair: put each back in the queue, whose trigger rebuilds it."""
    pairs = db.conn.execute("SELECT child_id, service_id FROM review_facts_pending").fetchall()
    db.conn.execute("DELETE FROM review_facts_pending")
    db.conn.executemany("INSERT INTO review_facts_pending (child_id, service_id) VALUES (?, ?)", pairs)


def rebuild(db):
    """Throw every fact away and rebuild them all from the reviews, the caseload's last review dates
    with them; returns the facts' row counts."""
    with write_transaction(db):
        for table in (*FACT_TABLES, "review_facts_pending"):
            db.conn.execute(f"DELETE FROM {table}")
        _refill_last_reviews(db)
        db.conn.execute("UPDATE review_facts_state SET paused = 0")
        db.conn.execute(
            "INSERT INTO review_facts_pending (child_id, service_id) "
            f"SELECT DISTINCT child_id, service_id FROM reviews WHERE {counted('')}"
        )
    return counts(db)


def _refill_last_reviews(db):
    """caseload_last_reviews again: every (service, child) pair ever on a caseload, with the date of
    its last counted review (its triggers keep it so on every write; see M021_CASELOAD_LAST_REVIEWS)."""
    db.conn.execute("DELETE FROM caseload_last_reviews")
    db.conn.execute(
        f"""INSERT INTO caseload_last_reviews (service_id, child_id, last_review)
        SELECT p.service_id, p.child_id, (SELECT max(r.date) FROM reviews r
            WHERE r.service_id = p.service_id AND r.child_id = p.child_id AND {counted()})
        FROM (SELECT DISTINCT service_id, child_id FROM caseloads) p"""
    )


def counts(db):
    return {table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in FACT_TABLES}


def rows(db):
    """Every fact and last review date, sorted: {table: [row tuples]} (for comparing a small database
    with its rebuild)."""
    return {
        table: db.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
        for table in (*FACT_TABLES, "caseload_last_reviews")
    }
