"""Scorecard benchmark: a region-scale database, then the full scorecard of a quarter and a year
against one hand-written SQL query as the baseline.

    .venv/bin/python bench/scorecard.py            # builds bench/scorecard.sqlite once, then times
    .venv/bin/python bench/scorecard.py --fresh    # rebuild the database first

The database is built through the project's own data layer (stars.create_default_services,
users.create_user, demo.bulk_history -> reviews.bulk_insert), deterministically: 50,000 children,
each reviewed by two of the four services about every six months over three financial years
(2023-24 to 2025-26), with targets, outcomes, amendments, drafts and family ratings.
The timings run in a fresh child process so that its peak memory is the queries' alone.
Not part of pytest. See bench/README.md for the figures measured.
"""

import argparse
import os
import random
import resource
import subprocess
import sys
import time
import tracemalloc
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from werkzeug.security import generate_password_hash  # noqa: E402

from outcomes import demo, disclosure, periods, scorecard, stars, users  # noqa: E402
from outcomes.db import connect, migrate  # noqa: E402

DATABASE = ROOT / "bench" / "scorecard.sqlite"
CHILDREN = 50_000
FIRST_DAY, LAST_DAY = date(2023, 4, 1), date(2026, 3, 31)
QUARTER, YEAR = "2025-26 Q3", "2025-26"
SEED = 20260401
MINIMUM = {"children": 50_000, "submitted reviews": 400_000, "readings": 3_500_000, "targets": 500_000}

# The baseline: one hand-written query for pct_targets_met and mean_distance_travelled per service.
BASELINE_SQL = """
WITH counted AS (
    SELECT id, child_id, service_id, date FROM reviews
    WHERE status = 'submitted' AND is_latest = 1 AND date <= :end
), ranked AS (
    SELECT id, child_id, service_id, date,
           row_number() OVER (PARTITION BY service_id, child_id ORDER BY date, id) AS from_first,
           row_number() OVER (PARTITION BY service_id, child_id ORDER BY date DESC, id DESC) AS from_latest,
           max(date >= :start) OVER (PARTITION BY service_id, child_id) AS in_period
    FROM counted
), ends AS (
    SELECT service_id, child_id,
           max(CASE WHEN from_first = 1 THEN id END) AS first_id,
           max(CASE WHEN from_latest = 1 THEN id END) AS latest_id,
           min(date) AS first_date, max(date) AS latest_date
    FROM ranked WHERE in_period = 1 AND (from_first = 1 OR from_latest = 1)
    GROUP BY service_id, child_id
), distances AS (
    SELECT e.service_id,
           avg(CASE WHEN rd.review_id = e.latest_id THEN rd.score END)
         - avg(CASE WHEN rd.review_id = e.first_id THEN rd.score END) AS distance
    FROM ends e JOIN readings rd ON rd.review_id IN (e.first_id, e.latest_id)
    WHERE e.first_date < e.latest_date
    GROUP BY e.service_id, e.child_id
), closed AS (
    SELECT r.service_id, 100.0 * sum(o.outcome = 'met') / count(*) AS pct_targets_met
    FROM reviews r JOIN target_outcomes o ON o.review_id = r.id
    WHERE r.status = 'submitted' AND r.is_latest = 1 AND r.date BETWEEN :start AND :end
      AND o.outcome <> 'withdrawn'
    GROUP BY r.service_id
)
SELECT s.key, c.pct_targets_met, (SELECT avg(distance) FROM distances d WHERE d.service_id = s.id)
FROM services s LEFT JOIN closed c ON c.service_id = s.id
ORDER BY s.id
"""


def build(path):
    """Create the region-scale database at `path` (deleted first) through the data layer."""
    for suffix in ("", "-wal", "-shm", ".done"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    started = time.perf_counter()
    db = connect(str(path))
    migrate(db)
    service_ids = stars.create_default_services(db)
    password_hash = generate_password_hash("bench-only")
    staff = {}
    for key, service_id in service_ids.items():
        staff[key] = users.create_user(
            db, f"{key}@bench.test", f"{key} practitioner", "practitioner", password_hash=password_hash
        )
        db["memberships"].insert({"user_id": staff[key], "service_id": service_id, "role": "practitioner"})
    rng = random.Random(SEED)
    keys = list(service_ids)
    with db.atomic():
        db["children"].insert_all(
            (
                {
                    "given_name": f"Child{number}",
                    "family_name": "Bench",
                    "date_of_birth": date(2010 + number % 12, 1 + number % 12, 1 + number % 28).isoformat(),
                    "local_id": f"BENCH{number:06d}",
                }
                for number in range(CHILDREN)
            ),
            batch_size=5000,
        )
        db["users"].insert_all(
            (
                {"email": f"family{number:06d}@bench.test", "name": f"Family {number}", "role": "family"}
                for number in range(CHILDREN)
            ),
            batch_size=5000,
        )
    child_ids = [row[0] for row in db.execute("SELECT id FROM children ORDER BY id")]
    family_ids = [row[0] for row in db.execute("SELECT id FROM users WHERE role = 'family' ORDER BY id")]
    db["family_links"].insert_all(
        (
            {"user_id": family_id, "child_id": child_id}
            for child_id, family_id in zip(child_ids, family_ids, strict=False)
        ),
        batch_size=5000,
    )
    # Each child is seen by two services, so that the readings pass 3.5 million with six domains a star.
    plan = [
        (child_id, family_id, [keys[number % 4], keys[(number + 1 + number // 4 % 3) % 4]])
        for number, (child_id, family_id) in enumerate(zip(child_ids, family_ids, strict=False))
    ]
    demo.bulk_history(
        db,
        rng,
        plan,
        staff,
        FIRST_DAY,
        LAST_DAY,
        targets_per_review=1,
        rating_share=0.3,
        amend_share=0.02,
        draft_share=0.02,
        batch=2500,
    )
    db.execute("ANALYZE")
    db.close()
    Path(str(path) + ".done").write_text(f"{CHILDREN} {SEED}\n")
    return time.perf_counter() - started


def sizes(db):
    one = lambda sql: db.execute(sql).fetchone()[0]  # noqa: E731
    return {
        "children": one("SELECT count(*) FROM children"),
        "reviews (all rows)": one("SELECT count(*) FROM reviews"),
        "submitted reviews": one("SELECT count(*) FROM reviews WHERE status = 'submitted'"),
        "counted reviews": one("SELECT count(*) FROM reviews WHERE status = 'submitted' AND is_latest = 1"),
        "readings": one("SELECT count(*) FROM readings"),
        "targets": one("SELECT count(*) FROM targets"),
        "target outcomes": one("SELECT count(*) FROM target_outcomes"),
        "family ratings": one("SELECT count(*) FROM family_views"),
    }


def timed(function, repeat=3):
    """(first run's wall seconds, best wall seconds, best CPU seconds, result) over `repeat` runs.

    CPU time is printed beside wall time because a shared machine's load stretches the wall clock.
    """
    walls, cpus, result = [], [], None
    for _ in range(repeat):
        started, cpu = time.perf_counter(), time.process_time()
        result = function()
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
    return walls[0], min(walls), min(cpus), result


def measure(path):
    """Time the scorecard and the baseline (run in a child process: its peak RSS is the queries')."""
    load = os.getloadavg()
    db = connect(str(path))
    migrate(db)  # a database built by an earlier version gains the newer tables and columns
    services = scorecard.services(db)
    policy = disclosure.POLICIES["nhs"]
    results = {}
    tracemalloc.start()
    for label in (QUARTER, YEAR):
        period = periods.parse(label)
        first, best, cpu, card = timed(
            lambda period=period: scorecard.scorecard(db, services, period, policy)
        )
        params = {"start": period.start.isoformat(), "end": period.end.isoformat()}
        base_first, base_best, base_cpu, rows = timed(
            lambda params=params: db.execute(BASELINE_SQL, params).fetchall()
        )
        ours = {
            s["key"]: scorecard.compute(db, next(x for x in services if x["key"] == s["key"]), period)[0]
            for s in card["services"]
        }
        for key, pct, distance in rows:  # the two ways agree on the figures they share
            half_up = disclosure.round_half_up
            assert ours[key]["pct_targets_met"] == (half_up(pct, 1) if pct is not None else None), key
            assert ours[key]["mean_distance_travelled"] == (
                half_up(distance, 2) if distance is not None else None
            ), key
        results[label] = (first, best, cpu, base_first, base_best, base_cpu, card)
    _, python_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"load average before timing: {load[0]:.1f} (1 min), {load[1]:.1f} (5 min) on {os.cpu_count()} cores"
    )
    for label, (first, best, cpu, base_first, base_best, base_cpu, card) in results.items():
        slt = card["services"][0]["measures"]
        print(
            f"{label:>10}: scorecard (4 services, every measure + domain rows, computed with the year "
            f"and its 4 quarters for disclosure control) first {first:.3f} s, "
            f"best of 3 {best:.3f} s wall / {cpu:.3f} s CPU"
        )
        print(
            f"{'':>12}baseline query (2 measures)       first {base_first:.3f} s, "
            f"best of 3 {base_best:.3f} s wall / {base_cpu:.3f} s CPU"
        )
        print(f"{'':>12}ratio scorecard / baseline: {best / base_best:.2f}x wall, {cpu / base_cpu:.2f}x CPU")
        print(
            f"{'':>12}slt: {slt['reviews']['value']} reviews, "
            f"{slt['pct_targets_met']['value']}% targets met, "
            f"mean distance {slt['mean_distance_travelled']['value']}"
        )
    print(
        f"peak memory while timing: {rss_mb:.0f} MB resident (process), "
        f"{python_peak / 1e6:.1f} MB Python heap"
    )
    db.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fresh", action="store_true", help="rebuild the database even if it is cached")
    parser.add_argument("--measure-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure_only:
        measure(DATABASE)
        return
    if args.fresh or not Path(str(DATABASE) + ".done").exists():
        print(f"Building {DATABASE.relative_to(ROOT)} ...", flush=True)
        seconds = build(DATABASE)
        print(
            f"built in {seconds:.1f} s, "
            f"peak {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
        )
    else:
        print(f"Using the cached {DATABASE.relative_to(ROOT)} (--fresh to rebuild)")
    db = connect(str(DATABASE))
    counts = sizes(db)
    db.close()
    for name, value in counts.items():
        print(f"  {name:>20}: {value:,}")
    for name, least in MINIMUM.items():
        assert counts[name] >= least, f"{name}: {counts[name]:,} < {least:,}"
    print(f"  {'file':>20}: {DATABASE.stat().st_size / 1e6:.0f} MB")
    subprocess.run([sys.executable, __file__, "--measure-only"], check=True)


if __name__ == "__main__":
    main()
