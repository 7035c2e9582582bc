"""Shared fixtures: an app on a fresh SQLite file per test, a signed-in client, a small world,
a live server on 127.0.0.1 and headless Chromium for the browser tests."""

import re
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
from werkzeug.security import generate_password_hash
from werkzeug.serving import make_server

from outcomes import create_app, demo, stars, users
from outcomes.db import connect

PASSWORD = "correct horse battery"
# Hashing is deliberately slow; the test accounts share one hash made once per run.
PASSWORD_HASH = generate_password_hash(PASSWORD)
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TABLET = {"width": 820, "height": 1180}
PHONE = {"width": 390, "height": 844}


# Read audit entries are copied from the spool into audit_log at the end of every request, so that
# tests can read the table itself right after a page; tests/test_audit_spool.py runs the batches.
SPOOL_EACH_REQUEST = {"AUDIT_SPOOL_SECONDS": 0}


@pytest.fixture
def app(tmp_path):
    return create_app(
        {
            "TESTING": True,
            "DATABASE": str(tmp_path / "test.sqlite"),
            "SECRET_KEY": "test",
            **SPOOL_EACH_REQUEST,
        }
    )


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def db(app):
    database = connect(app.config["DATABASE"])
    yield database
    database.close()


def row_counts(db):
    """Rows in every table: compared before and after a refused input to prove nothing changed."""
    return {name: db[name].count for name in db.table_names()}


@pytest.fixture
def world(db):
    """Four services with their stars; staff, a family, and three children on caseloads."""
    services = stars.create_default_services(db)
    w = SimpleNamespace(services=services)
    w.slt = users.create_user(
        db, "slt@test.example", "Sally SLT", "practitioner", password_hash=PASSWORD_HASH
    )
    w.physio = users.create_user(
        db, "physio@test.example", "Phil Physio", "practitioner", password_hash=PASSWORD_HASH
    )
    w.manager = users.create_user(
        db, "manager@test.example", "Mo Manager", "manager", password_hash=PASSWORD_HASH
    )
    w.admin = users.create_user(db, "admin@test.example", "Ada Admin", "admin", password_hash=PASSWORD_HASH)
    w.family = users.create_user(
        db, "family@test.example", "Pat Parent", "family", password_hash=PASSWORD_HASH
    )
    db["memberships"].insert_all(
        [
            {"user_id": w.slt, "service_id": services["slt"], "role": "practitioner"},
            {"user_id": w.physio, "service_id": services["physio"], "role": "practitioner"},
            {"user_id": w.manager, "service_id": services["slt"], "role": "manager"},
        ]
    )
    w.amy = _child(db, "Amy", "Able", "2016-05-01")
    w.bob = _child(db, "Bob", "Brown", "2017-02-11")
    w.cat = _child(db, "Cat", "Cole", "2015-09-30")
    for child, service in ((w.amy, "slt"), (w.bob, "slt"), (w.cat, "physio"), (w.amy, "physio")):
        db["caseloads"].insert(
            {"child_id": child, "service_id": services[service], "started_on": "2024-01-01"}
        )
    db["family_links"].insert({"user_id": w.family, "child_id": w.amy})
    return w


def _child(db, given, family, born):
    return db["children"].insert({"given_name": given, "family_name": family, "date_of_birth": born}).last_pk


class Auth:
    """Signs a test client in and out through the real forms, CSRF token included."""

    def __init__(self, client):
        self.client = client

    def csrf(self, path="/login"):
        page = self.client.get(path, follow_redirects=True)
        return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)

    def login(self, email, password=PASSWORD):
        return self.client.post(
            "/login", data={"email": email, "password": password, "csrf_token": self.csrf()}
        )

    def logout(self):
        return self.client.post("/logout", data={"csrf_token": self.csrf("/")})

    def headers(self):
        """Headers for a JSON call from a signed-in page."""
        with self.client.session_transaction() as session:
            token = session.get("csrf_token")
        if token is None:
            token = self.csrf("/login")
        return {"X-CSRFToken": token}


@pytest.fixture
def auth(client):
    return Auth(client)


# --- Browser tests -------------------------------------------------------------------------


class LiveServer:
    """The app served by werkzeug on 127.0.0.1 in a thread: a secure context for service workers."""

    def __init__(self, app):
        self.app = app
        self.start()

    def start(self, port=0):
        self.server = make_server("127.0.0.1", port, self.app, threaded=True)
        self.port = self.server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()

    def restart(self):
        """Start again on the same port, as a server coming back after an outage."""
        self.start(self.port)


@pytest.fixture
def demo_app(tmp_path):
    """An app whose database holds the generated demo data (password: PASSWORD)."""
    application = create_app({"DATABASE": str(tmp_path / "demo.sqlite"), "SECRET_KEY": "live-test"})
    database = connect(application.config["DATABASE"])
    demo.seed(database, PASSWORD)
    database.close()
    return application


@pytest.fixture
def live_server(demo_app):
    server = LiveServer(demo_app)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def tablet(browser):
    context = browser.new_context(viewport=TABLET)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def server(live_server):
    """The live server with the offline app's retries quick: its default starts at 5 s and doubles."""
    live_server.app.config.update(OFFLINE_RETRY_BASE_MS=200, OFFLINE_RETRY_MAX_MS=1000)
    return live_server


@pytest.fixture
def context(browser):
    """A browser context at the tablet's size, for tests that open several pages in it."""
    context = browser.new_context(viewport=TABLET)
    yield context
    context.close()


def sign_in(page, base_url, email, password=PASSWORD):
    page.goto(f"{base_url}/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("button[type=submit]:has-text('Sign in')")


AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text()


def axe_violations(page):
    """Serious and critical WCAG 2.2 A/AA violations axe-core finds on the page.

    axe is evaluated through the DevTools protocol, which the app's strict CSP
    (no inline scripts) rightly does not allow a script tag to do.
    """
    page.evaluate(AXE_SOURCE)
    result = page.evaluate(
        "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa', 'wcag22aa']}})"
    )
    return [
        (v["id"], v["help"], [n["target"] for n in v["nodes"]][:3])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


# --- A real OpenID provider (node-oidc-provider) for the single sign-on tests ----------------------

OIDC_DIR = Path(__file__).parent / "oidc"


def free_port():
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def oidc_provider():
    """tests/oidc/provider.js on 127.0.0.1, one process for the whole run; yields its issuer URL.
    `make test` installs its Node packages (npm ci); a missing install fails, never skips."""
    import subprocess
    import time
    import urllib.request

    assert (OIDC_DIR / "node_modules" / "oidc-provider").is_dir(), (
        "The test OpenID provider is not installed: run `make test`, or `npm ci` in tests/oidc."
    )
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        ["node", "provider.js", str(port)],
        cwd=OIDC_DIR,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{issuer}/.well-known/openid-configuration", timeout=5):
                break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(
                    "The test OpenID provider did not start (node tests/oidc/provider.js)."
                ) from None
            time.sleep(0.2)  # polling for the port to open, not a wait asserted on
    yield issuer
    process.terminate()
    process.wait(timeout=10)


def sso_config(tmp_path, issuer, base_url="http://127.0.0.1:5000", **overrides):
    """An app config with single sign-on through the test provider (client registered in provider.js)."""
    return {
        "TESTING": True,
        "DATABASE": str(tmp_path / "test.sqlite"),
        "SECRET_KEY": "test",
        "BASE_URL": base_url,
        "OIDC_ISSUER": issuer,
        "OIDC_CLIENT_ID": "outcomes-test",
        "OIDC_CLIENT_SECRET": "outcomes-test-secret",
        "OIDC_SCOPES": "openid email profile groups",
        **SPOOL_EACH_REQUEST,
        **overrides,
    }
