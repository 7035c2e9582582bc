"""Load benchmark: a large local area's mix of requests against gunicorn, beside the server's ceiling.

    .venv/bin/python bench/load.py                 # builds bench/load.sqlite once, then drives the mix
    .venv/bin/python bench/load.py --fresh         # rebuild the database first
    .venv/bin/python bench/load.py --seconds 20    # a shorter run

The database is built through the project's own data layer (bench/scorecard.py's build with 5,000
children: each seen by two of the four services, so each service's practitioner has 2,500 children
on her caseload). Then gunicorn (2 sync workers) is started on 127.0.0.1 and 32 clients (threads in
4 processes, each request on its own connection, as sync workers close them) drive, for 60 s: 60%
child star pages, 20% caseload pages, 10% review submissions (POST /api/v1/reviews) and 10%
scorecard feed requests, counted from the moment every client has signed in (their 32 password
checks are not the mix) and all of them start together. In the same run, on the same server, the
same clients then fetch a static file and a trivial route (the signed-out "/" redirect) for 15 s
each: the ceiling. Prints
requests/s, p50/p95/p99, errors and the ratio to the ceiling, and the CPU each request took in the
workers and in the clients. Loopback only, bounded in time. Not part of pytest; figures in bench/README.md.
"""

import argparse
import gzip
import http.client
import json
import multiprocessing
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import scorecard as scorecard_bench  # noqa: E402

from outcomes import stars, tokens  # noqa: E402
from outcomes.db import connect, migrate  # noqa: E402

DATABASE = ROOT / "bench" / "load.sqlite"
CHILDREN = 5_000
CONNECTIONS = 32
MIX = (("star", 60), ("caseload", 20), ("review", 10), ("feed", 10))
HOST = "127.0.0.1"
PASSWORD = "bench-only"
FEED_PERIOD = "2025-26 Q3"
# How long the client processes may take to sign their clients in before all of them start.
SIGN_IN_SECONDS = 120
# Sign-in binds the session to the browser's user agent: a tool reusing a cookie sends this one too.
USER_AGENT = "outcomes-bench"


def build(path):
    """bench/scorecard.py's region built at 5,000 children, plus a feed token (printed to a file)."""
    scorecard_bench.CHILDREN = CHILDREN
    seconds = scorecard_bench.build(path)
    db = connect(str(path))
    migrate(db)
    token = tokens.create_token(db, "load bench")
    db.close()
    Path(str(path) + ".token").write_text(token)
    return seconds


def fresh_copy(name):
    """A copy of the bench's database, named `name`, beside it: nothing of an earlier run's copy is
    left (its WAL, or read audit entries that would be copied into this one)."""
    copy = DATABASE.with_name(name)
    for suffix in ("-wal", "-shm"):
        Path(str(copy) + suffix).unlink(missing_ok=True)
    shutil.rmtree(str(copy) + "-audit-spool", ignore_errors=True)
    shutil.copyfile(DATABASE, copy)
    return copy


def fixtures(path):
    """What the clients need: each practitioner's children and her service's domain keys, a token.
    (No migration here: the server under test applies its own on start.)"""
    db = connect(str(path))
    people = []
    for row in db.query(
        """SELECT u.id, u.email, s.id AS service_id, s.key FROM users u
        JOIN memberships m ON m.user_id = u.id AND m.role = 'practitioner'
        JOIN services s ON s.id = m.service_id ORDER BY u.id"""
    ):
        version = stars.load_version(db, stars.current_version_id(db, row["service_id"]))
        child_ids = [
            r[0]
            for r in db.execute(
                "SELECT child_id FROM caseloads WHERE service_id = ? AND discharged_on IS NULL",
                [row["service_id"]],
            )
        ]
        people.append(
            dict(row, domains=[d["key"] for d in version["domains"]], children=child_ids, scale=version)
        )
    db.close()
    return people, Path(str(DATABASE) + ".token").read_text().strip()


def free_port():
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def start_server(path, port, workers, root=ROOT):
    env = dict(
        os.environ,
        OUTCOMES_DATABASE=str(path),
        OUTCOMES_SECRET_KEY="load-bench-only",
        OUTCOMES_SESSION_COOKIE_SECURE="false",
    )
    gunicorn = Path(sys.executable).with_name("gunicorn")
    process = subprocess.Popen(
        [str(gunicorn), "-w", str(workers), "-b", f"{HOST}:{port}", "--log-level", "warning", "wsgi:app"],
        cwd=root,
        env=env,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((HOST, port), timeout=1):
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("gunicorn did not start within 60 s")


class Client:
    """One client with its own cookies (a signed-in practitioner or nobody), a connection a request.

    gunicorn's sync workers close every connection after its response, so each request is a new
    connection whatever the client asks. The request is written and the response read on a plain
    socket (HTTP/1.0: the server closes, never chunks): http.client cost about 0.8 ms of CPU a request,
    taken from the same two cores as the server under test; this costs a fraction of that.
    """

    def __init__(self, port):
        self.port = port
        self.cookies = {}
        self.csrf = None

    def request(self, method, url, body=None, headers=None):
        headers = dict(headers or {}, Host=f"{HOST}:{self.port}", **{"Accept-Encoding": "gzip"})
        headers.setdefault("User-Agent", USER_AGENT)
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        payload = body.encode() if isinstance(body, str) else (body or b"")
        if payload:
            headers["Content-Length"] = str(len(payload))
        lines = [f"{method} {url} HTTP/1.0", *(f"{k}: {v}" for k, v in headers.items()), "", ""]
        with socket.create_connection((HOST, self.port), timeout=30) as sock:
            sock.sendall("\r\n".join(lines).encode() + payload)
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        head, _, data = b"".join(chunks).partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        if not status_line.startswith("HTTP/"):
            raise http.client.BadStatusLine(status_line)
        gzipped = False
        for line in header_lines:
            name, _, value = line.partition(":")
            name, value = name.lower(), value.strip()
            if name == "set-cookie":
                cookie, _, rest = value.partition("=")
                self.cookies[cookie] = rest.split(";", 1)[0]
            elif name == "content-encoding":
                gzipped = value == "gzip"
        self.wire_bytes = len(data)
        self.gzipped = gzipped
        return int(status_line.split()[1]), data

    def page(self, method, url, body=None, headers=None):
        """request() with the body unzipped, for the few responses a client reads."""
        status, data = self.request(method, url, body, headers)
        return status, gzip.decompress(data) if self.gzipped else data

    def login(self, email, password=PASSWORD):
        status, page = self.page("GET", "/login")
        self.csrf = re.search(rb'name="csrf_token" value="([^"]+)"', page).group(1).decode()
        form = f"csrf_token={self.csrf}&email={email}&password={password}".replace("@", "%40")
        status, _ = self.request(
            "POST", "/login", form, {"Content-Type": "application/x-www-form-urlencoded"}
        )
        if status != 302:
            raise SystemExit(f"login as {email} failed: {status}")
        # Signing in starts a new session with a new CSRF token: read it from a signed-in page.
        status, page = self.page("GET", "/caseload")
        found = re.search(rb'name="csrf_token" value="([^"]+)"', page)
        self.csrf = found.group(1).decode() if found else self.csrf


def mix_request(client, person, token, rng, to_review):
    """One request of the mix; returns (kind, status). `to_review`: this connection's own children not
    yet reviewed today (a second review of a child by a service on one day is refused, rightly, 409)."""
    kind = rng.choices([k for k, _ in MIX], [w for _, w in MIX])[0]
    if kind == "review" and not to_review:
        kind = "star"  # every one of her share reviewed today (a run far longer than 60 s)
    if kind == "star":
        status, _ = client.request("GET", f"/children/{rng.choice(person['children'])}")
    elif kind == "caseload":
        status, _ = client.request("GET", "/caseload")
    elif kind == "review":
        version = person["scale"]
        low, high = version.get("scale_min", 1), version.get("scale_max", 10)
        body = {
            "uuid": str(uuid.UUID(int=rng.getrandbits(128))),
            "child_id": to_review.pop(),
            "service": person["key"],
            "date": date.today().isoformat(),
            "readings": {key: rng.randint(low, high) for key in person["domains"]},
            "submit": True,
        }
        status, _ = client.request(
            "POST",
            "/api/v1/reviews",
            json.dumps(body),
            {"Content-Type": "application/json", "X-CSRFToken": client.csrf},
        )
        return kind, status
    else:
        status, _ = client.request(
            "GET",
            f"/api/v1/scorecard?period={FEED_PERIOD.replace(' ', '+')}",
            None,
            {"Authorization": f"Bearer {token}"},
        )
    return kind, status


OK = {"star": (200,), "caseload": (200,), "review": (201,), "feed": (200, 304), "get": (200, 302)}


def drive(port, people, token, connections, processes, seconds, job, started=lambda: None):
    """`connections` clients, spread over `processes` client processes (one Python process cannot
    make requests fast enough to find the server's static ceiling), each in a loop for `seconds`
    doing `job` ("mix", or a URL to GET signed out). Returns the summary.

    Each process signs its clients in first (32 password checks, a few seconds of the workers' CPU,
    are not the mix); then all of them start at once, and `started` is called at that moment."""
    shares = [list(range(p, connections, processes)) for p in range(processes)]
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(processes + 1)
    with context.Pool(processes, initializer=_share_barrier, initargs=(barrier,)) as pool:
        pending = pool.starmap_async(
            _client_process, [(port, people, token, share, seconds, job, connections) for share in shares]
        )
        try:
            barrier.wait(timeout=SIGN_IN_SECONDS)
        except threading.BrokenBarrierError:
            pending.get(timeout=5)  # a client process's own error, when one failed
            raise
        started()
        parts = pending.get()
    latencies, errors, kinds, elapsed, client_cpu = [], {}, {}, 0, 0
    for part_latencies, part_errors, part_kinds, part_elapsed, part_cpu in parts:
        client_cpu += part_cpu
        latencies.extend(part_latencies)
        for failure, n in part_errors.items():
            errors[failure] = errors.get(failure, 0) + n
        elapsed = max(elapsed, part_elapsed)
        for kind, n in part_kinds.items():
            kinds[kind] = kinds.get(kind, 0) + n
    return dict(
        summary(latencies, errors, elapsed, kinds), client_cpu_ms=1000 * client_cpu / max(len(latencies), 1)
    )


def workers_cpu(server):
    """CPU seconds (user + system) used so far by the server's worker processes, from /proc."""
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    ticks = 0
    for pid in children:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def machine_busy():
    """(busy, total) CPU ticks of the whole machine so far, from /proc/stat: busy is all but idle
    and iowait, so a phase's share tells whether the cores were full (the clients share them)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(fields) - fields[3] - fields[4], sum(fields)


def measured(server, work):
    """Run `work(started)`, returning its summary with the workers' CPU per request and the machine's
    load, both counted from when `work` calls `started` (every client signed in) to its end."""
    before = {}

    def started():
        before.update(cpu=workers_cpu(server), machine=machine_busy())

    result = work(started)
    cpu = workers_cpu(server) - before["cpu"]
    (busy, total), (busy_after, total_after) = before["machine"], machine_busy()
    result["cpu_ms"] = 1000 * cpu / max(result["requests"], 1)
    result["workers_busy"] = cpu / result["elapsed"]
    result["machine_busy"] = (busy_after - busy) / max(total_after - total, 1)
    return result


_start = None  # the barrier every client process waits at once its clients are signed in


def _share_barrier(barrier):
    global _start
    _start = barrier


def _client_process(port, people, token, indices, seconds, job, connections):
    clients = {}
    for index in indices:
        clients[index] = Client(port)
        if job in ("mix", "warm"):
            clients[index].login(people[index % len(people)]["email"])
    latencies, errors, kinds = [], {}, {}
    lock = threading.Lock()
    _start.wait(timeout=SIGN_IN_SECONDS)  # every process's clients signed in: all start together
    stop = time.monotonic() + seconds

    def one(index, client, rng, to_review):
        if job in ("mix", "warm"):
            # The warm-up writes no reviews, so that the counted mix has all of her share to review.
            return mix_request(
                client, people[index % len(people)], token, rng, to_review if job == "mix" else []
            )
        status, _ = client.request("GET", job)
        return "get", status

    def loop(index, client):
        rng = random.Random(index)
        person = people[index % len(people)]
        # The connections signed in as one practitioner share her children out between them.
        slot, slots = index // len(people), -(-connections // len(people))
        to_review = person["children"][slot::slots]
        rng.shuffle(to_review)
        mine, failed, mine_kinds = [], {}, {}
        while time.monotonic() < stop:
            started = time.perf_counter()
            try:
                kind, status = one(index, client, rng, to_review)
            except (http.client.HTTPException, OSError) as error:
                kind, status = "error", type(error).__name__
            mine.append((time.perf_counter() - started, kind))
            mine_kinds[kind] = mine_kinds.get(kind, 0) + 1
            if status not in OK.get(kind, ()):
                failed[f"{kind} {status}"] = failed.get(f"{kind} {status}", 0) + 1
        with lock:
            latencies.extend(mine)
            for failure, n in failed.items():
                errors[failure] = errors.get(failure, 0) + n
            for kind, n in mine_kinds.items():
                kinds[kind] = kinds.get(kind, 0) + n

    started, cpu = time.monotonic(), time.process_time()
    threads = [threading.Thread(target=loop, args=(i, c)) for i, c in clients.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors, kinds, time.monotonic() - started, time.process_time() - cpu


def percentile(seconds, p):
    """The p-th percentile of sorted latencies, in ms."""
    return seconds[min(len(seconds) - 1, int(p / 100 * len(seconds)))] * 1000 if seconds else 0


def summary(latencies, errors, elapsed, kinds):
    """`latencies`: (seconds, kind) per request."""
    every = sorted(seconds for seconds, _ in latencies)
    by_kind = {}
    for seconds, kind in sorted(latencies):
        by_kind.setdefault(kind, []).append(seconds)
    return {
        "requests": len(every),
        "elapsed": elapsed,
        "rps": len(every) / elapsed,
        "p50": percentile(every, 50),
        "p95": percentile(every, 95),
        "p99": percentile(every, 99),
        "errors": sum(errors.values()),
        "error_kinds": errors,
        "kinds": kinds,
        # Each kind's p50/p99: which requests make the tail.
        "by_kind": {
            kind: (percentile(part, 50), percentile(part, 99)) for kind, part in sorted(by_kind.items())
        },
    }


def line(label, result, ceiling=None):
    ratio = f"  {100 * result['rps'] / ceiling:.1f}% of static" if ceiling else ""
    if result["errors"]:
        ratio += f"  ({result['error_kinds']})"
    return (
        f"{label:<22} {result['rps']:8.1f} req/s  p50 {result['p50']:6.1f} ms  p95 {result['p95']:6.1f} ms"
        f"  p99 {result['p99']:6.1f} ms  errors {result['errors']}{ratio}"
    )


def cpu_line(result, workers):
    return (
        f"{'':<22} CPU a request: workers {result['cpu_ms']:.2f}, clients {result['client_cpu_ms']:.2f} ms;"
        f" workers busy {100 * result['workers_busy'] / workers:.0f}% of their time, machine busy "
        f"{100 * result['machine_busy']:.0f}%"
    )


def static_url(port):
    """The stylesheet's URL as the pages link it (a fingerprinted name once the app gives one)."""
    status, page = Client(port).page("GET", "/login")
    return re.search(rb'href="(/static/css/app[^"]*\.css)"', page).group(1).decode()


def sizes(port, person, token):
    """Bytes on the wire (gzip accepted) of one caseload page, one star page and the feed."""
    client = Client(port)
    client.login(person["email"])
    out = {}
    for label, url, headers in (
        ("caseload page", "/caseload", {}),
        ("star page", f"/children/{person['children'][0]}", {}),
        ("offline bundle", "/api/v1/offline/bundle", {}),
        ("feed", f"/api/v1/scorecard?period={FEED_PERIOD.replace(' ', '+')}", {}),
    ):
        if label == "feed":
            client.cookies, headers = {}, {"Authorization": f"Bearer {token}"}
        started = time.perf_counter()
        status, data = client.request("GET", url, None, headers)
        out[label] = (status, client.wire_bytes, (time.perf_counter() - started) * 1000)
    return out


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--fresh", action="store_true", help="rebuild bench/load.sqlite first")
    parser.add_argument("--seconds", type=float, default=60, help="length of the mix (default 60)")
    parser.add_argument("--ceiling-seconds", type=float, default=15, help="length of each ceiling run")
    parser.add_argument(
        "--warm-seconds",
        type=float,
        default=5,
        help="the mix (no writes) run first, not counted: each worker's first scorecard and templates",
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=CONNECTIONS)
    parser.add_argument("--client-processes", type=int, default=4)
    parser.add_argument("--root", default=str(ROOT), help="checkout of the app to serve (for a before/after)")
    args = parser.parse_args()
    if args.fresh or not Path(str(DATABASE) + ".token").exists():
        print(f"building {DATABASE.name} ({CHILDREN:,} children) ...", flush=True)
        print(f"built in {build(DATABASE):.0f} s", flush=True)
    # Each run works on a fresh copy, so that the reviews one run writes do not tilt the next.
    run_copy = fresh_copy("load-run.sqlite")
    people, token = fixtures(run_copy)
    port = free_port()
    server = start_server(run_copy, port, args.workers, args.root)

    def run(seconds, job, started=lambda: None):
        return drive(port, people, token, args.connections, args.client_processes, seconds, job, started)

    try:
        print(f"load avg before: {os.getloadavg()[0]:.1f}", flush=True)
        warm = run(args.warm_seconds, "warm") if args.warm_seconds else None
        mix = measured(server, lambda started: run(args.seconds, "mix", started))
        url = static_url(port)
        static = dict(measured(server, lambda started: run(args.ceiling_seconds, url, started)), url=url)
        trivial = measured(server, lambda started: run(args.ceiling_seconds, "/", started))
        wire = sizes(port, people[0], token)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    print(
        f"load avg after: {os.getloadavg()[0]:.1f}; {args.workers} sync workers, "
        f"{args.connections} connections over {args.client_processes} client processes"
    )
    # Server and clients run on this interpreter; how it was built moves every figure (bench/README).
    print(f"Python {sys.version.split()[0]} at {Path(sys.executable).resolve()}")
    if warm:
        print(line(f"warm-up ({args.warm_seconds:.0f} s, not counted)", warm))
    print(line("mix", mix, static["rps"]), f"  ({mix['kinds']})")
    print(
        f"{'':<22} p50/p99 by kind: "
        + ", ".join(f"{kind} {p50:.0f}/{p99:.0f} ms" for kind, (p50, p99) in mix["by_kind"].items())
    )
    # Workers busy less than their cores' time while requests queue means they wait: for the cores
    # (the machine full: the clients share them) or for something else (locks, I/O).
    print(cpu_line(mix, args.workers))
    print(line(f"static file {static['url']}", static))
    print(cpu_line(static, args.workers))
    print(line("trivial route", trivial))
    print(cpu_line(trivial, args.workers))
    for label, (status, size, ms) in wire.items():
        print(f"{label:<22} HTTP {status}  {size:,} bytes on the wire  {ms:.0f} ms")


if __name__ == "__main__":
    main()
