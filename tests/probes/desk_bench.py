"""Time the coordinator's desk (overview, monthly plan, joint issues) and the home pages at N× the demo volume
(issue #10). Not a test (pytest does not collect it): it prints the median and worst time of N in-process requests
(Flask test client, one user, no network), the median CPU time of this process (less sensitive to a loaded
machine; the database's own time is not in it) and the number of SQL statements each page issues.

    .venv/bin/python tests/probes/desk_bench.py --database-url postgresql://postgres@127.0.0.1:5432/wt_c_bench
    .venv/bin/python tests/probes/desk_bench.py --scale 1          # the demo data alone (SQLite in a temp dir)

The database is emptied and rebuilt (create_all + `seed`) unless it already holds the requested volume
(``--keep``). The volume is the seed plus (scale - 1) copies of every seed expert and issue; each copied issue
goes to another town of its prefecture with a sentence of another seed issue appended, so the copies are similar
(joint-issue candidates) but not identical. The shared 10× benchmark with bookings and visits is
tests/probes/progress_bench.py (issue #10, helper E); this one only needs issues and experts.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sqlalchemy import create_engine, event, func, select

from web import create_app
from web.config import TestConfig
from web.extensions import db
from web.models import Base, ExpertProfile, Issue, Municipality, User
from web.services import seeding

PASSWORD = "dx-demo-2026"
PAGES = [("coordinator", "/coordinator/"), ("coordinator", "/coordinator/plan"), ("coordinator", "/coordinator/joint"),
         ("coordinator", "/"), ("expert", "/"), ("officer", "/"), ("admin", "/")]
LOGINS = {"coordinator": "coord.hokkaido@demo.example.jp", "officer": "iwamizawa@demo.example.jp",
          "admin": "admin@demo.example.jp"}


class Counter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, *args: Any) -> None:
        self.count += 1


def _config(url: str) -> dict[str, Any]:
    config = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    config.update(SQLALCHEMY_DATABASE_URI=url, TESTING=False, MAIL_BACKEND="locmem", PASSWORD_HASH_METHOD="pbkdf2:sha256:1000")
    return config


def _multiply(scale: int) -> None:
    """Add (scale - 1) copies of every seed expert and issue."""
    rng = random.Random(10)
    experts = list(db.session.scalars(select(ExpertProfile)))
    issues = list(db.session.scalars(select(Issue)))
    towns: dict[str, list[str]] = {}
    for code, prefecture in db.session.execute(select(Municipality.code, Municipality.prefecture_code)):
        towns.setdefault(prefecture, []).append(code)
    for k in range(1, scale):
        for profile in experts:
            user = User(email=f"x{k}-{profile.user.email}", role="expert", display_name=f"{profile.display_name}{k}")
            user.set_password(PASSWORD, method="pbkdf2:sha256:1000")
            db.session.add(user)
            db.session.flush()
            copy = ExpertProfile(user_id=user.id, display_name=user.display_name, bio=profile.bio,
                                 skills=list(profile.skills), certifications=list(profile.certifications),
                                 prefecture_code=profile.prefecture_code, home_label=profile.home_label,
                                 lat=profile.lat, lon=profile.lon, travel_range=profile.travel_range,
                                 monthly_capacity=profile.monthly_capacity, last_confirmed_at=profile.last_confirmed_at)
            copy.roles.update(profile.roles)
            copy.sectors.update(profile.sectors)
            copy.modes.update(profile.modes)
            db.session.add(copy)
        for issue in issues:
            other = rng.choice(issues)
            town = rng.choice(towns[issue.municipality.prefecture_code])
            copy = Issue(municipality_code=town, title=f"{issue.title}（{k}）"[:120],
                         body=f"{issue.body}\n{other.body.split('。')[0]}。", sector=issue.sector, stage=issue.stage,
                         menu=issue.menu, mode=issue.mode, months=issue.months, status=issue.status,
                         created_by_id=issue.created_by_id, published_at=issue.published_at)
            copy.wanted_roles.update(issue.wanted_roles)
            db.session.add(copy)
        db.session.commit()


def _build(url: str, scale: int, keep: bool) -> None:
    engine = create_engine(url)
    if keep:
        with engine.connect() as connection:
            try:
                count = connection.execute(select(func.count()).select_from(Issue)).scalar_one()
            except Exception:  # noqa: BLE001 - no tables yet
                count = -1
        if count >= 57 * scale:
            engine.dispose()
            return
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    engine.dispose()
    app = create_app(_config(url))
    with app.app_context():
        seeding.load_seed()
        db.session.commit()
        _multiply(scale)


def _expert_login() -> str:
    return db.session.scalar(select(User.email).join(ExpertProfile, ExpertProfile.user_id == User.id)
                             .order_by(User.id).limit(1)) or ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--scale", type=int, default=10)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="reuse the database if it already holds the volume")
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/desk.db"
    _build(url, args.scale, args.keep)
    app = create_app(_config(url))
    statements = Counter()
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", statements)
        open_issues = db.session.scalar(select(func.count()).select_from(Issue).where(Issue.status == "open"))
        experts = db.session.scalar(select(func.count()).select_from(ExpertProfile))
        logins = dict(LOGINS, expert=_expert_login())
    print(f"database: {url.split(':')[0]}, scale {args.scale}x: "
          f"{open_issues} open issues, {experts} experts")
    # Requests run without an outer app context: each gets its own (and its own `g`, so its own login).
    clients = {}
    for role, email in logins.items():
        client = app.test_client()
        client.post("/auth/login", data={"email": email, "password": PASSWORD})
        clients[role] = client
    print(f"{'page':<28} {'median ms':>10} {'worst ms':>9} {'cpu ms':>7} {'statements':>10} {'cold ms':>8} "
          f"{'cold cpu':>8}")
    for role, path in PAGES:
        client = clients[role]
        response = client.get(path)  # warm-up (builds the matcher index on the first one)
        assert response.status_code == 200, (role, path, response.status_code)
        times, cpu, counts = [], [], []
        for _ in range(args.runs):
            statements.count = 0
            start, start_cpu = time.perf_counter(), time.process_time()
            client.get(path)
            times.append((time.perf_counter() - start) * 1000)
            cpu.append((time.process_time() - start_cpu) * 1000)
            counts.append(statements.count)
        # Cold: the process's kept rankings and plans dropped before each run (as after any booking or edit).
        cold, cold_cpu = [], []
        for _ in range(args.runs):
            holder = app.extensions.get("matching")
            if holder is not None:
                holder.rankings = None
            start, start_cpu = time.perf_counter(), time.process_time()
            client.get(path)
            cold.append((time.perf_counter() - start) * 1000)
            cold_cpu.append((time.process_time() - start_cpu) * 1000)
        print(f"{role + ' ' + path:<28} {statistics.median(times):>10.0f} {max(times):>9.0f} "
              f"{statistics.median(cpu):>7.0f} {max(counts):>10} {statistics.median(cold):>8.0f} "
              f"{statistics.median(cold_cpu):>8.0f}")

if __name__ == "__main__":
    main()
