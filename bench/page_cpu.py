"""CPU time of single pages through the app's WSGI callable, as gunicorn calls it (no test client).

    .venv/bin/python bench/page_cpu.py                       # this checkout's code
    .venv/bin/python bench/page_cpu.py --root /tmp/before    # another checkout's outcomes/ and templates/

Works on a fresh copy of bench/load.py's database (build it once with load.py), signed in as its
first practitioner. Times the star page (a random child of her caseload), her caseload and the
scorecard feed (with the bench token), in CPU time (time.process_time, so other processes on a
busy machine count less), and prints each page's best and median of five rounds in ms per request.
Comparing two versions: run both, interleaved, more than once. Not part of pytest.

On a busy machine CPU time still moves by a third between runs; instructions do not. `--count N
--only PAGE` makes N requests of one page after the warm-up, untimed, for counting under valgrind:

    valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \
        .venv/bin/python bench/page_cpu.py --only star --count 60      # and again with --count 0

(the difference of the two "I refs" totals ÷ 60 is a page's instructions; PYTHONHASHSEED=0 for both).
"""

import argparse
import gzip
import io
import random
import sys
import time

import load
import profile_mix  # (both put this checkout and bench/ on the path)


def environ(path, cookie, headers=()):
    env = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path.split("?")[0],
        "QUERY_STRING": path.partition("?")[2],
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.0",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
        "HTTP_COOKIE": cookie,
        "HTTP_ACCEPT_ENCODING": "gzip",
        "HTTP_USER_AGENT": load.USER_AGENT,
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_LENGTH": "0",
    }
    env.update(headers)
    return env


def call(app, env):
    status = []
    chunks = app(env, lambda s, headers, exc=None: status.append(s))
    data = b"".join(chunks)
    getattr(chunks, "close", lambda: None)()
    return status[0], data


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", help="a checkout whose outcomes/ to time (default: this one)")
    parser.add_argument("--requests", type=int, default=300, help="requests per round (5 rounds)")
    parser.add_argument("--only", choices=("star", "caseload", "feed"), help="time this page only")
    parser.add_argument("--count", type=int, help="make this many requests untimed (for valgrind)")
    args = parser.parse_args()
    if args.root:  # load.py imported this checkout's outcomes: forget it, so the app is the root's
        for name in [name for name in sys.modules if name.split(".")[0] == "outcomes"]:
            del sys.modules[name]
        sys.path.insert(0, args.root)
    app, copy = profile_mix.app_on_copy()
    print("code:", sys.modules["outcomes"].__file__)
    people, token = load.fixtures(copy)
    client, _ = profile_mix.signed_in(app, people[0]["email"])
    cookie = "; ".join(f"{c.key}={c.value}" for c in client._cookies.values())
    children, rng = people[0]["children"], random.Random(2)
    feed = f"/api/v1/scorecard?period={load.FEED_PERIOD.replace(' ', '+')}"
    pages = {
        "star": lambda: environ(f"/children/{rng.choice(children)}", cookie),
        "caseload": lambda: environ("/caseload", cookie),
        "feed": lambda: environ(feed, "", [("HTTP_AUTHORIZATION", f"Bearer {token}")]),
    }
    for name, make in pages.items():
        if args.only and name != args.only:
            continue
        if args.count is not None:
            for _ in range(100):
                call(app, make())
            rng.seed(3)
            for _ in range(args.count):
                call(app, make())
            continue
        status, data = call(app, make())
        print(f"{name:9} {status}, {len(gzip.decompress(data)):,} bytes", end="; ")
        for _ in range(100):  # warm: caches filled, code paths taken once
            call(app, make())
        rounds = []
        for _ in range(5):
            envs = [make() for _ in range(args.requests)]
            start = time.process_time()
            for env in envs:
                call(app, env)
            rounds.append((time.process_time() - start) / args.requests * 1000)
        print(f"CPU ms/request: best {min(rounds):.2f}, median {sorted(rounds)[2]:.2f}")


if __name__ == "__main__":
    main()
