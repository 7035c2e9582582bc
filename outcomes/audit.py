"""The audit trail of staff reads and writes of a child's record."""

from flask import g, has_request_context

from .db import write_transaction, writers_queue

INSERT_MANY = "INSERT INTO audit_log (user_id, action, child_id, detail) VALUES "


def record(db, user_id, action, child_id=None, detail=""):
    """Append one entry.

    A write's entry goes in the write's own transaction (callers hold it), so the two commit together.
    A read's entry (no transaction open) is one autocommit INSERT: no BEGIN IMMEDIATE around the
    page. If another writer holds the lock just then (a review's transaction), the page is made
    meanwhile and the entry written when the view is done, before the response leaves (flush_reads):
    the wait, if any is left by then, is shorter, and no page is shown without its entry.
    """
    _append(db, [(user_id, action, child_id, detail)])


def record_reads(db, user_id, action, child_ids, detail=""):
    """One entry per child a page showed (a caseload, a search result), so each child's trail says
    who saw them in a list as well as on their own page. All of them in one INSERT: one statement is
    one transaction, so they are kept together (or not at all) without a BEGIN IMMEDIATE."""
    _append(db, [(user_id, action, child_id, detail) for child_id in dict.fromkeys(child_ids)])


# Four parameters a row, well under SQLite's 32,766 a statement; a longer list (an offline bundle's)
# takes several statements in one transaction.
_ROWS_PER_INSERT = 1000


def _append(db, rows):
    if not rows:
        return
    if db.conn.in_transaction:
        _insert(db, rows)
    elif len(rows) > _ROWS_PER_INSERT:
        with write_transaction(db):
            for start in range(0, len(rows), _ROWS_PER_INSERT):
                _insert(db, rows[start : start + _ROWS_PER_INSERT])
    elif not has_request_context():
        _autocommit(db, rows, wait=True)
    else:
        try:
            _autocommit(db, rows, wait=False)
        except BlockingIOError:
            g.setdefault("audit_reads", []).append((db, rows))


def flush_reads(response=None):
    """Write the entries of reads that found the lock taken (after the view, before the response is
    sent; again at teardown should an after-request step have failed)."""
    pending = g.pop("audit_reads", [])
    for db, rows in pending:
        _autocommit(db, rows, wait=True)
    return response


def _insert(db, rows):
    sql = INSERT_MANY + ", ".join(["(?, ?, ?, ?)"] * len(rows))
    db.conn.execute(sql, [value for row in rows for value in row])


def _autocommit(db, rows, wait):
    level = db.conn.isolation_level
    db.conn.isolation_level = None  # SQLite's own autocommit: the INSERT is its own transaction
    try:
        with writers_queue(db, wait=wait):
            _insert(db, rows)
    finally:
        db.conn.isolation_level = level


def init_app(app):
    app.after_request(flush_reads)
    app.teardown_request(lambda exc: flush_reads())


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
