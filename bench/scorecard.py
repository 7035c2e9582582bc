"""Scorecard benchmark: region-scale databases of 5,000, 50,000 and 150,000 children, the scorecard
from its stored facts (review_facts) against the old computation from reviews and readings, and the
cost of keeping the facts per review written.

    .venv/bin/python bench/scorecard.py                      # all three sizes (databases cached)
    .venv/bin/python bench/scorecard.py --children 50000     # one size
    .venv/bin/python bench/scorecard.py --fresh              # rebuild the databases first

Each database is built through the project's own data layer (stars.create_default_services,
users.create_user, demo.bulk_history -> reviews.bulk_insert), deterministically: each child
reviewed by two of the four services about every six months over three financial years
(2023-24 to 2025-26), with targets, outcomes, amendments, drafts and family ratings. They are
kept under bench/.cache (git-ignored). The timings run in a fresh child process per size so that
its peak memory is the queries' alone. Not part of pytest. See bench/README.md for the figures.
"""

import argparse
import os
import random
import resource
import subprocess
import sys
import time
import uuid
from datetime import date, datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from werkzeug.security import generate_password_hash  # noqa: E402

sys.path.insert(0, str(ROOT / "tests"))

from scorecard_raw import raw_queries  # noqa: E402

from outcomes import demo, disclosure, periods, reviews, scorecard, stars, users  # noqa: E402
from outcomes.db import connect, migrate  # noqa: E402

CACHE = ROOT / "bench" / ".cache"
SIZES = (5_000, 50_000, 150_000)
CHILDREN = 50_000  # build()'s default size (bench/load.py sets its own)
FIRST_DAY, LAST_DAY = date(2023, 4, 1), date(2026, 3, 31)
QUARTER, YEAR = "2025-26 Q3", "2025-26"
SEED = 20260401
# At 50,000 children; scaled with the number of children.
MINIMUM = {"children": 50_000, "submitted reviews": 400_000, "readings": 3_500_000, "targets": 500_000}
WRITES = 200  # reviews written through reviews.save_review to cost the facts' upkeep
WARM_UP = 50


def database(children):
    return CACHE / f"scorecard-{children}.sqlite"


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


def build(path, children=None):
    """Create a region-scale database of `children` (CHILDREN unless given) at `path` (deleted first)
    through the data layer."""
    children = children or CHILDREN
    path.parent.mkdir(parents=True, exist_ok=True)
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
                for number in range(children)
            ),
            batch_size=5000,
        )
        db["users"].insert_all(
            (
                {"email": f"family{number:06d}@bench.test", "name": f"Family {number}", "role": "family"}
                for number in range(children)
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
    Path(str(path) + ".done").write_text(f"{children} {SEED}\n")
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


def measure(path, children):
    """Time the scorecard from facts and the old way, and the facts' cost per review written."""
    load = os.getloadavg()
    db = connect(str(path))
    migrate(db)  # a database built by an earlier version gains the newer tables and columns
    services = scorecard.services(db)
    policy = disclosure.POLICIES["nhs"]
    now = datetime(2026, 4, 1, tzinfo=timezone.utc)
    raw_repeat = 3 if children <= 5_000 else 1
    print(
        f"load average before timing: {load[0]:.1f} (1 min), {load[1]:.1f} (5 min) on {os.cpu_count()} cores"
    )
    for label in (QUARTER, YEAR):
        period = periods.parse(label)
        facts = timed(lambda period=period: scorecard.compute_services(db, services, period))
        with raw_queries():
            raw = timed(lambda period=period: scorecard.compute_services(db, services, period), raw_repeat)
        assert facts[3] == raw[3], f"{label}: the facts and the old way disagree"
        _report(f"{label} figures", facts, raw)
    # What the feed and dashboard run for a quarter or a year: the year and its four quarters,
    # computed and protected together by the disclosure policy.
    period = periods.parse(QUARTER)
    card = timed(lambda: scorecard.scorecard(db, services, period, policy, now=now))
    with raw_queries():
        raw_card = timed(lambda: scorecard.scorecard(db, services, period, policy, now=now), 1)
    assert card[3] == raw_card[3], "the published scorecards disagree"
    _report(f"{QUARTER} feed (year + 4 quarters, disclosure)", card, raw_card)
    slt = card[3]["services"][0]["measures"]
    print(
        f"{'':>12}slt: {slt['reviews']['value']} reviews, {slt['pct_targets_met']['value']}% targets met, "
        f"mean distance {slt['mean_distance_travelled']['value']}"
    )
    (with_cpu, with_wall), (without_cpu, without_wall) = write_cost(db)
    print(
        f"cost per review written (reviews.save_review, {WRITES} reviews each way, rolled back): "
        f"{with_cpu:.2f} ms CPU ({with_wall:.2f} ms wall) with the facts kept, "
        f"{without_cpu:.2f} ms CPU ({without_wall:.2f} ms wall) without: "
        f"{with_cpu - without_cpu:.2f} ms CPU for the facts"
    )
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory: {rss_mb:.0f} MB resident (process)")
    db.close()


def _report(what, facts, raw):
    first, best, cpu, _ = facts
    raw_first, raw_best, raw_cpu, _ = raw
    print(
        f"{what}: facts first {first:.3f} s, best {best:.3f} s wall / {cpu:.3f} s CPU; "
        f"old way first {raw_first:.3f} s, best {raw_best:.3f} s wall / {raw_cpu:.3f} s CPU; "
        f"old / facts {raw_cpu / cpu:.1f}x CPU"
    )


def write_cost(db):
    """((CPU, wall) ms per review with the facts' triggers, the same without) over WRITES reviews
    each, after WARM_UP untimed ones (so that neither pays for the first reads of the indexes),
    all rolled back."""
    pairs = db.execute(
        """SELECT c.child_id, s.key, c.practitioner_id, c.service_id FROM caseloads c
           JOIN services s ON s.id = c.service_id ORDER BY c.child_id, c.service_id LIMIT ?""",
        [2 * WRITES + WARM_UP],
    ).fetchall()
    star = {sid: stars.load_version(db, stars.current_version_id(db, sid)) for *_, sid in pairs}
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        _write(db, pairs[:WARM_UP], star)
        with_facts = _write(db, pairs[WARM_UP : WARM_UP + WRITES], star)
        # every trigger that queues or keeps a fact (the REVIEW_FACTS and MORE_FACTS migrations)
        triggers = (
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND (name LIKE '%facts%' "
            "OR name LIKE 'review_distance_%')"
        )
        for (name,) in db.execute(triggers).fetchall():
            db.conn.execute(f"DROP TRIGGER {name}")
        without = _write(db, pairs[WARM_UP + WRITES :], star)
    finally:
        db.conn.execute("ROLLBACK")
    return with_facts, without


def _write(db, pairs, star):
    started, cpu = time.perf_counter(), time.process_time()
    for child_id, key, practitioner_id, service_id in pairs:
        domains = [domain["key"] for domain in star[service_id]["domains"]]
        data = {
            "uuid": uuid.uuid4(),
            "child_id": child_id,
            "service": key,
            "date": date(2026, 4, 15),
            "readings": {k: {"score": 5, "not_assessed_reason": None} for k in domains},
            "targets": [],
            "target_outcomes": [],
            "notes": "",
            "internal_notes": "",
            "submit": True,
        }
        reviews.save_review(db, practitioner_id, data)
    return (
        (time.process_time() - cpu) * 1000 / len(pairs),
        (time.perf_counter() - started) * 1000 / len(pairs),
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, nargs="*", default=list(SIZES), help="sizes to run")
    parser.add_argument("--fresh", action="store_true", help="rebuild the databases even if cached")
    parser.add_argument("--measure-only", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure_only:
        measure(database(args.measure_only), args.measure_only)
        return
    for children in args.children:
        prepare(children, args.fresh)
        subprocess.run([sys.executable, __file__, "--measure-only", str(children)], check=True)


def prepare(children, fresh):
    path = database(children)
    print(f"\n== {children:,} children ==")
    if fresh or not Path(str(path) + ".done").exists():
        print(f"Building {path.relative_to(ROOT)} ...", flush=True)
        seconds = build(path, children)
        print(
            f"built in {seconds:.1f} s, "
            f"peak {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
        )
    else:
        print(f"Using the cached {path.relative_to(ROOT)} (--fresh to rebuild)")
    db = connect(str(path))
    counts = sizes(db)
    db.close()
    for name, value in counts.items():
        print(f"  {name:>20}: {value:,}")
    for name, least in MINIMUM.items():
        assert counts[name] >= least * children // 50_000, f"{name}: {counts[name]:,}"
    print(f"  {'file':>20}: {path.stat().st_size / 1e6:.0f} MB")


if __name__ == "__main__":
    main()
