"""Requests that stay cheap at a whole area's load: one kept connection per thread, the child's star
page in a handful of statements, and audited reads that write nothing to the database."""

import http.client
import re
import threading
import urllib.parse

import pytest
from conftest import PASSWORD, LiveServer
from test_practitioner import SLT_DOMAINS, submit_review

from outcomes import audit, audit_spool, tokens
from outcomes.db import _statements, get_db


@pytest.fixture
def slt(client, auth, world):
    auth.login("slt@test.example")
    return client


def get_db_of(app):
    """This thread's kept connection to the app's database (the one its requests use)."""
    with app.app_context():
        return get_db()


def statements_of(app, client, path, headers=None):
    """The SQL statements the app runs on this thread's kept connection while serving `path`."""
    conn = get_db_of(app).conn
    seen = []
    conn.set_trace_callback(seen.append)
    try:
        response = client.get(path, headers=headers)
    finally:
        conn.set_trace_callback(None)
    assert response.status_code == 200
    return seen


def test_requests_on_one_thread_reuse_one_connection(app, slt, world):
    statements_of(app, slt, "/caseload")  # the first request opens it
    again = statements_of(app, slt, "/caseload")
    # Nothing re-opened: no pragma of a new connection's set-up among the second request's statements.
    assert again and not [s for s in again if s.startswith("PRAGMA journal_mode")]


def test_a_childs_star_page_takes_a_handful_of_statements(app, slt, world):
    app.config["AUDIT_SPOOL_SECONDS"] = 60  # as in production: the entry waits in the spool
    for day in ("2025-01-10", "2025-04-10", "2025-07-10", "2025-10-10"):
        assert submit_review(slt, world.amy, {key: 4 for key in SLT_DOMAINS}, day).status_code == 302
    page = slt.get(f"/children/{world.amy}")
    assert "2025-10-10" in page.text
    seen = statements_of(app, slt, f"/children/{world.amy}")
    # 12 for the page (one of them the child's own view), plus one for the server-side session
    # that every signed-in request checks; its audit entry goes to the spool, not the database.
    assert len(seen) <= 13, "\n".join(s.split("\n")[0][:100] for s in seen)
    assert not [s for s in seen if s.split()[0] in ("BEGIN", "INSERT", "UPDATE", "DELETE")], seen
    # ...and as many with twice the history: no statement per review.
    for day in ("2026-01-10", "2026-02-10", "2026-03-10", "2026-04-10"):
        assert submit_review(slt, world.amy, {key: 6 for key in SLT_DOMAINS}, day).status_code == 302
    assert len(statements_of(app, slt, f"/children/{world.amy}")) == len(seen)
    # ...and one more for the family's views, however many reviews they gave one of.
    db = get_db_of(app)
    talking = db.execute("SELECT id FROM domains WHERE key = 'talking'").fetchone()[0]
    for review_id, score in db.execute("SELECT id, 1 + id % 5 FROM reviews WHERE child_id = ?", [world.amy]):
        view = (
            db["family_views"].insert({"review_id": review_id, "user_id": world.family, "rating": 4}).last_pk
        )
        db["family_view_readings"].insert({"family_view_id": view, "domain_id": talking, "score": score})
    page = slt.get(f"/children/{world.amy}")
    assert page.text.count('<div class="family-view">') == 8
    assert len(statements_of(app, slt, f"/children/{world.amy}")) == len(seen) + 2


def signed_in_cookie(port, email):
    """The session cookie of a sign-in through the live server's form, as a browser would get it."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/login")
    response = conn.getresponse()
    token = re.search(r'name="csrf_token" value="([^"]+)"', response.read().decode()).group(1)
    cookie = response.getheader("Set-Cookie").split(";", 1)[0]
    form = urllib.parse.urlencode({"csrf_token": token, "email": email, "password": PASSWORD})
    headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
    conn.request("POST", "/login", form, headers)
    response = conn.getresponse()
    response.read()
    assert response.status == 302
    conn.close()
    return response.getheader("Set-Cookie").split(";", 1)[0]


def test_concurrent_reads_of_a_child_are_each_audited(app, world, db):
    app.config["AUDIT_SPOOL_SECONDS"] = 60  # six threads append to one spool file at once
    before = db.execute("SELECT count(*) FROM audit_log WHERE action = 'view child record'").fetchone()[0]
    server = LiveServer(app)
    statuses = []

    def reader():
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        for _ in range(5):
            conn.request("GET", f"/children/{world.amy}", headers={"Cookie": cookie})
            response = conn.getresponse()
            response.read()
            statuses.append(response.status)
        conn.close()

    try:
        cookie = signed_in_cookie(server.port, "slt@test.example")
        threads = [threading.Thread(target=reader) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        server.stop()
    assert statuses == [200] * 30
    entries = [e for e in audit.entries(db, child_id=world.amy) if e["action"] == "view child record"]
    assert len(entries) - before == 30


def test_a_feed_client_pulling_often_does_not_take_the_write_lock_each_time(app, client, db, world):
    token = tokens.create_token(db, "BI tool")
    headers = {"Authorization": f"Bearer {token}"}
    url = "/api/v1/scorecard?period=2025-26+Q3"
    first = statements_of(app, client, url, headers)
    assert any(s.startswith("UPDATE api_tokens") for s in first)  # its use is noted...
    again = statements_of(app, client, url, headers)
    # ...at most once a minute: the next pull reads, answers from the cache and writes nothing.
    assert not [s for s in again if s.split()[0] in ("BEGIN", "UPDATE", "INSERT", "DELETE")], again
    db.execute("UPDATE api_tokens SET last_used_at = datetime('now', '-2 minutes')")
    db.conn.commit()
    later = statements_of(app, client, url, headers)
    assert any(s.startswith("UPDATE api_tokens") for s in later)


def test_a_caseload_page_takes_a_handful_of_statements_and_no_write_lock(app, slt, world, db):
    app.config["AUDIT_SPOOL_SECONDS"] = 60  # as in production: the entries wait in the spool
    before = db.execute("SELECT count(*) FROM audit_log WHERE action = 'view caseload'").fetchone()[0]
    seen = statements_of(app, slt, "/caseload")
    # The session, her services, the count, the page's query.
    assert len(seen) <= 5, "\n".join(s.split("\n")[0][:100] for s in seen)
    # Every child listed is audited, in the spool: nothing written to the database.
    assert not [s for s in seen if s.split()[0] in ("BEGIN", "INSERT", "UPDATE", "DELETE")], seen
    audit_spool.import_all(db)
    after = db.execute("SELECT count(*) FROM audit_log WHERE action = 'view caseload'").fetchone()[0]
    assert after - before == 2  # Amy and Bob


def test_a_review_is_written_in_a_short_transaction_with_no_schema_look_ups(app, slt, world, db):
    assert submit_review(slt, world.amy, {key: 3 for key in SLT_DOMAINS}, "2025-07-10").status_code == 302
    with app.app_context():
        conn = get_db().conn
    seen = []
    conn.set_trace_callback(seen.append)
    try:
        response = submit_review(slt, world.amy, {key: 4 for key in SLT_DOMAINS}, "2025-10-10")
    finally:
        conn.set_trace_callback(None)
    assert response.status_code == 302
    begin = seen.index("BEGIN IMMEDIATE")
    locked = seen[begin : seen.index("COMMIT", begin) + 1]
    # sqlite-utils' scans of sqlite_master for table and view names are answered from the names the
    # worker's connection keeps while the schema stands.
    assert not [s for s in locked if "sqlite_master" in s], locked


# Tables that grow with the area: a request about one child must find that child's rows by index.
GROWING = ("caseloads", "children", "reviews", "readings", "targets", "target_outcomes", "family_views")


def _plans(app, statements):
    with app.app_context():
        conn = get_db().conn
    for sql in statements:
        if sql.lstrip().upper().startswith(("SELECT", "WITH")):
            yield sql, [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql)]


def test_one_childs_pages_and_review_never_search_a_whole_caseload(app, client, auth, world):
    seen = []
    auth.login("slt@test.example")
    seen += statements_of(app, client, f"/children/{world.amy}")
    with app.app_context():
        conn = get_db().conn
    conn.set_trace_callback(seen.append)
    try:
        assert (
            submit_review(client, world.amy, {key: 3 for key in SLT_DOMAINS}, "2025-07-10").status_code == 302
        )
    finally:
        conn.set_trace_callback(None)
    for email in ("family@test.example", "admin@test.example"):
        auth.logout()
        auth.login(email)
        page = f"/family/children/{world.amy}" if email.startswith("family") else f"/children/{world.amy}"
        seen += statements_of(app, client, page)
    for sql, plan in _plans(app, seen):
        # A SCAN of a growing table, or a service's whole caseload searched for one child's rows.
        bad = [step for step in plan if step.split(" ")[:2] in (["SCAN", t] for t in GROWING)]
        bad += [step for step in plan if "caseloads_by_service" in step and "child_id" in sql]
        assert not bad, f"{sql}\n{plan}"


def test_the_refresh_of_a_childs_facts_reads_only_that_childs_rows(app, db):
    """Every statement of the trigger that keeps the scorecard's facts on each review's write finds the
    child's rows by index: no scan of a table that grows, none of a service's facts as a whole."""
    trigger = db.execute("SELECT sql FROM sqlite_master WHERE name = 'review_facts_refresh'").fetchone()[0]
    body = trigger.split("\nBEGIN\n", 1)[1].rsplit("END", 1)[0]
    statements = [s for s in _statements(body) if s.split()]
    assert len(statements) > 10
    # What may be read whole: the scratch tables (the child's facts only), a subquery's own rows, the
    # child's reviews numbered in date order (c), the scratch facts (f) and the two period lengths (p).
    allowed = re.compile(r"SCAN (\w+_new\b|\(subquery|CONSTANT ROW|[cfp]$)")
    for sql in statements:
        sql = sql.replace("NEW.child_id", "1").replace("NEW.service_id", "1")
        plan = [row[3] for row in db.execute("EXPLAIN QUERY PLAN " + sql)]
        bad = [step for step in plan if step.startswith("SCAN") and not allowed.match(step)]
        bad += [step for step in plan if "BLOOM FILTER" in step]  # built by reading a whole table
        bad += [step for step in plan if "_facts" in step and step.endswith("(service_id=?)")]
        assert not bad, f"{sql}\n{plan}"


def test_the_caseload_scans_no_growing_table_whatever_is_chosen(app, client, auth, world):
    """Every choice of the caseload's form finds its rows by index: sorted by due date, in the
    stored last reviews' date order, read one page at a time."""
    auth.login("slt@test.example")
    seen = []
    for choice in ("", "sort=due", "show=overdue", "show=due_soon&sort=due", "scope=service&q=am&sort=due"):
        seen += statements_of(app, client, f"/caseload?{choice}")
    plans = {sql: plan for sql, plan in _plans(app, seen) if "caseloads c" in sql}
    assert len(plans) >= 8  # each choice's count and page
    for sql, plan in plans.items():
        # Only the page's own rows are scanned (the statement's CTEs, `l` for listed, a window's
        # subquery) and children in name order until the page is full, never a table: plans name
        # tables by their aliases, so every other SCAN is refused.
        scans = [step for step in plan if step.startswith("SCAN ")]
        own = ("listed", "l", "dated", "due", "CONSTANT")
        allowed = [step for step in scans if step.split(" ")[1] in own or step.startswith("SCAN (subquery-")]
        assert set(scans) - set(allowed) <= {"SCAN ch USING INDEX children_by_name"}, (scans, sql)
    by_due = [plan for sql, plan in plans.items() if "caseload_last_reviews_by_date" in sql]
    assert by_due and all(any("caseload_last_reviews_by_date" in step for step in plan) for plan in by_due), (
        by_due
    )
