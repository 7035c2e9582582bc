"""The installable app in real headless Chromium on a tablet: reviews saved with no signal
reach the server exactly once. Each test has a fresh browser context (its own service worker
and IndexedDB), as a fresh tablet would."""

import re
import socket
import threading
import time
import uuid
from datetime import date, timedelta

from conftest import axe_violations, sign_in

from outcomes import reviews
from outcomes.db import connect
from outcomes.schemas import ReviewSchema

SLT = "slt@demo.test"
# A click's navigation through the worker can commit late on a busy machine: wait for it.
CHILD_PAGE = re.compile(r".*/children/\d+$")


def wait_until(page, script, timeout=30):
    """Poll a (possibly async) expression in the page until it is truthy; returns its value."""
    deadline = time.monotonic() + timeout
    while True:
        value = page.evaluate(script)
        if value or time.monotonic() > deadline:
            return value
        page.wait_for_timeout(100)


def ready_practitioner(context, base, email=SLT):
    """Sign in, and wait until the worker controls the page and the caseload is kept on the device."""
    page = context.new_page()
    sign_in(page, base, email)
    page.wait_for_url(f"{base}/caseload")
    controlled = "navigator.serviceWorker.controller !== null"
    # On a busy machine the first install can take a while; a reload retries one that failed.
    if not wait_until(page, controlled, timeout=20):
        page.reload()
    assert wait_until(page, controlled)
    page.evaluate("window.OfflineReady")
    assert wait_until(page, "OfflineStore.get('kept', 'bundle').then(k => !!k)")
    return page


def outbox(page):
    return page.evaluate("OfflineStore.all('outbox')")


def rows_with_uuid(server, review_uuid):
    db = connect(server.app.config["DATABASE"])
    try:
        return list(db.query("SELECT * FROM reviews WHERE uuid = ?", [review_uuid]))
    finally:
        db.close()


def shell_heading(page):
    """The heading the offline shell draws from the device's copy (it draws after loading it)."""
    return page.text_content("#shell[data-ready] h1")


def fill_readings(page, skip=0):
    """Tap a score for every domain of the form (all but the last `skip`); returns the keys."""
    page.wait_for_selector("fieldset.domain")
    keys = page.eval_on_selector_all(
        "fieldset.domain input[value='na']", "els => els.map(e => e.name.slice(8))"
    )
    for index, key in enumerate(keys[: len(keys) - skip]):
        page.click(f"label[for='reading-{key}-{index % 8 + 2}']")
    return keys


def open_offline_review_form(page, base):
    """From the kept caseload with no signal: open the first child and start today's review."""
    page.goto(f"{base}/caseload")
    page.click("table.caseload a.row-link >> nth=0")
    page.wait_for_url(CHILD_PAGE)
    page.click("text=Start today's review")


def save_offline_review(page, base, notes="Seen at home; no signal."):
    """From the kept caseload with no signal: open the first child, fill and submit a review."""
    open_offline_review_form(page, base)
    keys = fill_readings(page)
    page.fill("#notes", notes)
    page.click("button[value=submit]")
    page.wait_for_selector(".outbox-saved")
    return keys


def test_worker_controls_the_page_and_the_manifest_makes_it_installable(context, server):
    page = ready_practitioner(context, server.url)
    assert page.evaluate("navigator.serviceWorker.controller.scriptURL") == f"{server.url}/sw.js"
    registration = page.evaluate(
        "navigator.serviceWorker.getRegistration().then(r => ({scope: r.scope, state: r.active.state}))"
    )
    assert registration == {"scope": f"{server.url}/", "state": "activated"}
    href = page.get_attribute("link[rel=manifest]", "href")
    manifest = page.evaluate("href => fetch(href).then(r => r.json())", href)
    assert manifest["name"] and manifest["short_name"]
    assert manifest["display"] == "standalone" and manifest["start_url"] == "/"
    assert manifest["theme_color"].startswith("#") and manifest["background_color"].startswith("#")
    icons = {(icon["sizes"], icon.get("purpose", "any")) for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= icons
    for icon in manifest["icons"]:  # each icon is a real PNG of the size it claims
        url = page.evaluate("([src, base]) => new URL(src, base).href", [icon["src"], f"{server.url}{href}"])
        size = page.evaluate(
            """url => fetch(url).then(r => r.blob()).then(createImageBitmap)
                      .then(b => b.width + 'x' + b.height)""",
            url,
        )
        assert size == icon["sizes"]
    # Chromium's own check: the manifest parses and the app can be installed.
    cdp = context.new_cdp_session(page)
    assert cdp.send("Page.getAppManifest")["errors"] == []
    errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
    # A Playwright context is an incognito profile, which Chromium never installs to; nothing else may fail.
    assert [error["errorId"] for error in errors if error["errorId"] != "in-incognito"] == []
    # Only the shell and static files are cached: no page, no API answer, no feed.
    cached = page.evaluate(
        "caches.keys().then(ks => Promise.all(ks.map(k => caches.open(k).then(c => c.keys()))))"
        ".then(lists => lists.flat().map(r => new URL(r.url).pathname))"
    )
    assert "/offline" in cached and [
        path for path in cached if re.fullmatch(r"/static/css/app\.[0-9a-f]{12}\.css", path)
    ]
    assert not [path for path in cached if path.startswith("/api/") or path in ("/caseload", "/")]


def test_a_new_version_replaces_the_old_cache(context, server, monkeypatch):
    from outcomes.views import offline

    page = ready_practitioner(context, server.url)
    old = page.evaluate("caches.keys()")
    assert len(old) == 1 and old[0].startswith("outcomes-shell-")
    monkeypatch.setattr(offline, "shell_version", lambda *folders: "0123456789ab")  # a deploy changed a file
    page.evaluate("navigator.serviceWorker.getRegistration().then(r => r.update())")
    assert wait_until(page, "caches.keys().then(keys => keys.join() === 'outcomes-shell-0123456789ab')")
    assert "/offline" in page.evaluate(
        "caches.open('outcomes-shell-0123456789ab').then(c => c.keys())"
        ".then(rs => rs.map(r => new URL(r.url).pathname))"
    )


def test_review_saved_with_no_signal_is_stored_once_when_it_returns(context, server):
    base = server.url
    page = ready_practitioner(context, base)
    context.set_offline(True)
    page.goto(f"{server.url}/")  # the installed app's start page
    assert "caseload" in shell_heading(page)
    page.reload()
    assert "caseload" in shell_heading(page)
    first_child = page.text_content("table.caseload a.row-link >> nth=0")
    page.click("table.caseload a.row-link >> nth=0")
    page.wait_for_url(CHILD_PAGE)
    assert shell_heading(page) == first_child
    page.click("text=Start today's review")
    page.wait_for_url(re.compile(r".*/reviews/new\?service=slt$"))
    review_url = page.url
    page.reload()  # the review form itself comes back from the device with no signal
    assert page.url == review_url and "review:" in shell_heading(page)
    keys = fill_readings(page)
    page.fill("#notes", "Seen at home; no signal.")
    assert axe_violations(page) == []
    page.click("button[value=submit]")
    page.wait_for_selector(".outbox-saved")

    items = outbox(page)
    assert len(items) == 1 and items[0]["state"] == "waiting"
    assert items[0]["body"]["submit"] is True and set(items[0]["body"]["readings"]) == set(keys)
    assert page.text_content("#outbox-count") == "1 review waiting to send"
    assert page.is_visible("#outbox")
    assert axe_violations(page) == []
    review_uuid = items[0]["uuid"]
    assert rows_with_uuid(server, review_uuid) == []

    context.set_offline(False)
    assert wait_until(page, "OfflineStore.all('outbox').then(items => items.length === 0)")
    stored = rows_with_uuid(server, review_uuid)
    assert len(stored) == 1 and stored[0]["status"] == "submitted"
    assert stored[0]["notes"] == "Seen at home; no signal."
    assert page.is_hidden("#outbox")


def drop_first_review_response_then_stop(server):
    """Wrap the app: the first review POST is stored, its answer is lost and the server goes down."""
    inner = server.app.wsgi_app
    stopped = threading.Event()

    def middleware(environ, start_response):
        if environ["PATH_INFO"] == "/api/v1/reviews" and not stopped.is_set():
            for _ in inner(environ, lambda *args: None):
                pass  # the review is stored; the tablet never hears so
            environ["werkzeug.socket"].shutdown(socket.SHUT_RDWR)
            stopping = threading.Thread(target=lambda: (server.stop(), stopped.set()))
            stopping.start()
            return []
        return inner(environ, start_response)

    server.app.wsgi_app = middleware
    return stopped, lambda: setattr(server.app, "wsgi_app", inner)


def test_server_going_down_mid_send_still_stores_the_review_once(context, server):
    base = server.url
    page = ready_practitioner(context, base)
    # The server's own form, opened with a signal that then drops, saves to the outbox too.
    page.click("table.caseload a.row-link >> nth=0")
    page.wait_for_url(CHILD_PAGE)
    page.click("text=Start today's review")
    context.set_offline(True)
    fill_readings(page)
    page.click("button[value=submit]")
    page.wait_for_selector(".outbox-saved")
    review_uuid = outbox(page)[0]["uuid"]

    stopped, unwrap = drop_first_review_response_then_stop(server)
    context.set_offline(False)
    assert stopped.wait(15)
    unwrap()
    assert len(rows_with_uuid(server, review_uuid)) == 1  # it arrived, but the tablet does not know
    assert wait_until(
        page,
        "OfflineStore.all('outbox')"
        ".then(i => i.length === 1 && i[0].state === 'waiting' && i[0].attempts >= 1)",
    )
    assert "waiting to send" in page.text_content("#outbox-count")

    server.restart()
    assert wait_until(page, "OfflineStore.all('outbox').then(items => items.length === 0)")
    assert len(rows_with_uuid(server, review_uuid)) == 1


def slt_body(page, notes="Replayed review."):
    """A valid review body for the first child of the kept caseload, built from the device's copy."""
    bundle = page.evaluate("OfflineStore.get('kept', 'bundle').then(k => k.data)")
    service = bundle["services"][0]
    child = next(c for c in bundle["children"] if service["key"] in c["services"])
    return {
        "uuid": str(uuid.uuid4()),
        "child_id": child["id"],
        "service": service["key"],
        "date": date.today().isoformat(),
        "readings": {d["key"]: service["star"]["scale_min"] + 1 for d in service["star"]["domains"]},
        "targets": [],
        "target_outcomes": [],
        "notes": notes,
        "internal_notes": "",
        "submit": True,
    }


POST_TWICE = """async body => {
  const who = await fetch('/api/v1/offline/whoami').then(r => r.json());
  const post = () => fetch('/api/v1/reviews', {method: 'POST', body: JSON.stringify(body),
    headers: {'Content-Type': 'application/json', 'X-CSRFToken': who.csrf_token}}).then(r => r.status);
  window.replayed = Promise.all([post(), post()]);
}"""


def test_the_same_review_replayed_and_from_two_tabs_at_once_is_one_row(context, server):
    base = server.url
    first = ready_practitioner(context, base)
    second = context.new_page()
    second.goto(f"{base}/caseload")
    second.evaluate("window.OfflineReady")
    body = slt_body(first)
    # Two tabs each send the same review twice, all four requests in flight together.
    first.evaluate(POST_TWICE, body)
    second.evaluate(POST_TWICE, body)
    statuses = first.evaluate("window.replayed") + second.evaluate("window.replayed")
    assert sorted(statuses) == [200, 200, 200, 201]
    assert len(rows_with_uuid(server, body["uuid"])) == 1

    # The outbox replays it too (as after a lost answer), from both tabs at once: still one row.
    labels = {"child_name": "A child", "service_name": "A service"}
    context.set_offline(True)
    first.evaluate("([body, labels]) => OfflineOutbox.save(body, labels)", [body, labels])
    context.set_offline(False)
    first.evaluate("window.firstSync = OfflineOutbox.sync()")
    second.evaluate("window.secondSync = OfflineOutbox.sync()")
    first.evaluate("window.firstSync")
    second.evaluate("window.secondSync")
    assert outbox(first) == []
    assert len(rows_with_uuid(server, body["uuid"])) == 1


def test_a_review_the_server_rejects_stays_with_its_message_until_fixed(context, server):
    base = server.url
    page = ready_practitioner(context, base)
    context.set_offline(True)
    open_offline_review_form(page, base)
    keys = fill_readings(page, skip=1)  # one domain left without a reading
    label = page.text_content(f"fieldset.domain:has(#reading-{keys[-1]}-na) legend").strip()
    page.click("button[value=submit]")
    page.wait_for_selector(".outbox-saved")

    context.set_offline(False)
    assert wait_until(
        page, "OfflineStore.all('outbox').then(i => i.length === 1 && i[0].state === 'rejected')"
    )
    item = outbox(page)[0]
    assert f"readings.{keys[-1]}" in item["errors"]
    message = page.text_content("#outbox-rejected li")
    # In the form's words: the domain's label, never the internal key.
    assert "not accepted" in message and f"{label}: Give a reading or mark it not assessed" in message
    assert f"readings.{keys[-1]}" not in message
    assert "1 review needs your attention" in page.text_content("#outbox-count")
    assert page.is_hidden("#outbox-send")  # nothing to send until she fixes it
    assert rows_with_uuid(server, item["uuid"]) == []
    page.reload()  # still there on the next visit: nothing is dropped silently
    assert "Give a reading" in page.text_content("#outbox-rejected li")

    page.click("text=Fix and send again")
    assert f"{label}: Give a reading" in page.text_content("#error-summary")
    page.click(f"label[for='reading-{keys[-1]}-5']")
    page.click("button[value=submit]")
    page.wait_for_selector(".outbox-saved")
    assert wait_until(page, "OfflineStore.all('outbox').then(items => items.length === 0)")
    stored = rows_with_uuid(server, item["uuid"])
    assert len(stored) == 1 and stored[0]["status"] == "submitted"
    # One state on the page: the server's old refusal is gone and the message says it is stored.
    page.wait_for_selector(".outbox-saved[data-state=sent]")
    main = page.text_content("main")
    assert "Sent" in main and "stored on the server" in main
    assert "not accept" not in main and "Saved on this device" not in main and page.is_hidden("#outbox")


def test_an_offline_draft_with_missing_readings_is_kept_and_sent_as_a_draft(context, server):
    base = server.url
    page = ready_practitioner(context, base)
    context.set_offline(True)
    open_offline_review_form(page, base)
    keys = fill_readings(page, skip=4)  # half-finished: two domains read
    page.click("button[value=draft]")
    page.wait_for_selector(".outbox-saved")
    [item] = outbox(page)
    assert item["body"]["submit"] is False and set(item["body"]["readings"]) == set(keys[:2])

    context.set_offline(False)
    assert wait_until(page, "OfflineStore.all('outbox').then(items => items.length === 0)")
    [stored] = rows_with_uuid(server, item["uuid"])
    assert stored["status"] == "draft"
    db = connect(server.app.config["DATABASE"])
    try:
        assert (
            db.execute("SELECT count(*) FROM readings WHERE review_id = ?", [stored["id"]]).fetchone()[0] == 2
        )
    finally:
        db.close()


def sign_out(page):
    page.goto(page.url.split("/offline")[0] + "/caseload")
    page.click("form.signout button")
    page.wait_for_url("**/login")


def test_another_user_on_the_same_tablet_never_sees_or_sends_the_outbox(context, server):
    base = server.url
    page = ready_practitioner(context, base)
    context.set_offline(True)
    save_offline_review(page, base)
    review_uuid = outbox(page)[0]["uuid"]

    # Her session expires while she is away; a colleague signs in on the same tablet.
    context.clear_cookies()
    context.set_offline(False)
    page.goto(f"{base}/caseload")
    page.wait_for_url("**/login**")
    page.evaluate("window.OfflineReady")
    assert outbox(page)[0]["state"] == "waiting"
    summary = page.text_content("#outbox-count")
    assert summary == "1 review saved on this device"  # no name, no child: only that something waits

    colleague = ready_practitioner(context, base, "physio@demo.test")
    colleague.evaluate("OfflineOutbox.sync()")
    assert colleague.is_hidden("#outbox")
    assert rows_with_uuid(server, review_uuid) == []
    kept = colleague.evaluate("OfflineStore.get('kept', 'bundle')")
    physio_user = colleague.evaluate("fetch('/api/v1/offline/whoami').then(r => r.json())")["user_id"]
    assert kept["user_id"] == physio_user and outbox(colleague)[0]["user_id"] != physio_user
    colleague.goto(f"{base}/offline?edit={review_uuid}")
    assert "not in your outbox" in colleague.text_content("#shell[data-ready]")

    sign_out(colleague)  # sign-out forgets the caseload copy; the outbox waits for its owner
    assert colleague.evaluate("OfflineStore.get('kept', 'bundle')") is None
    assert len(outbox(colleague)) == 1

    owner = ready_practitioner(context, base)
    assert wait_until(owner, "OfflineStore.all('outbox').then(items => items.length === 0)")
    assert len(rows_with_uuid(server, review_uuid)) == 1


def test_after_a_failed_send_it_waits_for_back_off_or_send_now(context, server):
    server.app.config.update(OFFLINE_RETRY_BASE_MS=60_000)  # no automatic retry within this test
    base = server.url
    page = ready_practitioner(context, base)
    page.click("table.caseload a.row-link >> nth=0")
    page.wait_for_url(CHILD_PAGE)
    page.click("text=Start today's review")
    fill_readings(page)
    page.fill("#notes", "Sent with the button.")
    server.stop()  # the tablet thinks it is online, but the server cannot be reached
    page.click("button[value=submit]")
    page.wait_for_selector(".outbox-saved")  # the form went to the outbox, not to an error page
    review_uuid = outbox(page)[0]["uuid"]
    assert page.text_content("#outbox-count") == "1 review waiting to send"
    assert wait_until(
        page, "document.getElementById('outbox-note').textContent.includes('cannot be reached')"
    )

    server.restart()
    assert len(outbox(page)) == 1 and rows_with_uuid(server, review_uuid) == []
    page.click("#outbox-send")
    assert wait_until(page, "OfflineStore.all('outbox').then(items => items.length === 0)")
    assert len(rows_with_uuid(server, review_uuid)) == 1
    assert page.is_hidden("#outbox")


# --- One review, entered offline for one child and online for her twin: stored the same ----------

TODAY = date.today()
READINGS = {"attention": 4, "understanding": 5, "talking": 6, "speech_sounds": 3, "social_communication": 7}
NOT_ASSESSED = ("eating_drinking", "Not seen at snack time today.")
OPEN_TARGET = {"domain": "talking", "description": "Asks for a snack in two words.", "target_score": 6}
NEW_TARGET = {
    "domain": "attention",
    "description": "Sits for a whole story with a visual timer.",
    "target_score": "6",
    "due_date": (TODAY + timedelta(days=120)).isoformat(),
}


def twins_with_a_target_to_close(server):
    """Two children set up alike on the SLT caseload, each with a target set at a submitted review
    half a year ago (talking from 3 to 6) and due now. Returns their ids."""
    db = connect(server.app.config["DATABASE"])
    try:
        slt = db.execute("SELECT id FROM users WHERE email = ?", [SLT]).fetchone()[0]
        service = db.execute("SELECT id FROM services WHERE key = 'slt'").fetchone()[0]
        earlier = TODAY - timedelta(days=182)
        ids = []
        for given in ("Olly", "Nico"):
            child = (
                db["children"]
                .insert({"given_name": given, "family_name": "Twin", "date_of_birth": "2018-03-04"})
                .last_pk
            )
            db["caseloads"].insert(
                {
                    "child_id": child,
                    "service_id": service,
                    "practitioner_id": slt,
                    "started_on": earlier.isoformat(),
                }
            )
            target = dict(OPEN_TARGET, due_date=(TODAY - timedelta(days=1)).isoformat())
            reviews.save_review(
                db,
                slt,
                ReviewSchema().load(
                    {
                        "uuid": str(uuid.uuid4()),
                        "child_id": child,
                        "service": "slt",
                        "date": earlier.isoformat(),
                        "readings": {key: 3 for key in [*READINGS, NOT_ASSESSED[0]]},
                        "targets": [target],
                        "submit": True,
                    }
                ),
            )
            ids.append(child)
        return ids
    finally:
        db.close()


def fill_and_submit_the_review(page):
    """Every reading (one not assessed), the open target closed, a new target, notes; then submit."""
    page.wait_for_selector("form.review-form select.outcome-select")
    for key, score in READINGS.items():
        page.click(f"label[for='reading-{key}-{score}']")
    key, reason = NOT_ASSESSED
    page.click(f"label[for='reading-{key}-na']")
    page.fill(f"#reason-{key}", reason)
    outcome = "select.outcome-select[data-domain='talking']"
    # Due, and talking reached its target reading: the server's suggested level (0) is filled in.
    assert page.input_value(outcome) == "0"
    page.select_option(outcome, "1")
    target_id = page.get_attribute(outcome, "name").removeprefix("outcome-")
    page.fill(f"#outcome-reason-{target_id}", "Asks at every snack time now.")
    page.select_option("#target-0-domain", NEW_TARGET["domain"])
    for name in ("description", "target_score", "due_date"):
        page.fill(f"#target-0-{name}", NEW_TARGET[name])
    page.select_option("#target-0-importance", "3")
    page.fill("#notes", "A lovely session; the story book helped.")
    page.fill("#internal_notes", "Family asked about the waiting list.")
    page.click("button[value=submit]")


def latest_review_of(server, child_id):
    """What the child's latest review records, leaving out ids, uuids, the child and timestamps."""
    db = connect(server.app.config["DATABASE"])
    try:
        [review] = db.query("SELECT * FROM reviews WHERE child_id = ? ORDER BY id DESC LIMIT 1", [child_id])
        readings = db.execute(
            """SELECT d.key, rd.score, rd.not_assessed_reason
               FROM readings rd JOIN domains d ON d.id = rd.domain_id
               WHERE rd.review_id = ? ORDER BY d.key""",
            [review["id"]],
        ).fetchall()
        closed = db.execute(
            """SELECT t.description, o.outcome, o.gas_level, o.reason, o.score_at_close
               FROM target_outcomes o JOIN targets t ON t.id = o.target_id WHERE o.review_id = ?""",
            [review["id"]],
        ).fetchall()
        new = db.execute(
            """SELECT domain_key, description, start_score, target_score, due_date, importance, difficulty
               FROM targets
               WHERE set_in_review_id = ? ORDER BY id""",
            [review["id"]],
        ).fetchall()
    finally:
        db.close()
    kept = (
        "date",
        "status",
        "version",
        "is_latest",
        "star_version_id",
        "practitioner_id",
        "notes",
        "internal_notes",
        "amendment_reason",
    )
    return dict(
        {key: review[key] for key in kept},
        target_outcomes=closed,
        targets=new,
        readings={key: (score, reason) for key, score, reason in readings},
    )


def test_a_review_made_offline_is_stored_as_the_same_review_made_online(context, server):
    offline_child, online_child = twins_with_a_target_to_close(server)
    base = server.url
    page = ready_practitioner(context, base)
    context.set_offline(True)
    page.goto(f"{base}/children/{offline_child}/reviews/new?service=slt")
    assert shell_heading(page) == "Speech and Language Therapy review: Olly Twin"
    assert page.is_visible("form.review-form[data-offline-only] .target-close .tag-due")
    fill_and_submit_the_review(page)
    page.wait_for_selector(".outbox-saved")
    [item] = outbox(page)
    assert axe_violations(page) == []

    # Re-opened from the outbox, the form shows everything as entered: it gives back the same body.
    page.goto(f"{base}/offline?edit={item['uuid']}")
    page.wait_for_selector("#shell[data-ready] form.review-form")
    again = page.evaluate(
        "OfflineForm.bodyFromForm(document.querySelector('form.review-form'),"
        " document.querySelector('button[value=submit]'))"
    )
    assert again == item["body"]

    context.set_offline(False)
    assert wait_until(page, "OfflineStore.all('outbox').then(items => items.length === 0)")
    assert len(rows_with_uuid(server, item["uuid"])) == 1

    page.goto(f"{base}/children/{online_child}/reviews/new?service=slt")
    assert page.is_visible("form.review-form[data-offline-review]:not([data-offline-only])")  # the server's
    fill_and_submit_the_review(page)
    page.wait_for_url(f"{base}/children/{online_child}")
    assert "Review submitted." in page.text_content(".flash")

    offline, online = latest_review_of(server, offline_child), latest_review_of(server, online_child)
    assert offline == online
    # Today's date, as the form gave it (the day may turn over during the run).
    assert offline["status"] == "submitted" and offline["date"] in (
        TODAY.isoformat(),
        date.today().isoformat(),
    )
    assert offline["readings"] == dict(
        {key: (score, None) for key, score in READINGS.items()}, **{NOT_ASSESSED[0]: (None, NOT_ASSESSED[1])}
    )
    assert offline["target_outcomes"] == [
        (OPEN_TARGET["description"], "met", 1, "Asks at every snack time now.", READINGS["talking"])
    ]
    assert offline["targets"] == [
        (
            NEW_TARGET["domain"],
            NEW_TARGET["description"],
            READINGS["attention"],
            6,
            NEW_TARGET["due_date"],
            3,
            None,
        )
    ]
    assert offline["internal_notes"] == "Family asked about the waiting list."


def test_the_kept_child_page_draws_the_star_and_pages_recover_when_the_signal_returns(context, server):
    base = server.url
    page = ready_practitioner(context, base)
    # Chart.js is precached once she is signed in (the worker installed on the sign-in page had not).
    assert wait_until(
        page,
        "caches.keys().then(ks => Promise.all(ks.map(k => caches.open(k).then(c => c.keys()))))"
        ".then(lists => lists.flat().some(r => r.url.includes('chart.umd')))",
    )
    kept = page.evaluate("OfflineStore.get('kept', 'bundle').then(k => k.data)")
    child = next(c for c in kept["children"] if (c["services"].get("slt") or {}).get("chart"))
    spec = child["services"]["slt"]["chart"]
    scale = kept["chart_scales"][spec["scale"]]
    context.set_offline(True)
    page.goto(f"{base}/children/{child['id']}")
    page.wait_for_selector("#shell[data-ready]")
    page.wait_for_selector("#shell[data-charts=drawn]")
    drawn = page.evaluate(
        "Chart.getChart(document.getElementById('star-slt')).data.datasets.map(d => [d.label, d.data])"
    )
    assert drawn == [[d["label"], d["values"]] for d in spec["datasets"] if d["shown"]]  # the kept readings
    assert page.locator("table.readings tbody tr").count() == len(scale["labels"])
    assert axe_violations(page) == []
    page.click("text=Back to the caseload")
    page.wait_for_url(f"{base}/caseload")
    assert "caseload" in shell_heading(page)

    page.goto(f"{base}/reviews/1")  # a page the device does not keep
    assert shell_heading(page) == "Not available offline"
    context.set_offline(False)  # the page fetches itself again, with no tap
    page.wait_for_selector("#shell", state="detached")
    assert page.url == f"{base}/reviews/1" and page.locator("#shell-mode").count() == 0
