"""The audit trail of staff reads and writes of a child's record."""

from flask import current_app, g, has_request_context

from . import audit_spool
from .db import write_transaction, writers_queue

INSERT_MANY = "INSERT INTO audit_log (user_id, action, child_id, detail) VALUES "


def record(db, user_id, action, child_id=None, detail=""):
    """Append one entry.

    A write's entry goes in the write's own transaction (callers hold it), so the two commit together.
    A read's entry (no transaction open) in a request is appended to this process's spool file before
    the page leaves (audit_spool.py): a write of the database for every page view cost the workers
    a third of their time under load. Outside a request (the command line) it is one autocommit INSERT.
    """
    _append(db, user_id, action, [child_id], detail)


def record_reads(db, user_id, action, child_ids, detail=""):
    """One entry per child a page showed (a caseload, a search result), so each child's trail says
    who saw them in a list as well as on their own page. All of them in one append (or one INSERT),
    so they are kept together or not at all."""
    _append(db, user_id, action, list(dict.fromkeys(child_ids)), detail)


# Four parameters a row, well under SQLite's 32,766 a statement; a longer list (an offline bundle's)
# takes several statements in one transaction.
_ROWS_PER_INSERT = 1000


def _append(db, user_id, action, child_ids, detail):
    if not child_ids:
        return
    if not db.conn.in_transaction and has_request_context():
        if audit_spool.append(db, user_id, action, child_ids, detail):
            g.audit_spooled = db
            return
    rows = [(user_id, action, child_id, detail) for child_id in child_ids]
    if db.conn.in_transaction:
        _insert(db, rows)
    elif len(rows) > _ROWS_PER_INSERT:
        with write_transaction(db):
            for start in range(0, len(rows), _ROWS_PER_INSERT):
                _insert(db, rows[start : start + _ROWS_PER_INSERT])
    else:
        _autocommit(db, rows)


def import_spooled(response=None):
    """At the end of a request: copy the spool into audit_log when it is due, without queueing for
    the write lock unless the oldest entry has waited twice as long as it should. A failure is
    logged, not shown: the page's entries are safe in the spool, and the next import takes them."""
    db = g.pop("audit_spooled", None) or g.get("db")
    seconds, entries = current_app.config["AUDIT_SPOOL_SECONDS"], current_app.config["AUDIT_SPOOL_ENTRIES"]
    if db is None or not audit_spool.due(db, seconds, entries):
        return response
    try:
        try:
            audit_spool.import_all(db, wait=False)
        except BlockingIOError:
            if audit_spool.due(db, 2 * seconds, 2 * entries):
                audit_spool.import_all(db)
    except Exception:
        current_app.logger.exception("audit spool: copying into audit_log failed; it is tried again")
    return response


def _insert(db, rows):
    sql = INSERT_MANY + ", ".join(["(?, ?, ?, ?)"] * len(rows))
    db.conn.execute(sql, [value for row in rows for value in row])


def _autocommit(db, rows):
    level = db.conn.isolation_level
    db.conn.isolation_level = None  # SQLite's own autocommit: the INSERT is its own transaction
    try:
        with writers_queue(db):
            _insert(db, rows)
    finally:
        db.conn.isolation_level = level


def init_app(app):
    app.after_request(import_spooled)
    app.teardown_request(lambda exc: import_spooled())


# --- Reading the trail: the admin's audit page, its CSV and the subject-access export -------------

AUDIT_COLUMNS = ["at", "user_id", "user_email", "user_name", "action", "child_id", "child_name", "detail"]


def _where(user_id=None, child_id=None, date_from=None, date_to=None):
    """SQL conditions and parameters for the audit page's filters (dates inclusive, UTC)."""
    conditions, params = [], {}
    if user_id is not None:
        conditions.append("a.user_id = :user_id")
        params["user_id"] = user_id
    if child_id is not None:
        conditions.append("a.child_id = :child_id")
        params["child_id"] = child_id
    if date_from is not None:
        conditions.append("a.at >= :date_from")
        params["date_from"] = date_from.isoformat()
    if date_to is not None:
        # Entries are stamped '2026-01-31T10:00:00.000Z'; anything on the end day sorts below 'T~'.
        conditions.append("a.at < :date_to")
        params["date_to"] = date_to.isoformat() + "T~"
    return (" WHERE " + " AND ".join(conditions) if conditions else ""), params


def entries(db, limit=None, offset=0, **filters):
    """Audit entries, newest first, with who and which child, filtered by user, child and dates."""
    audit_spool.import_all(db)
    where, params = _where(**filters)
    page = ""
    if limit is not None:
        page = " LIMIT :limit OFFSET :offset"
        params.update(limit=limit, offset=offset)
    return list(
        db.query(
            f"""SELECT a.at, a.user_id, u.email AS user_email, u.name AS user_name, a.action,
                   a.child_id, ch.given_name || ' ' || ch.family_name AS child_name, a.detail
            FROM audit_log a LEFT JOIN users u ON u.id = a.user_id
            LEFT JOIN children ch ON ch.id = a.child_id
            {where} ORDER BY a.at DESC, a.id DESC{page}""",
            params,
        )
    )


def count(db, **filters):
    audit_spool.import_all(db)
    where, params = _where(**filters)
    return db.execute(f"SELECT count(*) FROM audit_log a{where}", params).fetchone()[0]


def write_csv(rows, out):
    """Write audit entries as CSV (one header row, the columns of AUDIT_COLUMNS) to a text stream."""
    import csv

    writer = csv.writer(out)
    writer.writerow(AUDIT_COLUMNS)
    for row in rows:
        writer.writerow([_csv_safe(row[name]) for name in AUDIT_COLUMNS])


def _csv_safe(value):
    """Stop a spreadsheet running a cell as a formula (a name typed as '=HYPERLINK(...)')."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value
