"""The scorecard's stored facts (review_facts, review_domain_facts, review_view_facts, gas_facts,
family_rating_facts ...): kept, rebuilt and checked.

Triggers (the REVIEW_FACTS and MORE_FACTS migrations) keep the facts current in the same transaction as
every write to the reviews, readings, target outcomes, targets' weights, the child's and the family's
views and ratings and review intervals they are made of; each write queues its
(child, service) and the queue's trigger works that pair's facts out again at once and writes the rows
that differ (REFRESH_ONLY_CHANGED_FACTS). So the rule of what a fact holds has one home, that trigger,
and everything here goes through it. No Flask imports.
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
    """Throw every fact away and rebuild them all from the reviews; returns the facts' row counts."""
    with write_transaction(db):
        for table in (*FACT_TABLES, "review_facts_pending"):
            db.conn.execute(f"DELETE FROM {table}")
        db.conn.execute("UPDATE review_facts_state SET paused = 0")
        db.conn.execute(
            "INSERT INTO review_facts_pending (child_id, service_id) "
            f"SELECT DISTINCT child_id, service_id FROM reviews WHERE {counted('')}"
        )
    return counts(db)


def counts(db):
    return {table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in FACT_TABLES}


def rows(db):
    """Every fact, sorted: {table: [row tuples]} (for comparing a small database with its rebuild)."""
    return {table: db.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall() for table in FACT_TABLES}
