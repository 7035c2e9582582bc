"""Durability under gunicorn: reviews streaming in from several threads, and the child's page read
beside them, while the master and its workers are killed with SIGKILL, twice; after a restart every
acknowledged review is there exactly once, every page served has its audit entry (once), and the
database passes its integrity check."""

import itertools
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from conftest import PASSWORD
from test_api_reviews import stream_body

from outcomes import audit
from outcomes.db import connect

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"
THREADS = 6
ROUNDS = 2
PER_ROUND = 30  # acknowledged reviews between kills


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Gunicorn:
    def __init__(self, database, port):
        self.url = f"http://127.0.0.1:{port}"
        self.args = [str(GUNICORN), "--workers", "2", "--bind", f"127.0.0.1:{port}", "wsgi:app"]
        self.env = {
            **os.environ,
            "OUTCOMES_DATABASE": str(database),
            "OUTCOMES_SECRET_KEY": "durability",
            # Plain HTTP on the loopback: the cookie would otherwise never be sent back.
            "OUTCOMES_SESSION_COOKIE_SECURE": "false",
        }

    def start(self, deadline=30):
        # Its own process group, so one killpg reaches the master and every worker.
        self.process = subprocess.Popen(
            self.args,
            cwd=ROOT,
            env=self.env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            try:
                if requests.get(f"{self.url}/login", timeout=5).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.1)  # polling for the port to open, not an assertion
        self.kill()
        raise AssertionError("gunicorn did not start")

    def kill(self):
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


def signed_in(url):
    """A practitioner's cookies and CSRF token, signed in through the real form."""
    session = requests.Session()
    page = session.get(f"{url}/login", timeout=30).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    session.post(
        f"{url}/login",
        data={"email": "slt@test.example", "password": PASSWORD, "csrf_token": token},
        timeout=30,
    )
    page = session.get(f"{url}/", timeout=30).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return session.cookies.get_dict(), token


class Stream:
    def __init__(self, server, child_id, cookies, token):
        self.server, self.child_id = server, child_id
        self.cookies, self.token = cookies, token
        self.acknowledged, self.refused = [], []
        self.days = itertools.count()
        self.lock, self.stop = threading.Lock(), threading.Event()
        self.threads = [threading.Thread(target=self.loop, daemon=True) for _ in range(THREADS)]
        self.threads.append(threading.Thread(target=self.read_pages, daemon=True))
        self.pages_asked = self.pages_served = 0

    def loop(self):
        session = requests.Session()
        session.cookies.update(self.cookies)
        while not self.stop.is_set():
            body = stream_body(self.child_id, self.days)
            try:
                response = session.post(
                    f"{self.server.url}/api/v1/reviews",
                    json=body,
                    headers={"X-CSRFToken": self.token},
                    timeout=10,
                )
            except requests.RequestException:
                continue  # the server is down: not acknowledged, so nothing is promised
            if response.status_code in (200, 201):
                with self.lock:
                    self.acknowledged.append(body["uuid"])
            else:
                with self.lock:
                    self.refused.append((response.status_code, response.text[:200]))

    def read_pages(self):
        """The child's page, read over and over: each page served must have its audit entry."""
        session = requests.Session()
        session.cookies.update(self.cookies)
        while not self.stop.is_set():
            with self.lock:
                self.pages_asked += 1
            try:
                response = session.get(f"{self.server.url}/children/{self.child_id}", timeout=10)
            except requests.RequestException:
                continue  # the server is down: maybe served and audited, maybe not
            if response.status_code == 200:
                with self.lock:
                    self.pages_served += 1

    def count(self):
        with self.lock:
            return len(self.acknowledged)

    def wait_for(self, count, deadline=40):
        end = time.monotonic() + deadline
        while self.count() < count and time.monotonic() < end:
            self.stop.wait(0.05)
        assert self.count() >= count, f"only {self.count()} reviews acknowledged"


@pytest.mark.skipif(not GUNICORN.exists(), reason="needs gunicorn (requirements.txt)")
def test_every_acknowledged_review_survives_sigkill_exactly_once(app, db, world, tmp_path):
    server = Gunicorn(app.config["DATABASE"], free_port())
    server.start()
    try:
        stream = Stream(server, world.amy, *signed_in(server.url))
        for thread in stream.threads:
            thread.start()
        for _ in range(ROUNDS):
            stream.wait_for(stream.count() + PER_ROUND)
            server.kill()
            server.start()
        stream.wait_for(stream.count() + PER_ROUND)
        stream.stop.set()
        for thread in stream.threads:
            thread.join(timeout=15)
    finally:
        server.stop()
    check = connect(app.config["DATABASE"])
    try:
        assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        stored = dict(check.execute("SELECT uuid, count(*) FROM reviews GROUP BY uuid").fetchall())
        readings = dict(
            check.execute(
                """SELECT r.uuid, count(*) FROM reviews r
                JOIN readings rd ON rd.review_id = r.id GROUP BY r.uuid"""
            ).fetchall()
        )
        # Reading the trail copies what the killed workers left in their spool files.
        views = [e for e in audit.entries(check, child_id=world.amy) if e["action"] == "view child record"]
    finally:
        check.close()
    acknowledged = stream.acknowledged
    assert stream.refused == []  # a request the server answered was stored, never refused
    assert len(acknowledged) == len(set(acknowledged)) >= (ROUNDS + 1) * PER_ROUND
    missing = [uuid for uuid in acknowledged if stored.get(uuid) != 1]
    assert missing == [], f"{len(missing)} of {len(acknowledged)} acknowledged reviews lost or doubled"
    # Each acknowledged review is whole: all six readings were committed with it.
    assert {readings.get(uuid) for uuid in acknowledged} == {6}
    # Every page served was audited; none twice (no more entries than pages asked for).
    assert stream.pages_served >= ROUNDS
    assert stream.pages_served <= len(views) <= stream.pages_asked
    print(
        f"\n{len(acknowledged)} acknowledged reviews survived {ROUNDS} SIGKILL rounds;"
        f" {stream.pages_served} pages served, {len(views)} audit entries"
    )
