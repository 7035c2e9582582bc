"""The offline app's server side: the worker and its precache, the manifest and icons, the kept
caseload's least privilege, and one stored copy of a review however often and however
concurrently a tablet re-sends it."""

import gzip
import http.client
import json
import re
import shutil
import struct
import threading
import uuid
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import PASSWORD, row_counts

from outcomes.db import connect
from outcomes.security import _unmasked
from outcomes.targets import open_targets
from outcomes.views.offline import PRECACHED_STATIC, form_version, shell_version

ROOT = Path(__file__).resolve().parent.parent
SLT_DOMAINS = [
    "attention",
    "understanding",
    "talking",
    "speech_sounds",
    "social_communication",
    "eating_drinking",
]


def worker_settings(client):
    response = client.get("/sw.js")
    settings = re.search(r"^const SETTINGS = (.*);$", response.text, re.M).group(1)
    return response, json.loads(settings)


def test_worker_is_served_at_the_root_fresh_every_time(client):
    response, settings = worker_settings(client)
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert "no-cache" in response.headers["Cache-Control"]
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert re.fullmatch(r"[0-9a-f]{12}", settings["version"])


def test_everything_precached_exists_and_nothing_personal_is(client):
    _, settings = worker_settings(client)
    assert settings["shell"] == "/offline" and "/offline" in settings["precache"]
    assert not [url for url in settings["precache"] if "chart" in url]  # signed out: no charts to draw
    for url in settings["precache"]:
        with client.get(url) as response:
            assert response.status_code == 200, url
    assert not [url for url in settings["precache"] if url.startswith("/api/") or url in ("/", "/caseload")]


def test_cache_version_changes_when_a_precached_file_does(tmp_path):
    static, templates = tmp_path / "static", tmp_path / "templates"
    shutil.copytree(ROOT / "static", static)
    shutil.copytree(ROOT / "templates", templates)
    before = shell_version(static, templates)
    assert shell_version(static, templates) == before
    (static / "css" / "app.css").write_text((static / "css" / "app.css").read_text() + "\n/* changed */\n")
    assert shell_version(static, templates) != before


def test_a_change_to_the_form_renews_the_kept_form_and_the_shell(tmp_path):
    static, templates = tmp_path / "static", tmp_path / "templates"
    shutil.copytree(ROOT / "static", static)
    shutil.copytree(ROOT / "templates", templates)
    before = form_version(templates), shell_version(static, templates)
    readings = templates / "practitioner" / "_readings.html"
    readings.write_text(readings.read_text() + "\n{# changed #}\n")
    after = form_version(templates), shell_version(static, templates)
    assert after[0] != before[0] and after[1] != before[1]


def png_size(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return f"{width}x{height}"


def test_manifest_has_what_an_install_needs(client):
    with client.get("/static/manifest.webmanifest") as response:
        assert response.mimetype == "application/manifest+json"
        manifest = json.loads(response.data)
    assert manifest["name"] and manifest["short_name"]
    assert manifest["start_url"] == "/" and manifest["display"] == "standalone"
    assert re.fullmatch(r"#[0-9a-f]{6}", manifest["theme_color"])
    assert re.fullmatch(r"#[0-9a-f]{6}", manifest["background_color"])
    purposes = {(icon["sizes"], icon["purpose"]) for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= purposes
    for icon in manifest["icons"]:
        assert png_size(ROOT / "static" / icon["src"]) == icon["sizes"]
        assert icon["src"] in PRECACHED_STATIC  # installed icons show with no signal too


def test_every_page_links_the_manifest_and_the_offline_settings(client, auth, world):
    auth.login("slt@test.example")
    page = client.get("/caseload").text
    assert 'rel="manifest"' in page and 'id="offline-config"' in page and 'id="outbox"' in page


def test_offline_shell_holds_no_personal_data_or_token(client, auth, world):
    auth.login("slt@test.example")
    client.get("/caseload")
    with client.session_transaction() as session:
        token = session["csrf_token"]
    shell = client.get("/offline").text
    for secret in (token, "Sally SLT", "Amy", "Able", "slt@test.example"):
        assert secret not in shell


def test_whoami_says_who_is_signed_in_and_gives_the_token(client, auth, world):
    # Nobody signed in: an empty answer, not an error a signed-out page would log.
    nobody = client.get("/api/v1/offline/whoami")
    assert nobody.status_code == 204 and nobody.data == b""
    auth.login("slt@test.example")
    me = client.get("/api/v1/offline/whoami").json
    with client.session_transaction() as session:
        # Masked afresh each time (so that compressed pages do not reveal it); it unmasks to the session's.
        assert _unmasked(me["csrf_token"]) == session["csrf_token"]
    assert client.get("/api/v1/offline/whoami").json["csrf_token"] != me["csrf_token"]
    assert (me["user_id"], me["role"]) == (world.slt, "practitioner")


def post_review(client, auth, child_id, **overrides):
    body = {
        "uuid": str(uuid.uuid4()),
        "child_id": child_id,
        "service": "slt",
        "date": (date.today() - timedelta(days=1)).isoformat(),
        "readings": {key: 3 for key in SLT_DOMAINS},
        "targets": [
            {"domain": "talking", "description": "Asks for a snack in two words.", "target_score": 6}
        ],
        "notes": "Family-facing note",
        "internal_notes": "Staff-only note",
        "submit": True,
    }
    body.update(overrides)
    return client.post("/api/v1/reviews", json=body, headers=auth.headers())


# What shapes what a field takes: compared between the online form and the tablet's copy of it.
FIELD_ATTRIBUTES = (
    "type",
    "id",
    "class",
    "min",
    "max",
    "maxlength",
    "required",
    "inputmode",
    "rows",
    "data-domain",
    "data-due",
    "data-due-date",
    "data-suggestions",
)


class FormFields(HTMLParser):
    """A review form's fields in page order (a radio with its value, a select with its options)
    and each label's text. In a whole page, only the review form is read (not its CSRF token)."""

    def __init__(self, whole_page):
        super().__init__()
        self.inside = not whole_page
        self.fields, self.labels = [], {}
        self.option = self.label = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and "review-form" in (attrs.get("class") or "").split():
            self.inside = True
        if not self.inside:
            return
        if tag in ("input", "select", "textarea") and attrs.get("name") not in (None, "csrf_token"):
            field = {"tag": tag, "name": attrs["name"]}
            field.update({name: attrs[name] for name in FIELD_ATTRIBUTES if name in attrs})
            if attrs.get("type") == "radio":
                field["value"] = attrs["value"]
            if tag == "select":
                field["options"] = []
            self.fields.append(field)
        elif tag == "option":
            self.option = {"value": attrs.get("value"), "selected": "selected" in attrs, "text": ""}
            self.fields[-1]["options"].append(self.option)
        elif tag == "label":
            self.label = attrs["for"]
            self.labels[self.label] = ""

    def handle_data(self, data):
        if self.option is not None:
            self.option["text"] += data
        if self.label is not None:
            self.labels[self.label] = " ".join((self.labels[self.label] + data).split())

    def handle_endtag(self, tag):
        if tag == "option":
            self.option = None
        elif tag == "label":
            self.label = None
        elif tag == "form":
            self.inside = False


def form_fields(markup, whole_page=False):
    """({name: [field, ...]} in page order, {field id: label text}) of review form markup."""
    parser = FormFields(whole_page)
    parser.feed(markup)
    parser.close()
    fields = {}
    for field in parser.fields:
        fields.setdefault(field["name"], []).append(field)
    return fields, parser.labels


def review_form_fields(markup):
    return form_fields(markup)[0]


def test_bundle_holds_only_her_caseload_children_with_minimum_fields(client, auth, world, db):
    db["children"].update(world.amy, {"nhs_number": "9434765919"})
    auth.login("slt@test.example")
    assert post_review(client, auth, world.amy).status_code == 201
    bundle = client.get("/api/v1/offline/bundle").json
    assert bundle["user_id"] == world.slt
    assert [service["key"] for service in bundle["services"]] == ["slt"]
    assert [d["key"] for d in bundle["services"][0]["star"]["domains"]] == SLT_DOMAINS
    assert [child["id"] for child in bundle["children"]] == [world.amy, world.bob]  # not Cat (physio only)
    amy = bundle["children"][0]
    assert set(amy) == {"id", "given_name", "family_name", "born", "services", "child_faces"}
    assert set(amy["services"]["slt"]) == {
        "last_review_text",
        "next_due_text",
        "overdue",
        "open_targets",
        "chart",
        "targets_to_close",
    }
    assert amy["child_faces"] == 5  # no child's view yet: five faces
    assert set(amy["services"]) == {"slt"}  # not Amy's physio record
    [target] = amy["services"]["slt"]["open_targets"]
    assert target["description"] == "Asks for a snack in two words."
    # The child page's fields only: the id and due date are in the form's markup.
    assert set(target) == {"description", "domain_key", "start_score", "target_score", "due_text"}
    [target_id] = [t["id"] for t in open_targets(db, world.amy, world.services["slt"])]
    [closing] = review_form_fields(amy["services"]["slt"]["targets_to_close"])[f"outcome-{target_id}"]
    suggestions = json.loads(closing["data-suggestions"])  # the rule stays on the server
    assert suggestions["6"] == "0" and suggestions["7"] == "1" and suggestions["3"] == "-2"
    assert bundle["children"][1]["services"]["slt"]["targets_to_close"] == ""  # Bob has none open
    text = json.dumps(bundle)
    for private in ("9434765919", "Staff-only note", "Family-facing note", "Cat"):
        assert private not in text
    logged = db.execute(
        """SELECT child_id FROM audit_log WHERE action = 'keep caseload offline' AND user_id = ?
           ORDER BY child_id""",
        [world.slt],
    ).fetchall()
    assert [row[0] for row in logged] == [world.amy, world.bob]


def offline_form_markup(bundle, child_id, service_key):
    """The tablet's form for a child, put together as shell.js does: the service's fields with
    the child's targets to close in the slot left for them."""
    service = next(s for s in bundle["services"] if s["key"] == service_key)
    child = next(c for c in bundle["children"] if c["id"] == child_id)
    slot = "data-targets-to-close>"
    assert service["review_form"].count(slot) == 1
    return service["review_form"].replace(slot, slot + child["services"][service_key]["targets_to_close"])


def test_the_tablets_form_has_the_online_forms_fields(client, auth, world, db):
    auth.login("slt@test.example")
    assert post_review(client, auth, world.amy).status_code == 201  # Amy now has a target to close
    online, online_labels = form_fields(
        client.get(f"/children/{world.amy}/reviews/new?service=slt").text, whole_page=True
    )
    bundle = client.get("/api/v1/offline/bundle").json
    offline, offline_labels = form_fields(offline_form_markup(bundle, world.amy, "slt"))
    assert list(offline.items()) == list(online.items())
    assert offline_labels == online_labels
    # Neither is empty: every part of the form is compared.
    [target] = open_targets(db, world.amy, world.services["slt"])
    readings = [name for name in online if name.startswith("reading-")]
    assert readings == [f"reading-{key}" for key in SLT_DOMAINS]
    assert [field["value"] for field in online["reading-talking"]] == [str(n) for n in range(1, 11)] + ["na"]
    outcome = online[f"outcome-{target['id']}"][0]
    assert [option["value"] for option in outcome["options"]] == ["", "2", "1", "0", "-1", "-2", "withdrawn"]
    assert [option["value"] for option in online["target-2-importance"][0]["options"]] == ["", "1", "2", "3"]
    target_score = online["target-2-target_score"][0]
    assert (target_score["min"], target_score["max"]) == ("1", "10")
    others = {
        "uuid",
        "date",
        f"outcome-reason-{target['id']}",
        "target-2-due_date",
        "target-2-difficulty",
        "notes",
        "internal_notes",
    }
    assert others <= set(online)


def test_bundle_leaves_out_a_discharged_child(client, auth, world, db):
    db.execute(
        "UPDATE caseloads SET discharged_on = '2025-01-01' WHERE child_id = ? AND service_id = ?",
        [world.bob, world.services["slt"]],
    )
    db.conn.commit()
    auth.login("slt@test.example")
    assert [child["id"] for child in client.get("/api/v1/offline/bundle").json["children"]] == [world.amy]


@pytest.mark.parametrize("email", ["manager@test.example", "admin@test.example", "family@test.example"])
def test_bundle_is_for_practitioners_only(client, auth, world, db, email):
    auth.login(email)
    before = row_counts(db)
    response = client.get("/api/v1/offline/bundle")
    assert response.status_code == 403 and "practitioners" in response.json["error"]
    assert row_counts(db) == before


def test_bundle_needs_a_signed_in_user(client, world):
    response = client.get("/api/v1/offline/bundle")
    assert response.status_code == 401 and response.json == {"error": "Sign in first."}


def test_bundle_comes_gzipped_to_a_browser_that_takes_it(client, auth, world):
    auth.login("slt@test.example")
    plain = client.get("/api/v1/offline/bundle")
    packed = client.get("/api/v1/offline/bundle", headers={"Accept-Encoding": "gzip, deflate"})
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed.headers["Vary"]
    assert json.loads(gzip.decompress(packed.data)) == plain.json
    assert len(packed.data) * 5 < len(plain.data)


def test_bundle_and_whoami_are_never_stored_by_a_cache(client, auth, world):
    auth.login("slt@test.example")
    for url in ("/api/v1/offline/bundle", "/api/v1/offline/whoami"):
        assert client.get(url).headers["Cache-Control"] == "no-store"


# --- Concurrent re-sends over real HTTP to the threaded server, on its SQLite file ---------------


class Tablet:
    """A signed-in HTTP session against the live server, cookies kept by hand (they are Secure)."""

    def __init__(self, server, email):
        self.port = server.port
        self.cookie = ""
        login = self.request("GET", "/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', login[1]).group(1)
        form = f"email={email}&password={PASSWORD.replace(' ', '+')}&csrf_token={token}"
        form_type = {"Content-Type": "application/x-www-form-urlencoded"}
        status, _ = self.request("POST", "/login", form, form_type)
        assert status == 302
        self.token = json.loads(self.request("GET", "/api/v1/offline/whoami")[1])["csrf_token"]

    def request(self, method, path, body=None, headers=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        connection.request(method, path, body, dict(headers or {}, Cookie=self.cookie))
        response = connection.getresponse()
        cookie = response.getheader("Set-Cookie")
        if cookie:
            self.cookie = cookie.split(";")[0]
        text = response.read().decode()
        connection.close()
        return response.status, text

    def send(self, body):
        return self.request(
            "POST",
            "/api/v1/reviews",
            json.dumps(body),
            {"Content-Type": "application/json", "X-CSRFToken": self.token},
        )[0]


def demo_review(server):
    db = connect(server.app.config["DATABASE"])
    child_id = db.execute(
        """SELECT c.child_id FROM caseloads c JOIN services s ON s.id = c.service_id
           WHERE s.key = 'slt' AND c.discharged_on IS NULL ORDER BY c.child_id LIMIT 1"""
    ).fetchone()[0]
    db.close()
    return {
        "uuid": str(uuid.uuid4()),
        "child_id": child_id,
        "service": "slt",
        "date": date.today().isoformat(),
        "readings": {key: 4 for key in SLT_DOMAINS},
        "notes": "Resent by a tablet.",
        "submit": True,
    }


def send_all_at_once(tablets_and_bodies):
    statuses, barrier = [], threading.Barrier(len(tablets_and_bodies))

    def send(tablet, body):
        barrier.wait()
        statuses.append(tablet.send(body))

    threads = [threading.Thread(target=send, args=pair) for pair in tablets_and_bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(statuses)


def stored(server, review_uuid):
    db = connect(server.app.config["DATABASE"])
    try:
        reviews = db.execute("SELECT id, notes FROM reviews WHERE uuid = ?", [review_uuid]).fetchall()
        readings = db.execute(
            "SELECT count(*) FROM readings WHERE review_id IN (SELECT id FROM reviews WHERE uuid = ?)",
            [review_uuid],
        ).fetchone()[0]
        return reviews, readings
    finally:
        db.close()


def test_eight_concurrent_resends_over_http_store_one_review(live_server):
    tablets = [Tablet(live_server, "slt@demo.test") for _ in range(2)]  # two tabs, two sessions
    body = demo_review(live_server)
    statuses = send_all_at_once([(tablets[i % 2], body) for i in range(8)])
    assert statuses == [200] * 7 + [201]
    reviews, readings = stored(live_server, body["uuid"])
    assert len(reviews) == 1 and readings == len(SLT_DOMAINS)


def test_two_different_reviews_racing_for_one_uuid_store_one_and_refuse_the_other(live_server):
    tablet = Tablet(live_server, "slt@demo.test")
    first = demo_review(live_server)
    second = dict(first, notes="A different review under the same UUID.")
    statuses = send_all_at_once([(tablet, first), (tablet, second)])
    assert statuses == [201, 409]
    reviews, readings = stored(live_server, first["uuid"])
    assert len(reviews) == 1 and readings == len(SLT_DOMAINS)
    assert reviews[0][1] in (first["notes"], second["notes"])
