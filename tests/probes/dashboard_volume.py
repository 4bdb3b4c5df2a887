"""The dashboard at 10x volume: a quick check, not a test (the shared benchmark is tests/probes/progress_bench.py).

    PYTHONPATH=. python tests/probes/dashboard_volume.py postgresql://postgres@127.0.0.1:5432/SCRATCH_DB --build
    PYTHONPATH=. python tests/probes/dashboard_volume.py postgresql://postgres@127.0.0.1:5432/SCRATCH_DB

--build DROPS every table of that database, loads the demo data and adds ≈545 issues, 640 experts, requests,
≈300 engagements with 16 visits each (≈5,100 visits) and their reports with bulk inserts; then (and without
--build) it times 30 requests of /coordinator/dashboard as the Hokkaido coordinator through the test client and
prints the statements per page, wall p50/p95 and the app's CPU time (docs/dashboard.md, Performance).
"""
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import event, func, insert, select

from web import create_app
from web.config import normalise_database_url
from web.dates import JST
from web.extensions import db
from web.models import (
    Base,
    Engagement,
    EngagementRequest,
    ExpertProfile,
    Issue,
    Municipality,
    SupportProgram,
    User,
    Visit,
    VisitReport,
)
from web.services.seeding import load_seed

URL = normalise_database_url(sys.argv[1])
app = create_app({"SQLALCHEMY_DATABASE_URI": URL, "TESTING": True, "WTF_CSRF_ENABLED": False,
                  "MATCHER_BUILD_SYNC": True, "MAIL_BACKEND": "locmem", "SESSION_COOKIE_SECURE": False})
rnd = random.Random(7)
with app.app_context():
    if "--build" in sys.argv:
        Base.metadata.drop_all(db.engine); Base.metadata.create_all(db.engine)
        load_seed(); db.session.commit()
        towns = db.session.scalars(select(Municipality.code).where(Municipality.prefecture_code == "01")).all()
        program = db.session.scalar(select(SupportProgram).where(SupportProgram.code == "hokkaido_accompaniment"))
        now = datetime.now(UTC)
        users = [{"email": f"bench{i}@x.jp", "password_hash": "x", "display_name": f"人材{i}", "role": "expert"} for i in range(640)]
        uids = db.session.execute(insert(User).returning(User.id), users).scalars().all()
        experts = [{"user_id": u, "display_name": f"人材{i}", "prefecture_code": "01", "monthly_capacity": 3,
                    "last_confirmed_at": now - timedelta(days=rnd.choice([10, 100, 300])), "skills": [], "certifications": []}
                   for i, u in enumerate(uids)]
        eids = db.session.execute(insert(ExpertProfile).returning(ExpertProfile.id), experts).scalars().all()
        statuses = ["open"] * 20 + ["matching"] * 15 + ["engaged"] * 55 + ["closed"] * 5 + ["withdrawn"] * 5
        issues = []
        for i in range(545):
            posted = now - timedelta(days=rnd.randint(1, 400))
            issues.append({"municipality_code": rnd.choice(towns), "title": f"量の課題{i}", "body": "本文です。", "sector": "agriculture",
                           "stage": "issue_definition", "menu": "accompaniment", "mode": "hybrid", "months": 6,
                           "status": rnd.choice(statuses), "created_at": posted, "updated_at": posted, "published_at": posted})
        iids = db.session.execute(insert(Issue).returning(Issue.id, Issue.status, Issue.published_at, Issue.municipality_code), issues).all()
        reqs, engs = [], []
        for n, (iid, status, posted, town) in enumerate(iids):
            expert = eids[n % len(eids)]
            sent = posted + timedelta(days=rnd.randint(1, 20))
            reqs.append({"issue_id": iid, "expert_id": eids[(n + 7) % len(eids)], "program_id": program.id, "status": "declined",
                         "decline_reason": rnd.choice(["no_capacity", "schedule", "outside_field", "other"]),
                         "first_month": sent.date().replace(day=1), "created_at": sent, "expires_at": sent + timedelta(days=9),
                         "responded_at": sent + timedelta(hours=rnd.randint(2, 90)), "onsite_months": [], "weekdays": [], "slots": []})
            if status in ("engaged", "closed"):
                reqs.append({"issue_id": iid, "expert_id": expert, "program_id": program.id, "status": "accepted",
                             "first_month": sent.date().replace(day=1), "created_at": sent + timedelta(days=3),
                             "expires_at": sent + timedelta(days=12), "responded_at": sent + timedelta(days=4),
                             "onsite_months": [], "weekdays": [], "slots": []})
                start = (sent + timedelta(days=10)).date()
                engs.append({"issue_id": iid, "expert_id": expert, "program_id": program.id, "start_on": start,
                             "end_on": start + timedelta(days=330), "status": "active" if status == "engaged" else "completed",
                             "outcome": None if status == "engaged" else "solved", "stage_at_start": "issue_definition", "_town": town})
        db.session.execute(insert(EngagementRequest), reqs)
        rows = [{k: v for k, v in e.items() if k != "_town"} for e in engs]
        gids = db.session.execute(insert(Engagement).returning(Engagement.id), rows).scalars().all()
        visits = []
        for gid, e in zip(gids, engs):
            for k in range(16):
                starts = datetime.combine(e["start_on"] + timedelta(days=21 * k), datetime.min.time(), JST).replace(hour=14).astimezone(UTC)
                past = starts < now - timedelta(days=2)
                status = "done" if past and rnd.random() < 0.9 else ("cancelled" if rnd.random() < 0.05 else ("confirmed" if rnd.random() < 0.5 else "proposed"))
                if not past and status == "done":
                    status = "confirmed"
                agreed = starts - timedelta(days=5) if status in ("confirmed", "done") else None
                visits.append({"engagement_id": gid, "expert_id": e["expert_id"], "municipality_code": e["_town"], "starts_at": starts,
                               "duration_minutes": 120, "ends_at": starts + timedelta(minutes=120), "mode": "online", "status": status,
                               "fiscal_year": 2026, "town_confirmed_at": agreed, "expert_confirmed_at": agreed})
        vids = db.session.execute(insert(Visit).returning(Visit.id, Visit.status, Visit.starts_at), visits).all()
        reports = [{"visit_id": vid, "summary": "報告", "stage": "business_model", "created_at": s + timedelta(hours=5),
                    "updated_at": s + timedelta(hours=5), "acknowledged_at": s + timedelta(hours=30)} for vid, st, s in vids if st == "done"]
        db.session.execute(insert(VisitReport), reports)
        db.session.commit()
        print("issues", db.session.scalar(select(func.count(Issue.id))), "visits", db.session.scalar(select(func.count(Visit.id))),
              "experts", db.session.scalar(select(func.count(ExpertProfile.id))), "requests", db.session.scalar(select(func.count(EngagementRequest.id))))
    coord = db.session.scalar(select(User).where(User.email == "coord.hokkaido@demo.example.jp"))
    client = app.test_client()
    r = client.post("/auth/login", data={"email": coord.email, "password": "dx-demo-2026"})
    assert r.status_code == 302, r.status_code
    count = [0]
    event.listen(db.engine, "before_cursor_execute", lambda *a, **k: count.__setitem__(0, count[0] + 1))
    for url in ["/coordinator/dashboard", "/coordinator/dashboard?sector=agriculture"]:
        times, cpu = [], []
        for _ in range(31):
            count[0] = 0
            started, cpu_started = time.perf_counter(), time.process_time()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - cpu_started) * 1000)
            assert response.status_code == 200, response.status_code
        times = sorted(times[1:])
        load = Path("/proc/loadavg").read_text().split()[0]
        print(f"{url} statements {count[0]} p50 {statistics.median(times):.0f} ms "
              f"p95 {times[int(0.95 * len(times)) - 1]:.0f} ms max {times[-1]:.0f} ms "
              f"app CPU p50 {statistics.median(cpu):.0f} ms load {load}")
