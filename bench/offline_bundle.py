"""The offline bundle of a practitioner with 2,500 children of her own: bytes, statements and CPU time,
before and after, in the same run.

    .venv/bin/python bench/offline_bundle.py                       # baseline: commit BASELINE_COMMIT
    .venv/bin/python bench/offline_bundle.py --root OTHER_CHECKOUT # baseline: another checkout
    .venv/bin/python bench/offline_bundle.py --rounds 5 --repeat 4
    .venv/bin/python bench/offline_bundle.py --database /work/main/bench/load.sqlite  # copied, never changed

Works on copies of bench/load.py's database (5,000 children, each seen by two of the four services,
so each service's practitioner has 2,500 children on her own list; built through the project's own
code by bench/load.py, and here if it is missing). Each side runs in a child process of its own on a
fresh copy, with its own code first on the path (the baseline is the code before the bundle was read
in batches, taken from git with `git archive BASELINE_COMMIT`, unless --root names a checkout): it
signs in through the real form (Flask's test client, no network) as the practitioner with the most
children, fetches /api/v1/offline/bundle with gzip accepted `--repeat` times, and reports the bytes
(raw and gzipped), the SQL statements of one request, and CPU milliseconds per request
(time.process_time: the machine is shared, so the wall clock mostly measures other people's work)
and the same for offline_bundle.caseload_bundle alone. The script stops unless the new bundle is the
baseline's with the fields the offline pages never read left out (SLIMMED below). Not part of
pytest; figures in bench/README.md.
"""

import argparse
import gzip
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from bundle_shape import with_scales_in_charts  # noqa: E402

# The code before the offline bundle was read in batches and slimmed.
BASELINE_COMMIT = "c1447c0"
# What the new bundle leaves out of the baseline's: fields no offline page, script or test reads
# (static/js/offline/*.js). Per child, per child's service record, per open target (its id and due
# date are in the form's markup), per reading of its kept star. Each kept star's scale and areas are
# kept once for all children (chart_scales), and put back in each chart before comparing.
SLIMMED = {
    "child": ("date_of_birth",),
    "record": ("last_review", "next_due"),
    "target": ("id", "due_date"),
    "dataset": ("date",),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, help="the checkout measured as the baseline")
    parser.add_argument("--rounds", type=int, default=3, help="child processes per side, taken in turn")
    parser.add_argument("--repeat", type=int, default=3, help="requests per process (the first warms up)")
    parser.add_argument(
        "--database", type=Path, help="a built load database to copy (default bench/load.sqlite)"
    )
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # in the child process: a copy
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        return measure(args.root, args.measure, args.repeat, args.out)
    database = built_database(args.database)
    sides = {"before": [], "after": []}
    with tempfile.TemporaryDirectory(prefix="offline-bench-") as work:
        roots = {"before": args.root.resolve() if args.root else baseline(Path(work)), "after": ROOT}
        for round_ in range(args.rounds):
            # In turn, and each side first every other round, so neither gets the quieter moments.
            for name in ("before", "after") if round_ % 2 == 0 else ("after", "before"):
                sides[name].append(run_side(roots[name], database, Path(work), args.repeat))
    before, after = sides["before"][0], sides["after"][0]
    if slim(before["bundle"]) != with_scales_in_charts(after["bundle"]):
        sys.exit("The new bundle is not the baseline's with the unread fields left out.")
    print(f"Same bundle (less the fields no offline page reads); baseline {args.root or BASELINE_COMMIT}")
    report(sides)


def baseline(work):
    """The baseline commit's files, from this checkout's git history."""
    target = work / "baseline"
    target.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", BASELINE_COMMIT], capture_output=True)
    if archive.returncode:
        sys.exit(f"No commit {BASELINE_COMMIT} in this checkout's history: name a baseline with --root.")
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
    return target


def run_side(root, database, work, repeat):
    """One child process measuring the code at `root` on a fresh copy of `database`."""
    copy, out = work / "run.sqlite", work / "run.json"
    for suffix in ("", "-wal", "-shm"):
        Path(str(copy) + suffix).unlink(missing_ok=True)
    shutil.copyfile(database, copy)
    subprocess.run(
        [sys.executable, __file__, "--root", str(root), "--measure", str(copy), "--out", str(out)]
        + ["--repeat", str(repeat)],
        check=True,
    )
    return json.loads(out.read_text())


def built_database(database):
    """bench/load.py's database (or `database`, only read), built through the project's own code if
    it is not there yet."""
    if database:
        return database
    sys.path.insert(0, str(ROOT / "bench"))
    import load

    if not Path(str(load.DATABASE) + ".token").exists():  # as bench/load.py decides
        print(f"Building {load.DATABASE} (5,000 children) ...", flush=True)
        load.build(load.DATABASE)
    return load.DATABASE


def slim(bundle):
    for child in bundle["children"]:
        for field in SLIMMED["child"]:
            child.pop(field)
        for record in child["services"].values():
            for field in SLIMMED["record"]:
                record.pop(field)
            for target in record["open_targets"]:
                for field in SLIMMED["target"]:
                    target.pop(field)
            for dataset in record["chart"]["datasets"] if record["chart"] else ():
                for field in SLIMMED["dataset"]:
                    dataset.pop(field)
    return bundle


def measure(root, copy, repeat, out):
    """In a child process: the code at `root` over the database `copy`."""
    sys.path.insert(0, str(root))
    os.environ.update(
        OUTCOMES_DATABASE=str(copy),
        OUTCOMES_SECRET_KEY="offline-bench-only",
        OUTCOMES_SESSION_COOKIE_SECURE="false",
    )
    from outcomes import create_app, offline_bundle
    from outcomes.db import connect, get_db

    app = create_app()
    assert Path(sys.modules["outcomes"].__file__).is_relative_to(root)
    seen = []
    app.before_request(lambda: get_db().conn.set_trace_callback(seen.append))
    user_id, email = practitioner_with_most_children(copy)
    client = signed_in(app, email)
    cpu, raw, packed, statements = [], None, None, None
    for _ in range(repeat):
        seen.clear()
        started = time.process_time()
        response = client.get("/api/v1/offline/bundle")
        cpu.append(time.process_time() - started)
        assert response.status_code == 200 and response.headers["Content-Encoding"] == "gzip"
        packed = response.get_data()
        statements = len(seen)
    raw = gzip.decompress(packed)
    db = connect(str(copy))
    alone, module_statements = [], []
    for _ in range(repeat):
        module_statements.clear()
        db.conn.set_trace_callback(module_statements.append)
        started = time.process_time()
        offline_bundle.caseload_bundle(db, user_id)
        alone.append(time.process_time() - started)
        db.conn.set_trace_callback(None)
    bundle = json.loads(raw)
    result = {
        "children": len(bundle["children"]),
        "raw": len(raw),
        "gzipped": len(packed),
        "statements": statements,
        "module_statements": len(module_statements),
        "cpu_ms": [round(seconds * 1000, 1) for seconds in cpu],
        "module_cpu_ms": [round(seconds * 1000, 1) for seconds in alone],
        "bundle": bundle,
    }
    out.write_text(json.dumps(result))


def practitioner_with_most_children(copy):
    import sqlite3

    with sqlite3.connect(copy) as conn:
        return conn.execute(
            """SELECT u.id, u.email FROM users u JOIN caseloads c ON c.practitioner_id = u.id
               WHERE c.discharged_on IS NULL GROUP BY u.id ORDER BY count(*) DESC LIMIT 1"""
        ).fetchone()


def signed_in(app, email):
    """A test client signed in through the real form (the password bench/load.py gives everyone)."""
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = "outcomes-bench"
    client.environ_base["HTTP_ACCEPT_ENCODING"] = "gzip"
    page = client.get("/login").get_data()
    page = gzip.decompress(page) if page[:2] == b"\x1f\x8b" else page
    token = re.search(rb'name="csrf_token" value="([^"]+)"', page).group(1).decode()
    response = client.post("/login", data={"csrf_token": token, "email": email, "password": "bench-only"})
    assert response.status_code == 302, response.status_code
    return client


def report(sides):
    before, after = sides["before"][-1], sides["after"][-1]
    rows = [
        ("children kept", "children", "{:,}"),
        ("bytes, raw JSON", "raw", "{:,} B"),
        ("bytes, gzipped (as sent)", "gzipped", "{:,} B"),
        ("SQL statements, whole request", "statements", "{:,}"),
        ("SQL statements, caseload_bundle alone", "module_statements", "{:,}"),
    ]
    print(f"{'':40} {'before':>14} {'after':>14} {'after/before':>13}")
    for label, key, form in rows:
        ratio = after[key] / before[key] if before[key] else float("nan")
        print(f"{label:40} {form.format(before[key]):>14} {form.format(after[key]):>14} {ratio:>12.4g}×")
    for label, key in (
        ("CPU ms, whole request", "cpu_ms"),
        ("CPU ms, caseload_bundle alone", "module_cpu_ms"),
    ):
        # The first request of each process warms the caches (star versions, templates): the rest
        # are compared, by their best (least disturbed by other work) and their median.
        warm = {name: [ms for run in runs for ms in run[key][1:]] for name, runs in sides.items()}
        for how, pick in (("best", min), ("median", statistics.median)):
            old, new = pick(warm["before"]), pick(warm["after"])
            print(f"{label + ', ' + how:40} {old:>14,.0f} {new:>14,.0f} {new / old:>12.2f}×")
    print("CPU ms of each warm request, before:", [run["cpu_ms"][1:] for run in sides["before"]])
    print("CPU ms of each warm request, after: ", [run["cpu_ms"][1:] for run in sides["after"]])


if __name__ == "__main__":
    main()
