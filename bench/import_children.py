"""Time the children import: 10,000 rows into a fresh database, then the same file again.

Target: under 10 seconds for 10,000 rows. Prints the figures; run with `make bench`
or `.venv/bin/python bench/import_children.py [rows]`.
"""

import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from outcomes import importer, nhs, stars, users  # noqa: E402
from outcomes.db import connect, migrate  # noqa: E402

TARGET_SECONDS = 10.0


def nhs_numbers(count, rng):
    """Distinct valid numbers in the 999 range the NHS keeps for testing."""
    seen = set()
    while len(seen) < count:
        first_nine = "999" + f"{rng.randrange(10**6):06d}"
        digit = nhs.check_digit(first_nine)
        if digit is not None:
            seen.add(first_nine + str(digit))
    return sorted(seen)


def make_csv(rows, rng):
    services = ["slt", "physio", "ot", "social"]
    lines = [",".join(importer.COLUMNS)]
    for number, nhs_number in enumerate(nhs_numbers(rows, rng)):
        service = services[number % 4]
        born = f"{rng.randint(2008, 2023)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        lines.append(
            f"LOC{number:06d},{nhs_number},Child{number},Family{number % 997},{born},{service},"
            f"{service}@bench.test,2025-{rng.randint(1, 12):02d}-01"
        )
    return "\n".join(lines) + "\n"


def main(rows=10_000):
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as folder:
        db = connect(str(Path(folder) / "bench.sqlite"))
        migrate(db)
        service_ids = stars.create_default_services(db)
        for key, service_id in service_ids.items():
            user = users.create_user(db, f"{key}@bench.test", key, "practitioner", password_hash="x")
            db["memberships"].insert({"user_id": user, "service_id": service_id, "role": "practitioner"})
        admin = users.create_user(db, "admin@bench.test", "Admin", "admin", password_hash="x")
        text = make_csv(rows, rng)

        started = time.perf_counter()
        plan = importer.import_csv(db, admin, text)
        first = time.perf_counter() - started
        assert plan.clean and plan.counts["children_created"] == rows, plan.problems[:5]

        started = time.perf_counter()
        again = importer.import_csv(db, admin, text)
        second = time.perf_counter() - started
        assert again.counts["unchanged"] == rows

        started = time.perf_counter()
        importer.check(db, text)
        check_only = time.perf_counter() - started
        db.close()
    verdict = "OK" if first < TARGET_SECONDS else "TOO SLOW"
    print(
        f"import of {rows} rows into an empty database: {first:.2f} s "
        f"({verdict}; target < {TARGET_SECONDS:.0f} s)"
    )
    print(f"re-import of the same file (nothing changes): {second:.2f} s")
    print(f"check only (the upload preview): {check_only:.2f} s")
    return 0 if first < TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000))
