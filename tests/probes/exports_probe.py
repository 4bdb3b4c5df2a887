"""Exports at volume (issue #10, helper B): does the CSV export stream in constant memory, and does a list page's
number of SQL statements stay the same as visits grow? Not a test (pytest does not collect it): it prints figures.

    PYTHONPATH=. .venv/bin/python tests/probes/exports_probe.py sqlite:////tmp/exports.sqlite3 2000,20000
    PYTHONPATH=. .venv/bin/python tests/probes/exports_probe.py postgresql+psycopg://postgres@127.0.0.1:5432/DB 2000,20000

The database is emptied and rebuilt (drop_all/create_all) and dropped at the end: never point it at real data.
Per size: the statements and time of /coordinator/lists/visits, the time of the whole visits CSV read chunk by
chunk, and the peak memory tracemalloc saw while streaming it (timed again under tracemalloc, which is slower).
"""
import sys
import time
import tracemalloc
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import event, insert, select

from tests.web.conftest import PASSWORD, _test_config
from web import create_app
from web.extensions import db
from web.models import Base, Engagement, ExpertProfile, Issue, Municipality, Prefecture, User, Visit

EXPERTS = 20


def build(app_url: str):
    app = create_app(_test_config(SQLALCHEMY_DATABASE_URI=app_url))
    with app.app_context():
        Base.metadata.drop_all(db.engine)
        Base.metadata.create_all(db.engine)
        db.session.add(Prefecture(code="01", name="北海道", kana="ほっかいどう", region="北海道"))
        db.session.add(Municipality(code="012106", name="岩見沢市", kana="いわみざわし", prefecture_code="01"))
        coordinator = User(email="c@example.jp", role="coordinator", display_name="c", prefecture_code="01")
        coordinator.set_password(PASSWORD, method="pbkdf2:sha256:1000")
        issue = Issue(municipality_code="012106", title="=1+1", body="b", sector="agriculture",
                      stage="issue_definition", status="engaged", months=6)
        db.session.add_all([coordinator, issue])
        db.session.flush()
        for n in range(EXPERTS):
            user = User(email=f"e{n}@example.jp", role="expert", display_name=f"e{n}")
            user.set_password("x", method="pbkdf2:sha256:1000")
            db.session.add(user)
            db.session.flush()
            profile = ExpertProfile(user_id=user.id, display_name=f"e{n}", prefecture_code="01")
            db.session.add(profile)
            db.session.flush()
            db.session.add(Engagement(issue_id=issue.id, expert_id=profile.id, start_on=date(2026, 4, 1),
                                      end_on=date(2027, 3, 31)))
        db.session.commit()
    return app


def add_visits(first: int, last: int) -> None:
    engagements = db.session.execute(select(Engagement.id, Engagement.expert_id).order_by(Engagement.id)).all()
    rows = []
    for i in range(first, last):
        engagement_id, expert_id = engagements[i % EXPERTS]
        start = datetime(2026, 4, 1, tzinfo=UTC) + timedelta(hours=3 * (i // EXPERTS))  # never overlapping
        rows.append({"engagement_id": engagement_id, "expert_id": expert_id, "municipality_code": "012106",
                     "starts_at": start, "duration_minutes": 60, "ends_at": start + timedelta(minutes=60),
                     "mode": "online", "status": "proposed", "fiscal_year": 2026, "proposed_by": "system",
                     "plan_month": 1, "reserved_minutes": 0, "sequence": 0, "place": "", "meeting_url": "",
                     "note": "", "cancel_reason": "", "created_at": start})
    for chunk in range(0, len(rows), 5000):
        db.session.execute(insert(Visit), rows[chunk:chunk + 5000])
    db.session.commit()


def read_csv(client) -> tuple[int, int, float]:
    started = time.perf_counter()
    response = client.get("/coordinator/exports/visits.csv?fiscal_year=2026", buffered=False)
    lines = size = 0
    for chunk in response.response:
        lines, size = lines + 1, size + len(chunk)
    response.close()
    return lines - 1, size, time.perf_counter() - started


def count_statements(client, url: str) -> int:
    seen: list[str] = []

    def listener(*args: object) -> None:
        seen.append(str(args[2]))

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        client.get(url)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return len(seen)


def main(app_url: str, sizes: list[int]) -> None:
    app = build(app_url)
    with app.app_context():
        client = app.test_client()
        client.post("/auth/login", data={"email": "c@example.jp", "password": PASSWORD})
        made = 0
        for size in sizes:
            add_visits(made, size)
            made = size
            seen = count_statements(client, "/coordinator/lists/visits?fiscal_year=2026")
            started = time.perf_counter()
            client.get("/coordinator/lists/visits?fiscal_year=2026")
            list_ms = (time.perf_counter() - started) * 1000
            rows, size_bytes, plain = read_csv(client)
            tracemalloc.start()
            _, _, traced = read_csv(client)
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            print(f"{app_url.split(':')[0]:18} visits={size:6} list: {seen} statements {list_ms:6.1f} ms | csv: "
                  f"{rows} rows {size_bytes / 1e6:5.2f} MB in {plain:5.2f} s ({traced:5.2f} s under tracemalloc), "
                  f"peak traced memory {peak / 1e6:5.2f} MB")
        Base.metadata.drop_all(db.engine)


if __name__ == "__main__":
    main(sys.argv[1], [int(x) for x in sys.argv[2].split(",")])
