"""How long a review's submission holds SQLite's write lock, and its CPU: POST /api/v1/reviews replayed
in one process, no network, on a fresh copy of bench/load.py's database (as bench/profile_mix.py).

    .venv/bin/python bench/review_lock.py --requests 300

Times every write transaction (outcomes.db.write_transaction, BEGIN IMMEDIATE to COMMIT) in wall and
CPU time, counts the statements run inside it (SQLite's trace: each trigger program that runs counts
as one more), and gives the CPU of each whole request. Not part of pytest.
"""

import argparse
import contextlib
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import load  # noqa: E402
import profile_mix  # noqa: E402


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--count-statements", action="store_true", help="trace (slower) to count them")
    args = parser.parse_args()
    app, copy = profile_mix.app_on_copy()
    people, token = load.fixtures(copy)
    client, csrf = profile_mix.signed_in(app, people[0]["email"])
    rng = random.Random(1)
    person = people[0]
    person["to_review"] = rng.sample(person["children"], len(person["children"]))
    from outcomes import db as dbmodule
    from outcomes import facts

    held, statements = [], []
    plain = dbmodule.write_transaction

    @contextlib.contextmanager
    def timed(db):
        nested = db.conn.in_transaction
        seen = []
        if args.count_statements and not nested:
            db.conn.set_trace_callback(seen.append)
        began, began_cpu = time.perf_counter(), time.process_time()
        try:
            with plain(db):
                yield db
        finally:
            if not nested:
                held.append((time.perf_counter() - began, time.process_time() - began_cpu))
                db.conn.set_trace_callback(None)
                statements.append(len(seen))

    for module in (dbmodule, facts, sys.modules["outcomes.reviews"]):
        module.write_transaction = timed
    for _ in range(30):  # warm: the kept connection, the statements' cache
        profile_mix.one(client, csrf, person, token, rng, [("review", 1)])
    held.clear()
    statements.clear()
    cpu = []
    for _ in range(args.requests):
        began = time.process_time()
        kind, status = profile_mix.one(client, csrf, person, token, rng, [("review", 1)])
        cpu.append(time.process_time() - began)
        assert status == 201, status
    n = len(cpu)
    wall = sorted(w for w, _ in held)
    print(f"{n} reviews: CPU per request mean {1000 * sum(cpu) / n:.2f} ms")
    held_cpu = sum(c for _, c in held) / len(held)
    print(
        f"  write lock held: {len(held) / n:.1f} transactions a review, wall mean"
        f" {1000 * sum(wall) / len(wall):.2f} ms, median {1000 * wall[len(wall) // 2]:.2f} ms;"
        f" CPU mean {1000 * held_cpu:.2f} ms"
    )
    if args.count_statements:
        print(
            f"  statements inside it (trigger programs counted): mean {sum(statements) / len(statements):.1f}"
        )


if __name__ == "__main__":
    main()
