"""DESIGN.md's shared rules, each written once: which reviews count, and when the next one is due.

Every query and every page asks these; no SQL or template spells them out again.
"""

from datetime import date, timedelta


def counted(alias="r"):
    """SQL condition for a counted review (DESIGN.md): submitted, the latest version, not withdrawn.

    Spelled exactly like the partial indexes' WHERE clause, so SQLite can use them
    (tests/test_rules.py keeps the two the same). `alias` "" for an unaliased table.
    """
    column = f"{alias}." if alias else ""
    return f"{column}status = 'submitted' AND {column}is_latest = 1 AND {column}withdrawn_at IS NULL"


def latest_first(alias="r"):
    """ORDER BY for reviews newest first. Two counted reviews on one date (history imported before
    one review per child, service and day was enforced): the higher id is the later one."""
    column = f"{alias}." if alias else ""
    return f"{column}date DESC, {column}id DESC"


def oldest_first(alias="r"):
    """ORDER BY for reviews oldest first: latest_first reversed, so "first" and "latest" agree."""
    column = f"{alias}." if alias else ""
    return f"{column}date, {column}id"


def due_date(previous_review_date, interval_days):
    """When the next review is due: DESIGN.md's previous review (a date or ISO text) + the interval."""
    previous = previous_review_date
    if isinstance(previous, str):
        previous = date.fromisoformat(previous)
    return previous + timedelta(days=interval_days)


def due_date_sql(previous, interval):
    """due_date as an SQL expression, for the scorecard's reviews on time (column and parameter names)."""
    return f"date({previous}, '+' || {interval} || ' days')"


def due_date_in_force(previous_review_date, intervals):
    """The due date when the service's interval has changed over time (DESIGN.md: "on time" uses the
    interval in force at the due date): the first day on which the days since the previous review
    reach the interval in force that day. `intervals`: [(effective_from date or ISO text, days)].

    With one interval this is due_date. Worked example: 182 days, then 91 from 1 June 2025; after a
    review on 1 March 2025 the 182 days would end on 30 August, when 91 is in force, and 91 days
    end on 31 May, when 182 still is: the review is due on 1 June, the day 91 took effect.
    """
    previous = (
        date.fromisoformat(previous_review_date)
        if isinstance(previous_review_date, str)
        else (previous_review_date)
    )
    spans = sorted((date.fromisoformat(str(start)), days) for start, days in intervals)
    candidates = []
    for index, (start, days) in enumerate(spans):
        until = spans[index + 1][0] if index + 1 < len(spans) else date.max
        day = max(previous + timedelta(days=days), start)
        if day < until:
            candidates.append(day)
    return min(candidates)


def due_date_in_force_sql(previous, service):
    """due_date_in_force as an SQL expression over service_intervals (column and parameter names)."""
    candidate = f"max(date({previous}, '+' || i.review_interval_days || ' days'), i.effective_from)"
    return f"""(SELECT min({candidate}) FROM service_intervals i
        WHERE i.service_id = {service}
          AND {candidate} < coalesce(
              (SELECT min(n.effective_from) FROM service_intervals n
               WHERE n.service_id = i.service_id AND n.effective_from > i.effective_from),
              '9999-12-31'))"""


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


def overdue_by_previous_sql(previous, interval):
    """overdue_sql(due_date_sql(previous, interval)) as a condition on the previous review's date
    itself: the due date is a whole number of days after it, so it is before :today exactly when
    the previous review is before :today less those days; an index on that date then answers it."""
    return f"({previous} < date(:today, '-' || {interval} || ' days'))"


def due_soon_by_previous_sql(previous, interval):
    """due_soon_sql(due_date_sql(previous, interval)) on the previous review's date, as above."""
    return (
        f"({previous} IS NULL OR {previous} BETWEEN date(:today, '-' || {interval} || ' days')"
        f" AND date(:today, '+{DUE_SOON_DAYS} days', '-' || {interval} || ' days'))"
    )
