"""DESIGN.md's shared rules, each written once: which reviews count, and when the next one is due.

Every query and every page asks these; no SQL or template spells them out again.
"""

from datetime import date, timedelta


def counted(alias="r"):
    """SQL condition for a counted review (DESIGN.md): submitted, and the latest version.

    Spelled exactly like the partial indexes' WHERE clause, so SQLite can use them
    (tests/test_rules.py keeps the two the same). `alias` "" for an unaliased table.
    """
    column = f"{alias}." if alias else ""
    return f"{column}status = 'submitted' AND {column}is_latest = 1"


def due_date(previous_review_date, interval_days):
    """When the next review is due: DESIGN.md's previous review (a date or ISO text) + the interval."""
    previous = previous_review_date
    if isinstance(previous, str):
        previous = date.fromisoformat(previous)
    return previous + timedelta(days=interval_days)


def due_date_sql(previous, interval):
    """due_date as an SQL expression, for the scorecard's reviews on time (column and parameter names)."""
    return f"date({previous}, '+' || {interval} || ' days')"


def next_review(last_review, interval_days, today=None):
    """{next_due, overdue} after the last counted review (an ISO date, or None: due now, not overdue).

    Due today is not overdue: a review held on its due date is on time.
    """
    if last_review is None:
        return {"next_due": None, "overdue": False}
    due = due_date(last_review, interval_days)
    return {"next_due": due.isoformat(), "overdue": due < (today or date.today())}


# "Due soon" on the caseload: the next review falls within four weeks (a child never reviewed is due now).
DUE_SOON_DAYS = 28


def overdue_sql(due):
    """next_review's overdue as SQL over a due-date expression and the :today parameter."""
    return f"({due} IS NOT NULL AND {due} < :today)"


def due_soon_sql(due):
    """Due now or within DUE_SOON_DAYS of :today, and not yet overdue, as SQL."""
    return f"({due} IS NULL OR {due} BETWEEN :today AND date(:today, '+{DUE_SOON_DAYS} days'))"
