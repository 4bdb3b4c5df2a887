"""Benchmark the coordinator's pages (issue #10) on the demo data plus synthetic volume. Not a test: it prints figures.

    .venv/bin/python tests/probes/progress_bench.py                          # 10x, a fresh PostgreSQL bench DB
    .venv/bin/python tests/probes/progress_bench.py --scale 1 --runs 20      # the demo data alone
    .venv/bin/python tests/probes/progress_bench.py --reuse --concurrency 50 --json

1. Build: empties the database (drop_all / create_all), loads the demo seed (what `flask seed` loads) and adds
   (scale - 1) copies of its volume (tests/probes/volume.py: about 600 issues, 700 experts, 5,000 visits at 10x, with
   requests, engagements, reports, cap ledger and expert loads). `--reuse` skips this when the database already
   holds the volume of that scale. Without --database-url the database is postgresql://…/bench_progress_x<scale>,
   created when missing (a sqlite:/// URL works too).
2. Statements: in-process, the Flask test client logs in as each role and counts the SQL statements of one request
   per page (an SQLAlchemy before_cursor_execute listener), after one warm-up request (which builds the matcher
   index), and the CPU time the app spent on it ("cpu ms": Python only, no database time; less sensitive to a
   loaded machine than wall time).
3. Wall time: the app served by gunicorn (2 workers, the production entry point wsgi:app) on the same database;
   each role logs in through the real login form (CSRF token included) or, for /api/ paths, gets a bearer token;
   each page is requested --runs times after warm-up (both workers), p50 / p95 / max of the wall time.
   `--concurrency K` then sends K simultaneous requests for the coordinator overview.

A page whose route does not exist (yet) is reported as "missing (404)". Timings depend on the machine's load.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import requests
import volume
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url
from werkzeug.exceptions import MethodNotAllowed, NotFound

from web import create_app
from web.config import TestConfig
from web.dates import fiscal_year_of, today_jst
from web.extensions import db
from web.models import Base
from web.services import seeding
from web.transaction import transaction

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432"
SEED = ROOT / "seed_data"

#: One demo account per role: the Hokkaido coordinator (the prefecture with most issues), the Iwamizawa officer,
#: the first demo expert (Hokkaido, with engagements), the administrator.
ACCOUNTS = {
    "coordinator": "coord.hokkaido@demo.example.jp",
    "officer": "iwamizawa@demo.example.jp",
    "expert": "ex001@experts.demo.example.jp",
    "admin": "admin@demo.example.jp",
}
PREFECTURE, TOWN = "01", "012106"


@dataclass(frozen=True)
class Page:
    path: str
    roles: tuple[str, ...]
    needs: str = ""  # the endpoint's owner, for the "missing" note


def pages() -> list[Page]:
    fy = fiscal_year_of(today_jst())
    scope = f"prefecture_code={PREFECTURE}&fiscal_year={fy}"
    return [
        Page("/coordinator/dashboard", ("coordinator",), "A"),
        Page(f"/api/v1/dashboard?{scope}", ("coordinator", "officer", "expert"), "A"),
        Page("/coordinator/", ("coordinator",)),
        Page("/coordinator/plan", ("coordinator",)),
        Page("/coordinator/joint", ("coordinator",)),
        Page("/", ("coordinator", "officer", "expert", "admin")),
        Page("/coordinator/map", ("coordinator",), "D"),
        Page(f"/municipalities/{TOWN}", ("coordinator", "officer"), "D"),
        Page("/coordinator/lists/visits", ("coordinator",), "B"),
        Page("/api/v1/exports/visits.csv", ("coordinator", "officer", "expert"), "B"),
    ]


@dataclass
class Result:
    page: str
    role: str
    status: str = ""          # "200", "missing (404)", "403", ...
    statements: int | None = None
    cpu_ms: float | None = None  # in-process, the app's own CPU time for the counted request (no database time)
    bytes: int | None = None
    p50_ms: float | None = None
    p95_ms: float | None = None
    max_ms: float | None = None
    runs: int = 0
    http_status: str = ""


@dataclass
class Report:
    database: str
    scale: int
    build_seconds: float | None
    volume: dict[str, int]
    results: list[Result] = field(default_factory=list)
    concurrency: dict[str, Any] | None = None


# ------------------------------------------------------------------ database and build


def _passwords() -> dict[str, str]:
    rows = json.loads((SEED / "accounts.json").read_text(encoding="utf-8")) + \
        json.loads((SEED / "experts.json").read_text(encoding="utf-8"))
    return {row["email"]: row["password"] for row in rows if "password" in row}


def _config(url: str) -> dict[str, Any]:
    config = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    config.update(SQLALCHEMY_DATABASE_URI=url, TESTING=False, MAIL_BACKEND="locmem", LOG_LEVEL="WARNING")
    return config


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database named in `url` when it does not exist (SQLite creates its file itself)."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("postgresql"):
        return
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": parsed.database})
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()


def volume_present(app: Any, scale: int) -> bool:
    with app.app_context():
        try:
            return volume.present(scale)
        except Exception:  # no schema yet  # noqa: BLE001
            db.session.rollback()
            return False


def build(url: str, app: Any, scale: int) -> tuple[float, dict[str, int]]:
    started = time.perf_counter()
    engine = create_engine(url)
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    engine.dispose()
    with app.app_context():
        with transaction():
            seed = seeding.load_seed(str(SEED))
        with transaction():
            counts = volume.build(scale)
        problems = volume.check()
        if problems:
            raise SystemExit("the built data breaks the booking invariants:\n" + "\n".join(problems[:20]))
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("ANALYZE"))
    merged = {f"seed_{k}": v for k, v in seed.inserted.items()} | dict(counts)
    return time.perf_counter() - started, merged


def table_counts(app: Any) -> dict[str, int]:
    names = ("issue", "expert_profile", "engagement_request", "engagement", "visit", "visit_report", "cap_ledger",
             "expert_load")
    with app.app_context():
        return {name: db.session.scalar(text(f"SELECT count(*) FROM {name}")) for name in names}


# ------------------------------------------------------------------ statements, in-process


def route_exists(app: Any, path: str) -> bool:
    adapter = app.url_map.bind("localhost")
    try:
        adapter.match(path.split("?")[0], method="GET")
    except MethodNotAllowed:
        return True
    except NotFound:
        return False
    except Exception:  # a redirect (trailing slash) still means a route  # noqa: BLE001
        return True
    return True


def count_statements(app: Any, passwords: dict[str, str], results: dict[tuple[str, str], Result]) -> None:
    counter = {"n": 0}

    def count(*_: Any) -> None:
        counter["n"] += 1

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", count)
    for role, email in ACCOUNTS.items():
        client = app.test_client()
        token = None
        login = client.post("/auth/login", data={"email": email, "password": passwords[email]})
        if login.status_code not in (302, 303):
            raise SystemExit(f"login as {email} failed: {login.status_code}")
        for page in pages():
            if role not in page.roles:
                continue
            result = results[(page.path, role)]
            if not route_exists(app, page.path):
                result.status = "missing (404)"
                continue
            headers = {}
            if page.path.startswith("/api/"):
                if token is None:
                    answer = client.post("/api/v1/auth/token", json={"email": email, "password": passwords[email]})
                    token = answer.get_json()["token"]
                headers = {"Authorization": f"Bearer {token}"}
            client.get(page.path, headers=headers).get_data()  # warm-up (read to the end: a streamed CSV holds its cursor)
            before, cpu = counter["n"], time.process_time()
            response = client.get(page.path, headers=headers)
            response.get_data()
            result.cpu_ms = round((time.process_time() - cpu) * 1000, 1)
            result.statements = counter["n"] - before
            result.bytes = len(response.data)
            result.status = str(response.status_code)


# ------------------------------------------------------------------ wall time, gunicorn


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, url: str, workers: int = 2) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, DATABASE_URL=url, SECRET_KEY="progress-bench-secret", SESSION_COOKIE_SECURE="false",
                   MATCHER_PERSIST="false", MATCHER_BUILD_SYNC="true", MAIL_BACKEND="locmem", LOG_LEVEL="WARNING",
                   SCHEDULER_ENABLED="false", RATELIMIT_LOGIN="1000 per hour")
        gunicorn = Path(sys.executable).with_name("gunicorn")
        self.process = subprocess.Popen(
            [str(gunicorn), "--workers", str(workers), "--bind", f"127.0.0.1:{self.port}", "--timeout", "300",
             "--log-level", "warning", "wsgi:app"], cwd=ROOT, env=env, start_new_session=True)
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                requests.get(f"{self.base}/auth/login", timeout=30)
                return
            except requests.RequestException:
                time.sleep(0.5)
        self.stop()
        raise SystemExit("gunicorn did not answer within 180 s")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def login(base: str, email: str, password: str) -> requests.Session:
    """Log in through the real form: GET it, read the CSRF token, POST it with the credentials."""
    session = requests.Session()
    form = session.get(f"{base}/auth/login", timeout=30)
    match = _CSRF.search(form.text)
    if not match:
        raise SystemExit("no csrf_token in the login form")
    answer = session.post(f"{base}/auth/login", data={"csrf_token": match[1] or match[2], "email": email,
                                                      "password": password}, allow_redirects=False, timeout=30)
    if answer.status_code not in (302, 303):
        raise SystemExit(f"login as {email} through the form failed: {answer.status_code}")
    return session


def bearer(base: str, email: str, password: str) -> dict[str, str]:
    answer = requests.post(f"{base}/api/v1/auth/token", json={"email": email, "password": password}, timeout=30)
    answer.raise_for_status()
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def _timed(get: Callable[[], requests.Response]) -> tuple[float, int]:
    started = time.perf_counter()
    response = get()
    _ = response.content
    return (time.perf_counter() - started) * 1000, response.status_code


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    return statistics.quantiles(ordered, n=100, method="inclusive")[round(q * 100) - 1]


def time_pages(base: str, passwords: dict[str, str], runs: int, results: dict[tuple[str, str], Result]) -> None:
    for role, email in ACCOUNTS.items():
        session = login(base, email, passwords[email])
        api: dict[str, str] | None = None
        for page in pages():
            result = results.get((page.path, role))
            if result is None or result.status == "missing (404)":
                continue
            headers: dict[str, str] = {}
            if page.path.startswith("/api/"):
                api = api or bearer(base, email, passwords[email])
                headers = api

            def get(path: str = page.path, headers: dict[str, str] = headers,
                    client: Any = requests if headers else session) -> requests.Response:
                return client.get(f"{base}{path}", headers=headers, timeout=300, allow_redirects=False)

            for _ in range(2):  # warm both workers (each builds its own matcher index): two at a time
                with ThreadPoolExecutor(max_workers=2) as pool:
                    list(pool.map(lambda _: _timed(get), range(2)))
            samples = [_timed(get) for _ in range(runs)]
            times = [ms for ms, _ in samples]
            result.http_status = ",".join(sorted({str(code) for _, code in samples}))
            result.runs = runs
            result.p50_ms = round(statistics.median(times), 1)
            result.p95_ms = round(_quantile(times, 0.95), 1)
            result.max_ms = round(max(times), 1)


def concurrent_overview(base: str, passwords: dict[str, str], k: int) -> dict[str, Any]:
    """K simultaneous GET /coordinator/ (one logged-in session per request, all the Hokkaido coordinator)."""
    email = ACCOUNTS["coordinator"]
    sessions = [login(base, email, passwords[email]) for _ in range(k)]
    gate = threading.Barrier(k)

    def one(session: requests.Session) -> tuple[float, str]:
        gate.wait()
        started = time.perf_counter()
        try:
            response = session.get(f"{base}/coordinator/", timeout=100, allow_redirects=False)
            _ = response.content
            status = str(response.status_code)
        except requests.RequestException as error:
            status = type(error).__name__
        return (time.perf_counter() - started) * 1000, status

    with ThreadPoolExecutor(max_workers=k) as pool:
        samples = list(pool.map(one, sessions))
    times = [ms for ms, _ in samples]
    statuses: dict[str, int] = {}
    for _, status in samples:
        statuses[status] = statuses.get(status, 0) + 1
    return {"page": "/coordinator/", "concurrency": k, "statuses": statuses,
            "p50_ms": round(statistics.median(times), 1), "p95_ms": round(_quantile(times, 0.95), 1),
            "max_ms": round(max(times), 1)}


# ------------------------------------------------------------------ output


def _ms(value: float | None) -> str:
    return "" if value is None else f"{value:,.0f}"


def print_table(report: Report) -> None:
    print(f"database: {report.database}  scale: {report.scale}x"
          + (f"  build: {report.build_seconds:.1f} s" if report.build_seconds is not None else "  (reused)"))
    print("rows: " + ", ".join(f"{k} {v:,}" for k, v in report.volume.items()))
    header = (f"{'page':<44} {'role':<12} {'status':<14} {'statements':>10} {'cpu ms':>8} {'p50 ms':>8} {'p95 ms':>8}"
              f" {'max ms':>8}")
    print(header)
    print("-" * len(header))
    for r in report.results:
        status = r.status if r.status != "200" or not r.http_status or r.http_status == "200" \
            else f"{r.status}/{r.http_status}"
        print(f"{r.page[:44]:<44} {r.role:<12} {status:<14} {'' if r.statements is None else r.statements:>10} "
              f"{_ms(r.cpu_ms):>8} {_ms(r.p50_ms):>8} {_ms(r.p95_ms):>8} {_ms(r.max_ms):>8}")
    if report.concurrency:
        c = report.concurrency
        print(f"{c['concurrency']} concurrent GET {c['page']}: p50 {_ms(c['p50_ms'])} ms, p95 {_ms(c['p95_ms'])} ms, "
              f"max {_ms(c['max_ms'])} ms; statuses {c['statuses']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--database-url", default="", help="default: a bench_progress_x<scale> PostgreSQL database")
    parser.add_argument("--scale", type=int, default=10, help="1 = the demo data alone; 10 = ten times its volume")
    parser.add_argument("--runs", type=int, default=20, help="timed requests per page and role")
    parser.add_argument("--concurrency", type=int, default=0, help="also K simultaneous requests of the overview")
    parser.add_argument("--reuse", action="store_true", help="skip the build when the database holds the volume")
    parser.add_argument("--json", action="store_true", help="print JSON instead of the table")
    parser.add_argument("--no-http", action="store_true", help="count statements only (no gunicorn)")
    args = parser.parse_args()
    if args.scale < 1:
        parser.error("--scale must be 1 or more")
    url = args.database_url or f"{DEFAULT_SERVER}/bench_progress_x{args.scale}"
    ensure_database(url)
    app = create_app(_config(url))
    build_seconds, built = None, {}
    if not (args.reuse and volume_present(app, args.scale)):
        build_seconds, built = build(url, app, args.scale)
    report = Report(database=make_url(url).render_as_string(hide_password=True), scale=args.scale,
                    build_seconds=None if build_seconds is None else round(build_seconds, 1),
                    volume=table_counts(app))
    results = {(page.path, role): Result(page.path, role) for page in pages() for role in page.roles}
    passwords = _passwords()
    count_statements(app, passwords, results)
    if not args.no_http:
        server = Server(url)
        try:
            time_pages(server.base, passwords, args.runs, results)
            if args.concurrency:
                report.concurrency = concurrent_overview(server.base, passwords, args.concurrency)
        finally:
            server.stop()
    report.results = list(results.values())
    if args.json:
        print(json.dumps(asdict(report) | {"built": built}, ensure_ascii=False, indent=2))
    else:
        print_table(report)


if __name__ == "__main__":
    main()
