"""Member areas for the regional tests and bench: real instances of the app, each its own process
on 127.0.0.1 with its own database of generated demo data and a token made for the region."""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from outcomes import create_app, demo, tokens
from outcomes.db import connect

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"


def free_port():
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class Member:
    """One area's instance: seeded with demo data (or a copy of `source`, a built database), then
    served by `flask run` in a child process until stopped."""

    def __init__(self, directory, key, name, policy, password="member-password", source=None):
        self.key, self.name = key, name
        self.database = str(Path(directory) / f"{key}.sqlite")
        if source:
            shutil.copyfile(source, self.database)
        create_app({"DATABASE": self.database, "SECRET_KEY": "member", "DISCLOSURE_POLICY": policy})
        db = connect(self.database)
        if not source:
            demo.seed(db, password)
        self.token = tokens.create_token(db, "region")
        db.close()
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}/api/v1/scorecard"
        env = {
            **os.environ,
            "OUTCOMES_DATABASE": self.database,
            "OUTCOMES_SECRET_KEY": "member",
            "OUTCOMES_DISCLOSURE_POLICY": policy,
        }
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "flask",
                "--app",
                "outcomes",
                "run",
                "--host",
                HOST,
                "--port",
                str(self.port),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._wait_until_serving()

    def _wait_until_serving(self, seconds=60):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"member {self.key} exited with {self.process.returncode}")
            try:
                with urllib.request.urlopen(f"http://{HOST}:{self.port}/api/v1/openapi.json", timeout=2):
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"member {self.key} did not start within {seconds} s")

    def area(self):
        """The entry for the region's REGION_AREAS."""
        return {"key": self.key, "name": self.name, "feed_url": self.url, "token": self.token}

    def feed(self, label):
        request = urllib.request.Request(
            f"{self.url}?{urllib.parse.urlencode({'period': label})}",
            headers={"Authorization": f"Bearer {self.token}"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
