"""Synthetic volume for the benchmarks: the demo data (``flask seed``) plus (scale - 1) more copies of it.

At ``scale=10`` that is about 600 issues, 700 experts and 5,000 visits, with the requests, engagements, reports,
cap-ledger rows and expert loads that go with them. Not a test module (pytest does not collect tests/probes).

How the rows stay consistent with the schema (every CHECK, the partial unique indexes and PostgreSQL's exclusion
constraint on an expert's visits):

- experts, issues, requests, engagements, visits and reports are ORM rows written in bulk (a few flushes), cloned
  from the demo's own experts and issues so the matcher reads realistic text, each issue in a town of its
  template's prefecture;
- the synthetic engagements go to synthetic experts only, each expert in at most three engagements, each
  engagement at its own hour of the day (09:00, 12:00, 15:00; visits last at most two hours), so no two visits of
  one expert overlap; the visits of one engagement fall on different business days of the month;
- the cap ledger and the expert loads are written by the booking services themselves (``plans.hold`` for every
  visit not cancelled, ``plans.use_up`` for every reported one), exactly as the demo seed does, so they are exact;
  the generator tallies the monthly loads and the 地域情報化アドバイザー caps beforehand and never asks a service for
  more than fits (a service refusal would raise and abort the build);
- done visits lie in the past, proposed ones in the future, confirmed ones carry both confirmations; an
  expired request expired before now, a pending one expires after now.

Deterministic for a given scale and random seed (dates are relative to today, like the demo seed).
"""
from __future__ import annotations

import random
from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from typing import Any

from sqlalchemy import func, select

from web.codes import DECLINE_REASONS, ENGAGEMENT_OUTCOMES, STAGES
from web.dates import JST, fiscal_year_of, today_jst
from web.extensions import db
from web.models import (
    CapLedger,
    Engagement,
    EngagementRequest,
    ExpertLoad,
    ExpertProfile,
    Issue,
    Municipality,
    SupportProgram,
    User,
    Visit,
    VisitReport,
)
from web.models.base import utcnow
from web.services.booking import plans
from web.services.business_days import current_calendar

#: The e-mail domain of every synthetic account: how `present()` recognises a database that holds the volume.
DOMAIN = "volume.example.jp"
VOLUME_PASSWORD = "volume-password-2026"

_FAMILY = ("佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤", "吉田", "山田", "佐々木",
           "山口", "松本", "井上", "木村", "林", "斎藤", "清水", "工藤", "菅原", "千葉", "阿部")
_GIVEN = ("健一", "陽子", "大輔", "美咲", "翔太", "由美", "拓也", "恵", "誠", "彩", "直樹", "智子", "亮", "真由美",
          "浩二", "香織", "悠斗", "千尋", "修", "明美")
_BIO_TAILS = ("道内外の自治体で伴走支援の経験があります。", "小さく試して広げる進め方を大切にしています。",
              "庁内の合意形成や研修の企画も支援します。", "オンラインでの短時間相談にも対応します。",
              "現地に伺い、業務の流れを一緒に確認します。")
_SUMMARIES = ("現状の業務フローを確認し、課題を三つに整理しました。", "関係課との打合せで、試行の範囲と役割分担を決めました。",
              "試作した画面を職員に使ってもらい、改善点を洗い出しました。", "調達仕様書の素案を確認し、要件の漏れを指摘しました。",
              "データの項目定義を見直し、集計の手順を決めました。", "住民向け説明会の進め方を相談しました。")
_NEXT = ("次回までに関係課へのヒアリングを実施する。", "試行の結果を集計して次回共有する。", "仕様書の修正版を作成する。")
_CANCEL_VISIT = ("町の行事と重なったため", "専門家の体調不良のため", "悪天候のため")
_CANCEL_ENGAGEMENT = ("町の体制変更により支援を一旦終了するため", "予算措置が見送られたため")
_STAGE_ORDER = tuple(STAGES)


def present(scale: int) -> bool:
    """Whether the database holds the demo seed plus exactly the synthetic volume of this scale."""
    if not db.session.scalar(select(func.count()).select_from(Issue)):
        return False
    experts = db.session.scalar(select(func.count()).select_from(User).where(User.email.like(f"%@{DOMAIN}"),
                                                                              User.role == "expert")) or 0
    return experts == _synthetic_expert_count(scale)


def _synthetic_expert_count(scale: int) -> int:
    templates = db.session.scalar(select(func.count()).select_from(ExpertProfile)
                                  .join(User, User.id == ExpertProfile.user_id)
                                  .where(User.email.not_like(f"%@{DOMAIN}"))) or 0
    return templates * max(scale - 1, 0)


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), JST)


class _Builder:
    def __init__(self, scale: int, rng: random.Random) -> None:
        self.extra = max(scale - 1, 0)
        self.rng = rng
        self.today = today_jst()
        self.this_month = self.today.replace(day=1)
        self.now = utcnow()
        self.counts: Counter[str] = Counter()
        self.password_hash = self._hash()
        self.programs = {p.code: p for p in db.session.scalars(select(SupportProgram))}
        self.towns: dict[str, list[Municipality]] = defaultdict(list)
        for town in db.session.scalars(select(Municipality).order_by(Municipality.code)):
            self.towns[town.prefecture_code].append(town)
        self.town_by_code = {t.code: t for ts in self.towns.values() for t in ts}
        self.coordinators = {u.prefecture_code: u for u in db.session.scalars(
            select(User).where(User.role == "coordinator").order_by(User.id.desc()))}
        self.officers = {u.municipality_code: u for u in db.session.scalars(
            select(User).where(User.role == "officer").order_by(User.id.desc()))}
        # (program, town, fiscal year) -> [onsite visits, online minutes] already held (the demo's rows).
        self.cap_tally: dict[tuple[int, str, int], list[int]] = defaultdict(lambda: [0, 0])
        for row in db.session.scalars(select(CapLedger)):
            self.cap_tally[(row.program_id, row.municipality_code, row.fiscal_year)] = [
                row.onsite_used + row.onsite_reserved, row.online_used_minutes + row.online_reserved_minutes]
        self.load: Counter[tuple[int, date]] = Counter()  # (expert, month) -> visits booked
        self.slots: Counter[int] = Counter()  # expert -> engagements assigned (its hour of the day)
        self.business_days: dict[tuple[str, date], list[date]] = {}

    def _hash(self) -> str:
        user = User(email="x@x", role="expert", display_name="x")
        user.set_password(VOLUME_PASSWORD, method="pbkdf2:sha256:1000")
        return user.password_hash

    # ------------------------------------------------------------ people

    def user(self, email: str, role: str, name: str, **scope: Any) -> User:
        user = User(email=email, role=role, display_name=name, password_hash=self.password_hash, active=True,
                    created_at=self.now - timedelta(days=400), **scope)
        db.session.add(user)
        self.counts["user"] += 1
        return user

    def officer_of(self, town: Municipality) -> User:
        officer = self.officers.get(town.code)
        if officer is None:
            officer = self.user(f"officer-{town.code}@{DOMAIN}", "officer", f"{town.name} DX担当",
                                municipality_code=town.code)
            self.officers[town.code] = officer
        return officer

    def experts(self) -> list[ExpertProfile]:
        templates = list(db.session.scalars(select(ExpertProfile).order_by(ExpertProfile.id)))
        made = []
        for n in range(len(templates) * self.extra):
            t = templates[n % len(templates)]
            name = f"{self.rng.choice(_FAMILY)} {self.rng.choice(_GIVEN)}"
            user = self.user(f"expert-{n:04d}@{DOMAIN}", "expert", name)
            confirmed = self.now - timedelta(days=self.rng.choice((3, 20, 45, 90, 120, 150, 170, 200, 260)))
            profile = ExpertProfile(
                user=user, display_name=name, bio=f"{t.bio}\n{self.rng.choice(_BIO_TAILS)}", skills=list(t.skills),
                certifications=list(t.certifications), prefecture_code=t.prefecture_code, home_label=t.home_label,
                lat=t.lat, lon=t.lon, travel_range=t.travel_range,
                monthly_capacity=self.rng.choice((2, 4, 6, 8, 10, 12)), contact_consent=False,
                last_confirmed_at=confirmed, created_at=confirmed - timedelta(days=30), updated_at=self.now)
            profile.roles.update(t.roles)
            profile.sectors.update(t.sectors)
            profile.modes.update(t.modes)
            db.session.add(profile)
            made.append(profile)
        self.counts["expert_profile"] += len(made)
        return made

    # ------------------------------------------------------------ issues

    def issues(self) -> list[Issue]:
        templates = list(db.session.scalars(select(Issue).order_by(Issue.id)))
        made = []
        for n in range(len(templates) * self.extra):
            t = templates[n % len(templates)]
            pool = self.towns[t.municipality.prefecture_code]
            town = self.rng.choice(pool)
            created = self.now - timedelta(days=self.rng.randint(5, 540), hours=self.rng.randint(0, 8))
            issue = Issue(
                municipality_code=town.code, title=f"{t.title[:100]}（{town.name}）", body=t.body, goal=t.goal,
                constraints=t.constraints, budget_deadline=t.budget_deadline, deadline=t.deadline,
                counterpart=t.counterpart, sector=t.sector, stage=t.stage, menu=t.menu, mode=t.mode,
                months=t.months, status="open", created_by=self.officer_of(town), created_at=created,
                updated_at=self.now, published_at=created)
            issue.wanted_roles.update(t.wanted_roles)
            if len(pool) > 1 and self.rng.random() < 0.08:
                issue.co_municipality_codes.add(self.rng.choice([c for c in pool if c.code != town.code]).code)
            db.session.add(issue)
            made.append(issue)
        self.counts["issue"] += len(made)
        return made

    # ------------------------------------------------------------ requests

    def request(self, issue: Issue, expert: ExpertProfile, status: str, created: datetime, *, first_month: date,
                months: int, minutes: int = 120, program: SupportProgram | None = None,
                start_hour: int = 14) -> EngagementRequest:
        created = min(created, self.now - timedelta(minutes=5))
        request = EngagementRequest(
            issue=issue, expert=expert, program=program, requested_by=issue.created_by,
            message="ご相談させてください。", status=status, menu=issue.menu, first_month=first_month,
            months=months, onsite_months=[], weekdays=[], start_time=f"{start_hour:02d}:00",
            duration_minutes=minutes, created_at=created, expires_at=created + timedelta(days=10))
        if status != "pending":
            answered = min(created + timedelta(hours=self.rng.randint(3, 120)), self.now)
            request.responded_at = answered
        if status in ("accepted", "declined"):
            request.answered_by = expert.user
        if status == "declined":
            request.decline_reason = self.rng.choice(tuple(DECLINE_REASONS))
        if status == "expired":
            request.reminded_at = created + timedelta(days=4)
            request.expired_at = request.responded_at = request.expires_at
        db.session.add(request)
        self.counts[f"request_{status}"] += 1
        return request

    def side_requests(self, issue: Issue, experts: list[ExpertProfile], statuses: tuple[str, ...]) -> None:
        chosen = self.rng.sample(experts, len(statuses))
        for expert, status in zip(chosen, statuses, strict=True):
            days_ago = self.rng.randint(1, 5) if status == "pending" else self.rng.randint(20, 200)
            created = _at(self.today - timedelta(days=days_ago), 10)
            self.request(issue, expert, status, created, first_month=plans.add_months(self.this_month, 1),
                         months=min(issue.months, 6))

    # ------------------------------------------------------------ engagements and visits

    def days_of(self, town: str, month: date) -> list[date]:
        key = (town, month)
        if key not in self.business_days:
            self.business_days[key] = current_calendar().business_days_in_month(month.year, month.month, town)
        return self.business_days[key]

    def pick_expert(self, issue: Issue, pool: list[ExpertProfile], months: list[date], per_month: int,
                    taken: set[int]) -> ExpertProfile | None:
        same = [e for e in pool if e.prefecture_code == issue.municipality.prefecture_code]
        for expert in sorted(same + pool, key=lambda e: (self.slots[e.id], self.rng.random())):
            if expert.id in taken or self.slots[expert.id] >= 3:
                continue
            if all(self.load[(expert.id, m)] + per_month <= expert.monthly_capacity for m in months):
                return expert
        return None

    def program_for(self, issue: Issue, visits: list[tuple[datetime, str, int]]) -> SupportProgram | None:
        """The prefecture's own (uncapped) program, else 地域情報化アドバイザー when the town's caps leave room."""
        own = {"01": "hokkaido_accompaniment", "05": "akita_accompaniment"}.get(issue.municipality.prefecture_code)
        if own in self.programs and self.rng.random() < 0.85:
            return self.programs[own]
        mic = self.programs.get("mic_advisor")
        if mic is None or issue.co_municipality_codes:
            return None
        wanted: Counter[tuple[int, str, int]] = Counter()
        minutes: Counter[tuple[int, str, int]] = Counter()
        for starts, mode, duration in visits:
            key = (mic.id, issue.municipality_code, fiscal_year_of(starts.astimezone(JST).date()))
            if mode == "onsite":
                wanted[key] += 1
            else:
                minutes[key] += duration
        onsite_cap, online_cap = mic.max_onsite_visits_per_fy or 0, int((mic.max_online_hours_per_fy or 0) * 60)
        for key in set(wanted) | set(minutes):
            held = self.cap_tally[key]
            if held[0] + wanted[key] > onsite_cap or held[1] + minutes[key] > online_cap:
                return None
        for key in set(wanted) | set(minutes):
            self.cap_tally[key][0] += wanted[key]
            self.cap_tally[key][1] += minutes[key]
        return mic

    def engagement(self, issue: Issue, pool: list[ExpertProfile], kind: str, taken: set[int]) -> Engagement | None:
        """One engagement of `kind` (active, completed, cancelled) with its accepted request and its visits."""
        rng = self.rng
        if kind == "active":
            offset = rng.randint(-11, 0)
            months = min(12, max(rng.randint(6, 12), 1 - offset + rng.randint(0, 3)))
        elif kind == "completed":
            offset = rng.randint(-22, -6)
            months = rng.randint(3, min(12, -offset - 1))
        else:
            offset = rng.randint(-14, -4)
            months = rng.randint(6, 12)
        mic_sized = rng.random() < 0.12 and not issue.co_municipality_codes
        if mic_sized:  # a short 地域情報化アドバイザー style engagement: 1-2 months, one or two visits a month
            months, per_month = min(months, 2), rng.choice((1, 2))
        else:
            per_month = rng.choice((2, 3, 3, 4, 4, 5))
        first = plans.add_months(self.this_month, offset)
        plan_months = [plans.add_months(first, k) for k in range(months)]
        expert = self.pick_expert(issue, pool, plan_months, per_month, taken)
        if expert is None:
            self.counts["engagement_skipped_no_expert"] += 1
            return None
        slot = self.slots[expert.id]
        hour, duration = 9 + 3 * slot, rng.choice((60, 90, 120))
        times: list[tuple[datetime, str, int, int]] = []  # (starts, mode, plan month, minutes)
        for index, month in enumerate(plan_months):
            days = self.days_of(issue.municipality_code, month)
            for k in range(per_month):
                day = days[min(len(days) - 1, k * (len(days) // per_month) + slot)]
                onsite = issue.mode == "onsite" or (issue.mode == "hybrid" and k == 0 and index % 3 == 0)
                times.append((_at(day, hour), "onsite" if onsite else "online", index + 1, duration))
        program = (self.program_for(issue, [(s, m, d) for s, m, _, d in times]) if mic_sized
                   else self.program_for_long(issue))
        taken.add(expert.id)
        self.slots[expert.id] += 1
        for month in plan_months:
            self.load[(expert.id, month)] += per_month

        created = _at(first - timedelta(days=rng.randint(14, 30)), 10)
        request = self.request(issue, expert, "accepted", created, first_month=first, months=months,
                               minutes=duration, program=program, start_hour=hour)
        end = plans.add_months(first, months) - timedelta(days=1)
        engagement = Engagement(
            request=request, issue=issue, expert=expert, program=program, start_on=first, end_on=end,
            status=kind, menu=issue.menu, stage_at_start=issue.stage,
            meeting_url="https://meet.example.jp/volume", created_at=request.responded_at)
        if kind == "completed":
            engagement.outcome = rng.choice(tuple(ENGAGEMENT_OUTCOMES))
            engagement.rating = rng.randint(3, 5)
            engagement.town_comment = "丁寧に伴走していただきました。"
        ended_at = None
        if kind == "cancelled":
            cut = times[min(len(times) - 1, per_month * rng.randint(2, 4))][0]
            ended_at = min(cut - timedelta(days=2), self.now - timedelta(days=1))
            engagement.cancel_reason = rng.choice(_CANCEL_ENGAGEMENT)
            engagement.ended_at = ended_at
        db.session.add(engagement)
        self.counts[f"engagement_{kind}"] += 1
        self.visits(engagement, times, ended_at)
        return engagement

    def program_for_long(self, issue: Issue) -> SupportProgram | None:
        own = {"01": "hokkaido_accompaniment", "05": "akita_accompaniment"}.get(issue.municipality.prefecture_code)
        if own in self.programs and self.rng.random() < 0.85:
            return self.programs[own]
        return None

    def visits(self, engagement: Engagement, times: list[tuple[datetime, str, int, int]],
               ended_at: datetime | None) -> None:
        rng, now = self.rng, self.now
        overdue = engagement.status == "active" and rng.random() < 0.06   # its latest past visit never took place
        unreported = engagement.status == "active" and rng.random() < 0.15  # its latest done visit has no report
        quiet = engagement.status == "active" and rng.random() < 0.05   # nothing took place in the last 100 days
        past = [t for t in times if t[0] + timedelta(minutes=t[3]) < now]
        last_past = past[-1][0] if past else None
        confirmed_ahead = 0
        stage_index = _STAGE_ORDER.index(engagement.stage_at_start)
        done_count = 0
        made: list[Visit] = []
        for starts, mode, plan_month, minutes in times:
            ends = starts + timedelta(minutes=minutes)
            town = engagement.issue.municipality_code
            visit = Visit(engagement=engagement, expert_id=engagement.expert.id, municipality_code=town,
                          starts_at=starts, duration_minutes=minutes, mode=mode,
                          fiscal_year=fiscal_year_of(starts.astimezone(JST).date()), plan_month=plan_month,
                          place=f"{self.town_by_code[town].name}役場" if mode == "onsite" else "",
                          meeting_url="" if mode == "onsite" else engagement.meeting_url,
                          proposed_by="system", created_at=engagement.created_at)
            asked = min(starts - timedelta(days=10), now)
            if ended_at is not None and starts >= ended_at:
                visit.status, visit.cancel_reason, visit.cancelled_at = "cancelled", "支援の終了", ended_at
            elif ends < now:
                if quiet and starts > now - timedelta(days=100):
                    visit.status, visit.cancel_reason = "cancelled", rng.choice(_CANCEL_VISIT)
                    visit.cancelled_at = starts - timedelta(days=2)
                elif overdue and starts == last_past:
                    visit.status = "confirmed"
                elif rng.random() < 0.03:
                    visit.status, visit.cancel_reason = "cancelled", rng.choice(_CANCEL_VISIT)
                    visit.cancelled_at = starts - timedelta(days=3)
                else:
                    visit.status = "done"
            elif starts < now + timedelta(days=30) and confirmed_ahead < 2 or starts <= now:
                visit.status = "confirmed"
                confirmed_ahead += 1
            else:
                visit.status = "proposed"
                if rng.random() < 0.1:
                    visit.proposed_by, visit.sequence = "town", 1
                    visit.town_confirmed_at = asked
            if visit.status in ("confirmed", "done"):
                visit.town_confirmed_at = visit.expert_confirmed_at = asked
            db.session.add(visit)
            made.append(visit)
            self.counts[f"visit_{visit.status}"] += 1
            if visit.status == "done":
                done_count += 1
                stage = _STAGE_ORDER[min(len(_STAGE_ORDER) - 1, stage_index + done_count // 6)]
                if not (unreported and starts == last_past):
                    self.report(visit, engagement, ends, stage)
        self._held.append((engagement, made))

    def report(self, visit: Visit, engagement: Engagement, ends: datetime, stage: str) -> None:
        written = min(ends + timedelta(days=self.rng.choice((0, 1, 2, 6))), self.now)
        report = VisitReport(visit=visit, author_id=engagement.expert.user_id, summary=self.rng.choice(_SUMMARIES),
                             decisions="次の打合せで試行範囲を確定する。", next_actions=self.rng.choice(_NEXT),
                             hours=round(visit.duration_minutes / 60, 2) if visit.mode == "online" else None,
                             stage=stage, created_at=written, updated_at=written)
        if written < self.now - timedelta(days=7) and self.rng.random() < 0.9:
            report.acknowledged_at = written + timedelta(days=1)
            report.acknowledged_by_id = engagement.issue.created_by_id
        db.session.add(report)
        self.counts["visit_report"] += 1

    # ------------------------------------------------------------ the whole build

    def build(self) -> Counter[str]:
        if not self.extra:
            return self.counts
        experts = self.experts()
        issues = self.issues()
        db.session.flush()
        self._held: list[tuple[Engagement, list[Visit]]] = []
        rng = self.rng
        for issue in issues:
            draw = rng.random()
            taken: set[int] = set()
            if draw < 0.05:
                issue.status, issue.published_at = "draft", None
            elif draw < 0.13:  # requests only: some pending, declined, expired, withdrawn
                issue.status = "matching"
                self.side_requests(issue, experts, rng.choice((("pending",), ("pending", "declined"),
                                                               ("expired",), ("declined", "withdrawn", "pending"))))
            elif draw < 0.36:  # engaged: one active engagement (sometimes after a cancelled one), a declined ask
                made = self.engagement(issue, experts, "active", taken)
                if rng.random() < 0.15:
                    self.engagement(issue, experts, "cancelled", taken)
                if rng.random() < 0.3:
                    self.side_requests(issue, [e for e in experts if e.id not in taken], ("declined",))
                issue.status = "engaged" if made is not None else "matching"
            elif draw < 0.44:  # closed: a completed engagement
                made = self.engagement(issue, experts, "completed", taken)
                issue.status = "closed" if made is not None else "open"
            elif rng.random() < 0.06:  # open again after an expired or declined request
                self.side_requests(issue, experts, (rng.choice(("expired", "declined")),))
        db.session.flush()
        for engagement, visits in self._held:
            held = [v for v in visits if v.status != "cancelled"]
            if held:
                plans.hold(held, engagement)
            reported = [v for v in held if v.status == "done" and v.report is not None]
            if reported:
                plans.use_up(reported, engagement)
        db.session.flush()
        return self.counts


def check() -> list[str]:
    """What in the database breaks the booking invariants the schema cannot state on every dialect: the expert
    loads against the visits, the cap ledger's totals against the visits, overlapping visits of one expert (a
    PostgreSQL exclusion constraint, not on SQLite), done visits in the future, proposed ones in the past.
    Empty when all hold. Reads a few thousand rows; checks the demo's rows as well as the synthetic ones."""
    problems: list[str] = []
    now = utcnow()
    rows = db.session.execute(
        select(Visit.id, Visit.expert_id, Visit.starts_at, Visit.ends_at, Visit.status, Visit.mode,
               Visit.reserved_minutes, Engagement.program_id, VisitReport.id)
        .join(Engagement, Engagement.id == Visit.engagement_id)
        .outerjoin(VisitReport, VisitReport.visit_id == Visit.id)).all()
    booked: Counter[tuple[int, date]] = Counter()
    totals: Counter[str] = Counter()
    by_expert: dict[int, list[tuple[datetime, datetime, int]]] = defaultdict(list)
    for visit_id, expert_id, starts, ends, status, mode, minutes, program_id, report_id in rows:
        if status == "done" and ends > now or status == "proposed" and starts < now:
            problems.append(f"a {status} visit at {starts:%Y-%m-%d %H:%M}")
        if status == "cancelled":
            continue
        booked[(expert_id, starts.astimezone(JST).date().replace(day=1))] += 1
        by_expert[expert_id].append((starts, ends, visit_id))
        if program_id is not None:
            state = "used" if report_id is not None else "reserved"
            if mode == "onsite":
                totals[f"onsite_{state}"] += 1
            else:
                totals[f"online_{state}_minutes"] += minutes
    loads = {(row.expert_id, row.month): row.booked for row in db.session.scalars(select(ExpertLoad))}
    for key in set(loads) | set(booked):
        if loads.get(key, 0) != booked.get(key, 0):
            problems.append(f"expert {key[0]} in {key[1]:%Y-%m}: load {loads.get(key, 0)}, visits {booked[key]}")
    ledger = db.session.execute(select(func.sum(CapLedger.onsite_used), func.sum(CapLedger.onsite_reserved),
                                       func.sum(CapLedger.online_used_minutes),
                                       func.sum(CapLedger.online_reserved_minutes))).one()
    names = ("onsite_used", "onsite_reserved", "online_used_minutes", "online_reserved_minutes")
    for name, value in zip(names, ledger, strict=True):
        if (value or 0) != totals[name]:
            problems.append(f"cap ledger {name}: {value or 0}, visits {totals[name]}")
    for expert_id, spans in by_expert.items():
        spans.sort()
        for (_, first_end, first), (second_start, _, second) in pairwise(spans):
            if second_start < first_end:
                problems.append(f"expert {expert_id}: visits {first} and {second} overlap")
    return problems


def build(scale: int, *, seed: int = 20261129) -> Counter[str]:
    """Add the synthetic volume for `scale` to a database holding the demo seed; flush, never commit."""
    return _Builder(scale, random.Random(seed)).build()
