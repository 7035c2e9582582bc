"""Where a worker's time goes: the load mix replayed in one process under cProfile, no network.

    .venv/bin/python bench/profile_mix.py                  # 2,000 requests of bench/load.py's mix
    .venv/bin/python bench/profile_mix.py --requests 500 --sort tottime --top 40

Works on a fresh copy of bench/load.py's database (run that once first to build it), signs in as
the first practitioner through the real form with Flask's test client, then replays the mix (60%
star pages, 20% caseload, 10% review submissions, 10% feed) through the whole WSGI stack
(WhiteNoise, compression, security headers) exactly as gunicorn calls it. Prints the mean time per
request of each kind and the profile's top functions. Not part of pytest.
"""

import argparse
import cProfile
import gzip
import io
import json
import os
import pstats
import random
import re
import sys
import time
import uuid
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import load  # noqa: E402


def app_on_copy():
    """The app over a fresh copy of the load bench's database (as bench/load.py serves it).
    BENCH_COPY names the copy, so that runs side by side (valgrind counts) do not share one."""
    copy = load.fresh_copy(os.environ.get("BENCH_COPY", "profile-run.sqlite"))
    os.environ.update(
        OUTCOMES_DATABASE=str(copy),
        OUTCOMES_SECRET_KEY="load-bench-only",
        OUTCOMES_SESSION_COOKIE_SECURE="false",
    )
    from outcomes import create_app

    return create_app(), copy


def body(response):
    data = response.get_data()
    return gzip.decompress(data) if response.headers.get("Content-Encoding") == "gzip" else data


def signed_in(app, email):
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = load.USER_AGENT
    client.environ_base["HTTP_ACCEPT_ENCODING"] = "gzip"
    page = body(client.get("/login"))
    token = re.search(rb'name="csrf_token" value="([^"]+)"', page).group(1).decode()
    response = client.post("/login", data={"csrf_token": token, "email": email, "password": load.PASSWORD})
    assert response.status_code == 302, response.status_code
    page = body(client.get("/caseload"))
    csrf = re.search(rb'name="csrf_token" value="([^"]+)"', page).group(1).decode()
    return client, csrf


def one(client, csrf, person, token, rng, mix=load.MIX):
    kind = rng.choices([k for k, _ in mix], [w for _, w in mix])[0]
    if kind == "review" and not person["to_review"]:
        kind = "star"
    if kind == "star":
        status = client.get(f"/children/{rng.choice(person['children'])}").status_code
    elif kind == "caseload":
        status = client.get("/caseload").status_code
    elif kind == "review":
        version = person["scale"]
        body = {
            "uuid": str(uuid.UUID(int=rng.getrandbits(128))),
            "child_id": person["to_review"].pop(),  # one review a day per child and service
            "service": person["key"],
            "date": date.today().isoformat(),
            "readings": {
                key: rng.randint(version.get("scale_min", 1), version.get("scale_max", 10))
                for key in person["domains"]
            },
            "submit": True,
        }
        status = client.post(
            "/api/v1/reviews",
            data=json.dumps(body),
            headers={"Content-Type": "application/json", "X-CSRFToken": csrf},
        ).status_code
    else:
        status = client.get(
            f"/api/v1/scorecard?period={load.FEED_PERIOD.replace(' ', '+')}",
            headers={"Authorization": f"Bearer {token}"},
        ).status_code
    return kind, status


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--sort", default="cumulative", help="pstats sort key (cumulative, tottime)")
    parser.add_argument("--top", type=int, default=60)
    parser.add_argument("--only", nargs="+", help="profile only these kinds (star caseload review feed)")
    parser.add_argument("--dump", help="also save the raw profile here (for pstats or snakeviz)")
    parser.add_argument("--no-profile", action="store_true", help="only the mean times per kind")
    args = parser.parse_args()
    if not Path(str(load.DATABASE) + ".token").exists():
        raise SystemExit("run bench/load.py once first: it builds bench/load.sqlite")
    app, copy = app_on_copy()
    people, token = load.fixtures(copy)
    client, csrf = signed_in(app, people[0]["email"])
    rng = random.Random(1)
    people[0]["to_review"] = rng.sample(people[0]["children"], len(people[0]["children"]))
    for _ in range(50):  # warm: the kept connection, the templates, the feed cache
        one(client, csrf, people[0], token, rng)
    mix = [(k, w) for k, w in load.MIX if not args.only or k in args.only]
    times, cpu, statuses = {}, {}, {}
    profiler = cProfile.Profile()
    started = time.perf_counter()
    for _ in range(args.requests):
        began, began_cpu = time.perf_counter(), time.process_time()
        if not args.no_profile:
            profiler.enable()
        kind, status = one(client, csrf, people[0], token, rng, mix)
        if not args.no_profile:
            profiler.disable()
        times.setdefault(kind, []).append(time.perf_counter() - began)
        cpu.setdefault(kind, []).append(time.process_time() - began_cpu)
        statuses[(kind, status)] = statuses.get((kind, status), 0) + 1
    total = time.perf_counter() - started
    print(
        f"{args.requests} requests in {total:.1f} s: {1000 * total / args.requests:.2f} ms each"
        f"{'' if args.no_profile else ' (profiled)'}; statuses {statuses}"
    )
    for kind, seen in sorted(times.items()):
        seen.sort()
        print(
            f"  {kind:<9} n={len(seen):5d}  mean {1000 * sum(seen) / len(seen):6.2f} ms"
            f"  median {1000 * seen[len(seen) // 2]:6.2f} ms"
            f"  CPU mean {1000 * sum(cpu[kind]) / len(seen):6.2f} ms"
        )
    total_cpu = sum(sum(c) for c in cpu.values())
    print(f"  all       CPU mean {1000 * total_cpu / args.requests:6.2f} ms a request (the mix's weights)")
    if args.dump and not args.no_profile:
        profiler.dump_stats(args.dump)
    if not args.no_profile:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(args.top)
        print(out.getvalue())


if __name__ == "__main__":
    main()
