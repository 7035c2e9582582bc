"""The audit trail of staff reads and writes of a child's record."""

from .db import write_transaction, writers_queue

INSERT_MANY = "INSERT INTO audit_log (user_id, action, child_id, detail) VALUES "


def record(db, user_id, action, child_id=None, detail=""):
    """Append one entry.

    A write's entry goes in the write's own transaction (callers hold it), so the two commit together.
    A read's entry (no transaction open) is one autocommit INSERT: no BEGIN IMMEDIATE around the
    page, so readers never queue for the write lock while they render; in WAL the INSERT holds the
    lock only for its own microseconds and waits its turn (db.writers_queue) rather than fail, so
    none is lost.
    """
    _insert(db, [(user_id, action, child_id, detail)])


def record_reads(db, user_id, action, child_ids, detail=""):
    """One entry per child a page showed (a caseload, a search result), so each child's trail says
    who saw them in a list as well as on their own page. All of them in one INSERT: one statement is
    one transaction, so they are kept together (or not at all) without a BEGIN IMMEDIATE."""
    rows = [(user_id, action, child_id, detail) for child_id in dict.fromkeys(child_ids)]
    if len(rows) <= _ROWS_PER_INSERT:
        _insert(db, rows)
        return
    with write_transaction(db):
        for start in range(0, len(rows), _ROWS_PER_INSERT):
            _insert(db, rows[start : start + _ROWS_PER_INSERT])


# Four parameters a row, well under SQLite's 32,766 a statement; a longer list (an offline bundle's)
# takes several statements in one transaction.
_ROWS_PER_INSERT = 1000


def _insert(db, rows):
    if not rows:
        return
    sql = INSERT_MANY + ", ".join(["(?, ?, ?, ?)"] * len(rows))
    params = [value for row in rows for value in row]
    if db.conn.in_transaction:
        db.conn.execute(sql, params)
        return
    level = db.conn.isolation_level
    db.conn.isolation_level = None  # SQLite's own autocommit: the INSERT is its own transaction
    try:
        with writers_queue(db):
            db.conn.execute(sql, params)
    finally:
        db.conn.isolation_level = level


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
