"""Time a region pulling a year of feeds (four quarters) from two member areas.

Two member instances are started on 127.0.0.1 as real processes (`flask run`, each with its own
database of generated demo data and a token for the region, tests/region_members.py), and a
region database pulls from both with outcomes.region.pull, exactly as `flask --app outcomes
pull-feeds` does. The first pull finds each member's feed cache cold; the next ones are the
cached case (nothing changed in the areas since), as on a nightly re-pull.

    .venv/bin/python bench/pull_feeds.py [--runs 3]       # demo-sized areas (about 40 children)
    .venv/bin/python bench/pull_feeds.py --children 5000  # two large areas: bench/scorecard.py's
                                                          # history at 5,000 children, year 2025-26
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import scorecard as scorecard_bench  # noqa: E402  (bench/scorecard.py)
from region_members import Member  # noqa: E402

from outcomes import create_app, periods, region  # noqa: E402
from outcomes.db import connect  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--children", type=int, default=0, help="build areas of this many children")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        source = None
        if args.children:
            source = os.path.join(directory, "area.sqlite")
            scorecard_bench.CHILDREN = args.children
            print(f"Built an area of {args.children:,} children in {scorecard_bench.build(source):.0f} s")
        members = [
            Member(directory, "north", "North Borough", "nhs", source=source),
            Member(directory, "south", "South Shire", "threshold5", source=source),
        ]
        try:
            app = create_app(
                {
                    "DATABASE": os.path.join(directory, "region.sqlite"),
                    "SECRET_KEY": "bench",
                    "REGION_AREAS": [m.area() for m in members],
                }
            )
            db = connect(app.config["DATABASE"])
            areas = region.areas(app.config)
            # The built history ends with 2025-26; demo data runs up to today.
            quarters = (
                [periods.quarter(2025, n) for n in (1, 2, 3, 4)]
                if source
                else region.recent_quarters(periods.uk_today(), 4)
            )
            print(
                f"Pulling {len(quarters)} quarters ({quarters[0].label} to {quarters[-1].label}) from 2 areas"
            )
            for run in range(1, args.runs + 1):
                wall, cpu = time.perf_counter(), time.process_time()
                results = region.pull(db, areas, quarters, timeout=30)
                wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                failed = [key for key, error in results.items() if error]
                assert not failed, results
                rows = db["region_figures"].count
                state = "cold member caches" if run == 1 else "warm member caches"
                print(
                    f"run {run} ({state}): {wall:.2f} s wall, {cpu:.2f} s region CPU, {rows} figures stored"
                )
            print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
            db.close()
        finally:
            for member in members:
                member.stop()


if __name__ == "__main__":
    main()
