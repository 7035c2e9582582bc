"""Lighthouse (mobile) performance of the child's star page and the manager's dashboard.

    npm i -g lighthouse@12
    CHROME_PATH=/usr/bin/chromium .venv/bin/python bench/lighthouse.py [--root DIR]

Seeds a demo database in a temporary directory (`flask seed-demo`), starts gunicorn on 127.0.0.1,
signs in as the SLT practitioner and as the manager through the real sign-in form, and runs
Lighthouse's default mobile emulation with the session cookie (--extra-headers) on
/children/<first SLT child> and /manager/. Prints each performance score and the main metrics.
`--root` runs another checkout of the app (for a before/after comparison); `--runs N` runs each page
N times (the score swings on a busy machine) and prints the load average beside each run;
`--details` also prints the top items of the audits that say where the main thread's time went.
Not part of pytest.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from load import USER_AGENT, Client, free_port  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "outcomes-demo"
CHROME_FLAGS = "--headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking"
# The audits that say what kept the main thread busy or the page late, and how many items of each.
DETAIL_AUDITS = (
    "mainthread-work-breakdown",
    "bootup-time",
    "long-tasks",
    "render-blocking-resources",
    "largest-contentful-paint-element",
    "layout-shifts",
)
DETAIL_ITEMS = 6


def serve(root, database, port):
    env = dict(
        os.environ,
        OUTCOMES_DATABASE=str(database),
        OUTCOMES_SECRET_KEY="lighthouse-bench-only",
        OUTCOMES_SESSION_COOKIE_SECURE="false",
        OUTCOMES_REMEMBER_COOKIE_SECURE="false",
    )
    python = sys.executable
    subprocess.run(
        [python, "-m", "flask", "--app", "outcomes", "seed-demo", "--password", PASSWORD],
        cwd=root,
        env=env,
        check=True,
        capture_output=True,
    )
    gunicorn = Path(python).with_name("gunicorn")
    server = subprocess.Popen(
        [str(gunicorn), "-w", "2", "-b", f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"],
        cwd=root,
        env=env,
    )
    time.sleep(3)
    return server


def cookie_for(port, email):
    client = Client(port)
    client.login(email, PASSWORD)
    client.request("GET", "/")
    return "; ".join(f"{k}={v}" for k, v in client.cookies.items()), client


def lighthouse(url, cookie, out):
    subprocess.run(
        [
            "lighthouse",
            url,
            "--only-categories=performance",
            "--output=json",
            f"--output-path={out}",
            f"--chrome-flags={CHROME_FLAGS}",
            "--extra-headers",
            json.dumps({"Cookie": cookie}),
            f"--emulated-user-agent={USER_AGENT}",
            "--quiet",
        ],
        check=True,
        env=dict(os.environ, CHROME_PATH=os.environ.get("CHROME_PATH", "/usr/bin/chromium")),
    )
    report = json.loads(Path(out).read_text())
    audits = report["audits"]
    metric = lambda name: audits[name]["displayValue"]  # noqa: E731
    return {
        "final URL": report.get("finalDisplayedUrl", ""),
        "score": round(report["categories"]["performance"]["score"] * 100),
        "FCP": metric("first-contentful-paint"),
        "LCP": metric("largest-contentful-paint"),
        "TBT": metric("total-blocking-time"),
        "CLS": metric("cumulative-layout-shift"),
        "bytes": audits["total-byte-weight"]["displayValue"],
    }, audits


def short(value):
    """One cell of an audit's table: a URL without its origin, a node by its selector, ms rounded."""
    if isinstance(value, dict):
        return value.get("selector") or value.get("url") or value.get("snippet") or value.get("type", "")
    if isinstance(value, float):
        return f"{value:.0f}"
    return re.sub(r"^https?://[^/]+", "", str(value))[:70]


def details(audits):
    for name in DETAIL_AUDITS:
        audit = audits.get(name, {})
        print(f"    {name}: {audit.get('displayValue', '')}")
        items = (audit.get("details") or {}).get("items") or []
        for item in items[:DETAIL_ITEMS]:
            if item.get("type") == "table":  # largest-contentful-paint-element nests its tables
                for row in item.get("items", [])[:2]:
                    print("      " + "  ".join(f"{k}={short(v)}" for k, v in row.items()))
                continue
            print("      " + "  ".join(f"{k}={short(v)}" for k, v in item.items() if k != "subItems"))


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--root", default=str(ROOT), help="checkout of the app to run (default: this one)")
    parser.add_argument("--runs", type=int, default=1, help="runs of each page (default 1)")
    parser.add_argument("--details", action="store_true", help="print where the main thread's time went")
    args = parser.parse_args()
    if shutil.which("lighthouse") is None:
        print("lighthouse is not installed (npm i -g lighthouse@12); skipped.")
        return
    with tempfile.TemporaryDirectory() as scratch:
        port = free_port()
        server = serve(args.root, Path(scratch) / "demo.sqlite", port)
        try:
            base = f"http://127.0.0.1:{port}"
            cookie, client = cookie_for(port, "slt@demo.test")
            _, caseload = client.page("GET", "/caseload?scope=service")
            child = re.search(rb'href="(/children/\d+)"', caseload).group(1).decode()
            manager_cookie, _ = cookie_for(port, "manager@demo.test")
            pages = (
                ("child's star", base + child, cookie),
                ("manager dashboard", base + "/manager/", manager_cookie),
            )
            for run in range(1, args.runs + 1):
                for label, url, jar in pages:
                    load = os.getloadavg()[0]
                    result, audits = lighthouse(url, jar, Path(scratch) / f"{urllib.parse.quote(label)}.json")
                    print(
                        f"run {run} (load {load:.1f}) {label:<18} performance {result['score']}  "
                        + "  ".join(f"{k} {v}" for k, v in result.items() if k != "score"),
                        flush=True,
                    )
                    if args.details:
                        details(audits)
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
