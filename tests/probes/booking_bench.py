"""Time the booking flow's two heavy moments (issue #9): accepting a 12-month request, and rendering an expert's
「予定」 page when they have 1,000 visits. Not a test (pytest does not collect it): it prints figures.

    .venv/bin/python tests/probes/booking_bench.py                       # SQLite file in a temp directory
    .venv/bin/python tests/probes/booking_bench.py --database-url postgresql://postgres@127.0.0.1:5432/bookbench

The PostgreSQL database is emptied and rebuilt (create_all). Each figure is the median and the worst of N runs, with
the number of SQL statements the operation issued.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sqlalchemy import create_engine, event  # noqa: E402

from web import create_app  # noqa: E402
from web.config import TestConfig  # noqa: E402
from web.dates import JST, fiscal_year_of, today_jst  # noqa: E402
from web.extensions import db  # noqa: E402
from web.models import (  # noqa: E402
    Base, Engagement, ExpertProfile, Issue, Municipality, Prefecture, SupportProgram, User, Visit,
)
from web.services.booking import plans, requests  # noqa: E402
from web.services.booking.requests import RequestInput  # noqa: E402
from web.transaction import transaction  # noqa: E402

PASSWORD = "bench-password-2026"


class Counter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, *args: Any) -> None:
        self.count += 1


def _config(url: str) -> dict[str, Any]:
    config = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    config.update(SQLALCHEMY_DATABASE_URI=url, TESTING=False, MAIL_BACKEND="locmem")
    return config


def _setup() -> tuple[Municipality, SupportProgram]:
    db.session.add(Prefecture(code="01", name="北海道", kana="ほっかいどう", region="北海道"))
    town = Municipality(code="012106", name="岩見沢市", kana="いわみざわし", prefecture_code="01",
                        subprefecture="空知総合振興局")
    program = SupportProgram(code="bench", name="北海道 市町村DX伴走支援事業", max_months=12, visits_per_month=1)
    db.session.add_all([town, program])
    db.session.commit()
    return town, program


def _user(role: str, email: str, **scope: Any) -> User:
    user = User(email=email, role=role, display_name=email.split("@")[0], **scope)
    user.set_password(PASSWORD, method="pbkdf2:sha256:1000")
    db.session.add(user)
    db.session.flush()
    return user


def _expert(n: int, capacity: int) -> tuple[User, ExpertProfile]:
    user = _user("expert", f"expert{n}@bench.example.jp")
    profile = ExpertProfile(user_id=user.id, display_name=f"専門家{n}", bio="農業DX", prefecture_code="01",
                            travel_range="prefecture", monthly_capacity=capacity)
    profile.roles.update(["engineer"])
    profile.sectors.update(["agriculture"])
    profile.modes.update(["hybrid"])
    db.session.add(profile)
    db.session.commit()
    return user, profile


def _issue(officer: User, n: int) -> Issue:
    issue = Issue(municipality_code="012106", title=f"スマート農業の導入 {n}", body="水田のドローン防除を検討したい。",
                  sector="agriculture", stage="issue_definition", menu="accompaniment", mode="hybrid", months=12,
                  status="open", created_by_id=officer.id)
    issue.wanted_roles.update(["engineer"])
    db.session.add(issue)
    db.session.commit()
    return issue


def _timed(work: Callable[[], object], statements: Counter) -> tuple[float, int]:
    before = statements.count
    started = time.perf_counter()
    work()
    return (time.perf_counter() - started) * 1000, statements.count - before


def _report(name: str, runs: list[tuple[float, int]]) -> None:
    times = sorted(ms for ms, _ in runs)
    print(f"{name}: median {statistics.median(times):.1f} ms, worst {times[-1]:.1f} ms over {len(runs)} runs; "
          f"{runs[-1][1]} SQL statements")


def bench_accept(program_id: int, officer_id: int, statements: Counter, runs: int) -> None:
    first = plans.add_months(today_jst().replace(day=1), 1).strftime("%Y-%m")
    results = []
    for n in range(runs):
        program, officer = db.session.get(SupportProgram, program_id), db.session.get(User, officer_id)
        expert_user, expert = _expert(1000 + n, capacity=4)
        issue = _issue(officer, n)
        with transaction():
            sent = requests.send_request(officer, RequestInput(
                issue_id=issue.id, expert_id=expert.id, program_id=program.id, first_month=first, months=12,
                weekdays=[1, 2, 3], start_time="14:00"))
        request_id = sent.id

        def accept(user: User = expert_user, rid: int = request_id) -> None:
            with transaction():
                requests.accept(user, rid)

        results.append(_timed(accept, statements))
        db.session.remove()
    _report("accept a 12-month request (engagement + 12 visits, ledger, load, notifications, mail)", results)


def _thousand_visits(officer: User, expert: ExpertProfile) -> None:
    """1,000 visits of one expert from tomorrow on, three a day (about 90 in a month), in 84 engagements, written
    directly (the load and ledger rows are not what is measured here)."""
    start = datetime.combine(today_jst() + timedelta(days=1), datetime.min.time(), JST).replace(hour=10)
    made = 0
    for n in range(84):
        issue = _issue(officer, 5000 + n)
        engagement = Engagement(issue_id=issue.id, expert_id=expert.id, program_id=None, start_on=today_jst(),
                                end_on=today_jst() + timedelta(days=365 * 20), stage_at_start="issue_definition")
        db.session.add(engagement)
        db.session.flush()
        for _ in range(12):
            if made == 1000:
                break
            starts = start + timedelta(days=made // 3, hours=3 * (made % 3))
            db.session.add(Visit(engagement_id=engagement.id, expert_id=expert.id, municipality_code="012106",
                                 starts_at=starts, duration_minutes=120, mode="online" if made % 3 else "onsite",
                                 status="confirmed" if made % 2 else "proposed",
                                 town_confirmed_at=starts if made % 2 else None,
                                 expert_confirmed_at=starts if made % 2 else None,
                                 fiscal_year=fiscal_year_of(starts), plan_month=1))
            made += 1
    db.session.commit()


def bench_schedule(app: Any, officer_id: int, statements: Counter, runs: int) -> None:
    officer = db.session.get(User, officer_id)
    expert_user, expert = _expert(1, capacity=10)
    _thousand_visits(officer, expert)
    client = app.test_client()
    response = client.post("/auth/login", data={"email": expert_user.email, "password": PASSWORD})
    assert response.status_code in (302, 303), response.status_code
    busiest = plans.add_months(today_jst().replace(day=1), 1).strftime("%Y-%m")
    for path in ("/schedule", f"/schedule?month={busiest}"):
        results = []
        size = 0
        for _ in range(runs):
            def get(path: str = path) -> None:
                nonlocal size
                page = client.get(path)
                assert page.status_code == 200, page.status_code
                size = len(page.data)

            results.append(_timed(get, statements))
        _report(f"GET {path} of an expert with 1,000 visits ({size:,} bytes)", results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    engine = create_engine(url)
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    engine.dispose()
    app = create_app(_config(url))
    with app.app_context():
        statements = Counter()
        event.listen(db.engine, "before_cursor_execute", statements)
        _setup()
        officer = _user("officer", "officer@bench.example.jp", municipality_code="012106")
        db.session.commit()
        print(f"database: {db.engine.dialect.name}")
        officer_id = officer.id
        bench_accept(1, officer_id, statements, args.runs)
        bench_schedule(app, officer_id, statements, args.runs)


if __name__ == "__main__":
    main()
