"""The only bridge between the web app and the `matcher` library.

It turns rows into matcher records, keeps one fitted index per process (loaded from the instance folder, kept
fresh by upserting rows changed since the last sync, refitted in the background), and turns the matcher's
candidates back into rows. Pages never fit anything while the user waits: without an index they say so and a
background build starts.
"""
from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TypeVar

from flask import Flask, current_app
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from matcher import (
    AssignmentPlan, Candidate, ExpertRecord, IndexFormatError, IndexVersionError, IssueRecord, JointGroup, Matcher,
    MatcherError, SharedTerm, assign, find_joint_issues, group_terms,
)
from web.extensions import db
from web.models import CandidateCuration, ExpertProfile, Issue, Municipality, ShortlistEntry, User
from web.models.base import utcnow
from web.services.booking import capacity as booking_capacity
from web.services.curation import is_plan_pin
from web.services.errors import ServiceError

logger = logging.getLogger(__name__)

INDEX_DIRNAME = "matcher_index"
SYNC_MARKS_FILE = "web_sync_marks.json"
RANKABLE_STATUSES = ("open", "matching")
#: Shared terms shown per joint-issue group.
JOINT_TERMS = 8


class IndexNotReady(ServiceError):
    """The matching index is being built; the page asks the user to come back shortly."""

    def __init__(self) -> None:
        super().__init__("候補の準備をしています。1分ほどしてから再読み込みしてください。")


# ---------------------------------------------------------------- records


def expert_record(profile: ExpertProfile) -> ExpertRecord:
    """Return the matcher's view of an expert profile."""
    return ExpertRecord(
        id=str(profile.id), text=profile.matching_text or profile.display_name,
        roles=tuple(sorted(profile.roles)), sectors=tuple(sorted(profile.sectors)),
        modes=tuple(sorted(profile.modes)), prefecture=profile.prefecture_code, lat=profile.lat, lon=profile.lon,
        travel_range=profile.travel_range, monthly_capacity=profile.monthly_capacity,
    )


def issue_record(issue: Issue) -> IssueRecord:
    """Return the matcher's view of an issue (located at the owning town hall)."""
    town = issue.municipality
    return IssueRecord(
        id=str(issue.id), text=issue.matching_text, sector=issue.sector, wanted_roles=tuple(sorted(issue.wanted_roles)),
        stage=issue.stage, mode=issue.mode, prefecture=town.prefecture_code, lat=town.lat, lon=town.lon,
        municipality=issue.municipality_code,
    )


Row = TypeVar("Row", ExpertProfile, Issue)
Record = TypeVar("Record", ExpertRecord, IssueRecord)


def _record_or_none(row: Row, make: Callable[[Row], Record]) -> Record | None:
    """Return the matcher's record of a row, or None (logged by id only) when the matcher refuses the row.

    One broken row (e.g. a lone surrogate stored before the input boundary refused it) must never stop ranking
    for everyone: it is left out of the index until it is edited.
    """
    try:
        return make(row)
    except (MatcherError, ValueError) as error:
        logger.warning("matching: %s %s left out of the index (%s)", type(row).__name__, row.id, type(error).__name__)
        return None


def _records(rows: Iterable[Row], make: Callable[[Row], Record]) -> list[Record]:
    return [record for record in (_record_or_none(row, make) for row in rows) if record is not None]


def _rankable_experts() -> list[ExpertProfile]:
    query = (select(ExpertProfile).join(User, User.id == ExpertProfile.user_id).where(User.active.is_(True))
             .options(selectinload(ExpertProfile.role_rows), selectinload(ExpertProfile.sector_rows),
                      selectinload(ExpertProfile.mode_rows)))
    return list(db.session.scalars(query.order_by(ExpertProfile.id)))


def _rankable_issues() -> list[Issue]:
    query = (select(Issue).where(Issue.status.in_(RANKABLE_STATUSES))
             .options(selectinload(Issue.municipality), selectinload(Issue.role_rows)))
    return list(db.session.scalars(query.order_by(Issue.id)))


# ---------------------------------------------------------------- the per-process index


@dataclass
class _IndexHolder:
    matcher: Matcher | None = None
    experts_synced: datetime | None = None
    issues_synced: datetime | None = None
    lock: threading.RLock = field(default_factory=threading.RLock)
    builder: threading.Thread | None = None
    refitter: threading.Thread | None = None
    rankings: _RankingMemo | None = None
    joint: _JointMemo | None = None


@dataclass(frozen=True)
class _RankingMemo:
    """Batch rankings kept for one (index snapshot, remaining capacity, not-reconfirmed experts): any change to
    these makes a new memo; each entry is keyed by the issue, its exclusions and pins, the limit and explain."""

    snapshot: object
    remaining: tuple[tuple[str, int], ...]
    stale: frozenset[str]
    entries: dict[tuple[object, ...], list[Candidate]] = field(default_factory=dict)
    plans: dict[tuple[object, ...], AssignmentPlan] = field(default_factory=dict)

    def matches(self, snapshot: object, remaining: tuple[tuple[str, int], ...], stale: frozenset[str]) -> bool:
        return self.snapshot is snapshot and self.remaining == remaining and self.stale == stale


@dataclass(frozen=True)
class _JointMemo:
    """Joint-issue groups and their shared terms kept for one index snapshot (they depend on nothing else): keyed
    by the ids of the issues searched, and by the issues of a group."""

    snapshot: object
    groups: dict[tuple[str, ...], list[JointGroup]] = field(default_factory=dict)
    terms: dict[tuple[str, ...], list[str]] = field(default_factory=dict)


#: Entries a joint memo holds (per kind) before it is emptied.
JOINT_MEMO_ENTRIES = 2_000
#: Entries a ranking memo holds before it is emptied (a few pages' worth at 10× the demo volume).
RANKING_MEMO_ENTRIES = 20_000
#: Monthly plans a memo holds (one per prefecture and set of curations).
PLAN_MEMO_ENTRIES = 64


def _holder(app: Flask | None = None) -> _IndexHolder:
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    holder = app.extensions.get("matching")
    if holder is None:
        holder = app.extensions.setdefault("matching", _IndexHolder())
    return holder


def index_path(app: Flask | None = None) -> Path:
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    return Path(app.instance_path) / INDEX_DIRNAME


def _latest(model: type[ExpertProfile] | type[Issue]) -> datetime | None:
    return db.session.scalar(select(func.max(model.updated_at)))


def rebuild_index(save: bool = True) -> Matcher:
    """Fit a fresh index on every active expert and every open issue, install it, and persist it."""
    experts, issues = _records(_rankable_experts(), expert_record), _records(_rankable_issues(), issue_record)
    if not experts:
        raise ServiceError("外部人材が登録されていないため、マッチングの索引を作れません。")
    marks = (_latest(ExpertProfile), _latest(Issue))
    fitted = Matcher().fit(experts, issues)
    if save and current_app.config["MATCHER_PERSIST"]:
        _save(fitted, marks)
    holder = _holder()
    with holder.lock:
        holder.matcher, (holder.experts_synced, holder.issues_synced) = fitted, marks
    logger.info("matching index rebuilt: %d experts, %d issues", len(experts), len(issues))
    return fitted


def _save(fitted: Matcher, marks: tuple[datetime | None, datetime | None]) -> None:
    """Persist the index and the row timestamps it reflects, so a restart only syncs what changed since."""
    path = fitted.save(index_path())
    stamps = [m.isoformat() if m else None for m in marks]
    (path / SYNC_MARKS_FILE).write_text(json.dumps({"experts": stamps[0], "issues": stamps[1]}), encoding="utf-8")


def _read_marks(path: Path) -> tuple[datetime | None, datetime | None]:
    try:
        data = json.loads((path / SYNC_MARKS_FILE).read_text(encoding="utf-8"))
        return tuple(datetime.fromisoformat(data[k]) if data.get(k) else None  # type: ignore[return-value]
                     for k in ("experts", "issues"))
    except (OSError, ValueError, KeyError, TypeError):
        return None, None  # unknown: resync every row once


def _load_persisted(holder: _IndexHolder) -> None:
    path = index_path()
    if not current_app.config["MATCHER_PERSIST"] or not path.exists():
        return
    try:
        holder.matcher = Matcher.load(path)
    except (IndexVersionError, IndexFormatError) as error:
        logger.warning("persisted matching index unusable (%s); rebuilding", type(error).__name__)
        return
    holder.experts_synced, holder.issues_synced = _read_marks(path)


def _build_in_background(app: Flask, holder: _IndexHolder) -> None:
    if holder.builder is not None and holder.builder.is_alive():
        return

    def run() -> None:
        with app.app_context():
            try:
                rebuild_index()
            except Exception:  # a job wrapper: log with traceback and carry on
                logger.exception("background build of the matching index failed")
            finally:
                db.session.remove()

    holder.builder = threading.Thread(target=run, name="matcher-build", daemon=True)
    holder.builder.start()


def get_matcher() -> Matcher:
    """Return this process's index, fresh with every row changed since the last call.

    Raises IndexNotReady (and starts a background build) when no index exists yet.
    """
    holder = _holder()
    with holder.lock:
        if holder.matcher is None:
            _load_persisted(holder)
        if holder.matcher is None:
            if current_app.config.get("MATCHER_BUILD_SYNC"):
                rebuild_index(save=False)
            else:
                _build_in_background(current_app._get_current_object(), holder)  # type: ignore[attr-defined]
                raise IndexNotReady()
        changed = _sync(holder)
    if changed:
        _refit_in_background(holder)
    assert holder.matcher is not None
    return holder.matcher


def _sync(holder: _IndexHolder) -> bool:
    """Upsert experts and issues changed since the last sync; return whether anything changed."""
    matcher = holder.matcher
    assert matcher is not None
    changed = False
    expert_query = select(ExpertProfile).join(User, User.id == ExpertProfile.user_id)
    if holder.experts_synced is not None:
        expert_query = expert_query.where(ExpertProfile.updated_at > holder.experts_synced)
    for profile in db.session.scalars(expert_query):
        changed |= _apply_expert(matcher, profile)
        holder.experts_synced = max(filter(None, (holder.experts_synced, profile.updated_at)))
    issue_query = select(Issue).options(selectinload(Issue.municipality))
    if holder.issues_synced is not None:
        issue_query = issue_query.where(Issue.updated_at > holder.issues_synced)
    for issue in db.session.scalars(issue_query):
        changed |= _apply_issue(matcher, issue)
        holder.issues_synced = max(filter(None, (holder.issues_synced, issue.updated_at)))
    return changed


def _apply_expert(matcher: Matcher, profile: ExpertProfile) -> bool:
    key = str(profile.id)
    record = _record_or_none(profile, expert_record) if profile.user.active and profile.roles else None
    if record is not None:
        matcher.upsert_expert(record)
        return True
    if key in matcher.experts_.slots:
        matcher.remove_expert(key)
        return True
    return False


def _apply_issue(matcher: Matcher, issue: Issue) -> bool:
    key = str(issue.id)
    record = _record_or_none(issue, issue_record) if issue.status in RANKABLE_STATUSES else None
    if record is not None:
        matcher.upsert_issue(record)
        return True
    if key in matcher.issues_.slots:
        matcher.remove_issue(key)
        return True
    return False


def _refit_in_background(holder: _IndexHolder) -> None:
    """Refit after upserts so new words get weights; readers keep the old snapshot meanwhile."""
    if current_app.config.get("MATCHER_BUILD_SYNC"):
        return  # tests and CLI: upserts are enough, no threads
    if holder.refitter is not None and holder.refitter.is_alive():
        return
    matcher = holder.matcher
    assert matcher is not None
    holder.refitter = threading.Thread(target=matcher.refit, name="matcher-refit", daemon=True)
    holder.refitter.start()


def reset_index(app: Flask) -> None:
    """Forget this process's index (tests, or after restoring a database)."""
    app.extensions.pop("matching", None)


# ---------------------------------------------------------------- capacity


def remaining_capacity(expert_ids: Iterable[int] | None = None) -> dict[str, int]:
    """Return each expert's free visits this month: the booking service's load (capacity minus visits booked)."""
    return booking_capacity.remaining_this_month(expert_ids)


def not_reconfirmed(expert_ids: Iterable[int] | None = None) -> set[str]:
    """Return the ids of experts not reconfirmed for RECONFIRM_AFTER_DAYS: not recommended until they reconfirm."""
    cutoff = utcnow() - timedelta(days=current_app.config["RECONFIRM_AFTER_DAYS"])
    query = select(ExpertProfile.id).where(ExpertProfile.last_confirmed_at <= cutoff)
    if expert_ids is not None:
        query = query.where(ExpertProfile.id.in_(list(expert_ids)))
    return {str(pk) for pk in db.session.scalars(query)}


# ---------------------------------------------------------------- candidates for an issue


@dataclass
class CandidateFilters:
    """Optional filters on the candidate list (all empty = no filter)."""

    roles: Collection[str] = ()
    modes: Collection[str] = ()
    travel_ranges: Collection[str] = ()
    min_remaining: int = 0


@dataclass(kw_only=True)
class MatchView:
    """What every ranked result shows: the score, its named parts, and the reasons in Japanese."""

    score: float
    parts: dict[str, float]
    reasons: tuple[str, ...]
    unmet: tuple[str, ...]


@dataclass(kw_only=True)
class CandidateView(MatchView):
    """A ranked expert for one issue, with everything the page and the API show."""

    expert: ExpertProfile
    shared_terms: tuple[SharedTerm, ...]
    remaining: int
    curation: CandidateCuration | None = None
    shortlisted: bool = False

    @property
    def pinned(self) -> bool:
        return self.curation is not None and self.curation.action == "pin"


def _filtered_out(filters: CandidateFilters, remaining: dict[str, int]) -> set[str]:
    """Return the ids of experts the mode/travel/capacity filters leave out."""
    out: set[str] = set()
    if not (filters.modes or filters.travel_ranges or filters.min_remaining):
        return out
    for profile in _rankable_experts():
        key = str(profile.id)
        if filters.modes and not set(filters.modes) & set(profile.modes):
            out.add(key)
        elif filters.travel_ranges and profile.travel_range not in filters.travel_ranges:
            out.add(key)
        elif remaining.get(key, 0) < filters.min_remaining:
            out.add(key)
    return out


def rank_candidates(issue: Issue, limit: int = 10, filters: CandidateFilters | None = None,
                    include_excluded: bool = False) -> list[CandidateView]:
    """Rank experts for an issue: pinned ones first, excluded ones left out (or listed last if asked)."""
    filters = filters or CandidateFilters()
    matcher = get_matcher()
    remaining = remaining_capacity()
    curations = {str(c.expert_id): c for c in db.session.scalars(
        select(CandidateCuration).where(CandidateCuration.issue_id == issue.id))}
    excluded = {k for k, c in curations.items() if c.action == "exclude"}
    pinned = {k for k, c in curations.items() if c.action == "pin"}
    skip = _filtered_out(filters, remaining) | not_reconfirmed() | (set() if include_excluded else excluded)
    roles = set(filters.roles) or None
    try:
        record = issue_record(issue)
        ranked = matcher.rank_experts(record, top=limit, remaining_capacity=remaining, roles=roles, exclude=skip)
        missing_pins = pinned - {c.id for c in ranked} - skip
        if missing_pins:
            others = set(matcher.expert_ids) - missing_pins
            ranked += matcher.rank_experts(record, top=len(missing_pins), remaining_capacity=remaining,
                                           exclude=others)
    except MatcherError as error:
        logger.warning("ranking failed for issue %s: %s", issue.id, type(error).__name__)
        raise ServiceError("候補を計算できませんでした。課題の内容を確認してください。") from error
    ranked.sort(key=lambda c: (c.id not in pinned, c.id in excluded, -c.score, c.id))
    return _views(issue.id, ranked, remaining, curations)


def _views(issue_id: int, ranked: Sequence[Candidate], remaining: dict[str, int],
           curations: dict[str, CandidateCuration]) -> list[CandidateView]:
    profiles = _profiles([int(c.id) for c in ranked])
    shortlisted = set(db.session.scalars(select(ShortlistEntry.expert_id).where(ShortlistEntry.issue_id == issue_id)))
    return _make_views(ranked, profiles, remaining, curations, shortlisted)


def top_candidates(issues: Sequence[Issue], limit: int = 3, *,
                   explain: bool = False) -> dict[int, list[CandidateView]]:
    """Rank experts for many issues in ONE batch call to the matcher: the same lists as ``rank_candidates(issue,
    limit)`` per issue (pinned first, excluded and not-reconfirmed experts left out), with capacity, curations,
    reconfirmation, shortlists and profiles each read once for all the issues.

    Reasons and shared terms are built only with ``explain=True`` (the overview and the plan show names and
    scores). An issue the matcher refuses (a broken row) gets an empty list instead of failing the whole page.
    Rankings are kept per process while the index snapshot, the remaining capacity and the reconfirmations stay
    the same (_ranking_memo): a page asked again ranks only the issues it has not ranked yet.
    """
    if not issues:
        return {}
    rankable, rankings, remaining, curations = _batch_rankings(issues, limit, explain)
    ids = [issue.id for issue in issues]
    # Names and roles are what batch pages show: the other relations stay lazy (loaded only if a page reads them).
    profiles = _profiles({int(c.id) for ranked in rankings for c in ranked}, full=False)
    shortlisted: dict[int, set[int]] = {}
    for issue_id, expert_id in db.session.execute(select(ShortlistEntry.issue_id, ShortlistEntry.expert_id).where(
            ShortlistEntry.issue_id.in_(ids))):
        shortlisted.setdefault(issue_id, set()).add(expert_id)
    views: dict[int, list[CandidateView]] = {issue.id: [] for issue in issues}
    for (issue, _), ranked in zip(rankable, rankings):
        views[issue.id] = _make_views(ranked, profiles, remaining, curations.get(issue.id, {}),
                                      shortlisted.get(issue.id, set()))
    return views


def best_candidates(issues: Sequence[Issue]) -> dict[int, Candidate | None]:
    """The best-ranked expert of each issue (as `top_candidates(issues, 1)` ranks them), without loading profiles:
    for figures that need only the score (the dashboard's supply gaps)."""
    if not issues:
        return {}
    rankable, rankings, _, _ = _batch_rankings(issues, 1, False)
    best: dict[int, Candidate | None] = {issue.id: None for issue in issues}
    best.update({issue.id: ranked[0] for (issue, _), ranked in zip(rankable, rankings) if ranked})
    return best


def _batch_rankings(issues: Sequence[Issue], limit: int, explain: bool) -> tuple[
        list[tuple[Issue, IssueRecord | str]], list[list[Candidate]], dict[str, int],
        dict[int, dict[str, CandidateCuration]]]:
    """The batch ranking behind `top_candidates`: (rankable issues, their rankings sorted pins first, remaining
    capacity, curations by issue)."""
    matcher = get_matcher()
    remaining = remaining_capacity()
    ids = [issue.id for issue in issues]
    curations: dict[int, dict[str, CandidateCuration]] = {}
    for row in db.session.scalars(select(CandidateCuration).where(CandidateCuration.issue_id.in_(ids))):
        curations.setdefault(row.issue_id, {})[str(row.expert_id)] = row
    stale = not_reconfirmed()
    indexed = matcher.issues_.slots
    rankable: list[tuple[Issue, IssueRecord | str]] = []
    for issue in issues:
        # An issue already in the index (synced by get_matcher) is ranked from its stored row: no tokenising.
        query = str(issue.id) if str(issue.id) in indexed else _record_or_none(issue, issue_record)
        if query is not None:
            rankable.append((issue, query))
    excluded = [frozenset(k for k, c in curations.get(i.id, {}).items() if c.action == "exclude") for i, _ in rankable]
    pins = [frozenset(k for k, c in curations.get(i.id, {}).items() if c.action == "pin") for i, _ in rankable]
    memo = _ranking_memo(matcher, remaining, stale)
    keys = [(query, limit, explain, skip, pinned) if isinstance(query, str) else None
            for (_, query), skip, pinned in zip(rankable, excluded, pins)]
    kept = {n: found for n, key in enumerate(keys) if key is not None and (found := memo.entries.get(key)) is not None}
    todo = [n for n in range(len(rankable)) if n not in kept]
    try:
        fresh = matcher.rank_experts_batch(
            [rankable[n][1] for n in todo], top=limit, remaining_capacity=remaining, explain=explain,
            exclude=[stale | excluded[n] for n in todo], also=[pins[n] for n in todo]) if todo else []
    except MatcherError as error:
        logger.warning("batch ranking failed for %d issues: %s", len(todo), type(error).__name__)
        raise ServiceError("候補を計算できませんでした。課題の内容を確認してください。") from error
    if len(memo.entries) + len(todo) > RANKING_MEMO_ENTRIES:
        memo.entries.clear()
    for n, ranked in zip(todo, fresh):
        if keys[n] is not None:
            memo.entries[keys[n]] = ranked
    kept.update(zip(todo, fresh))
    rankings = [list(kept[n]) for n in range(len(rankable))]  # copies: the memo's lists are never sorted in place
    for ranked, pinned in zip(rankings, pins):
        ranked.sort(key=lambda c, pinned=pinned: (c.id not in pinned, -c.score, c.id))
    return rankable, rankings, remaining, curations


def _ranking_memo(matcher: Matcher, remaining: dict[str, int], stale: set[str]) -> _RankingMemo:
    """Return this process's memo of batch rankings for the current snapshot, capacity and reconfirmations.

    Rankings are pure functions of these and of each issue's exclusions and pins (in the entry's key), so a page
    asked again before anything changed reuses them; any booking, profile or issue change starts a new memo.
    """
    holder = _holder()
    fingerprint, stale_set = tuple(sorted(remaining.items())), frozenset(stale)
    memo = holder.rankings
    if memo is None or not memo.matches(matcher.snapshot, fingerprint, stale_set):
        memo = holder.rankings = _RankingMemo(matcher.snapshot, fingerprint, stale_set)
    return memo


def _profiles(ids: Collection[int], full: bool = True) -> dict[int, ExpertProfile]:
    if not ids:
        return {}
    options = [selectinload(ExpertProfile.role_rows)]
    if full:
        options += [selectinload(ExpertProfile.mode_rows), selectinload(ExpertProfile.sector_rows),
                    selectinload(ExpertProfile.prefecture)]
    return {p.id: p for p in db.session.scalars(
        select(ExpertProfile).where(ExpertProfile.id.in_(list(ids))).options(*options))}


def _make_views(ranked: Sequence[Candidate], profiles: dict[int, ExpertProfile], remaining: dict[str, int],
                curations: dict[str, CandidateCuration], shortlisted: Collection[int]) -> list[CandidateView]:
    return [
        CandidateView(expert=profiles[int(c.id)], score=round(c.score, 4), parts=dict(c.parts), reasons=c.reasons,
                      unmet=c.unmet, shared_terms=c.shared_terms, remaining=remaining.get(c.id, 0),
                      curation=curations.get(c.id), shortlisted=int(c.id) in shortlisted)
        for c in ranked if int(c.id) in profiles
    ]


@dataclass(frozen=True)
class ShortlistItem:
    """An expert on an issue's shortlist, with the coordinator's exclusion of them for it (if any), and whether
    they are left out of the candidates until they reconfirm their availability."""

    expert: ExpertProfile
    exclusion: CandidateCuration | None
    not_reconfirmed: bool = False


def exclusions(issue: Issue) -> list[CandidateCuration]:
    """Return the coordinators' exclusions for an issue, newest first: the reason is promised to the town."""
    query = (select(CandidateCuration).where(CandidateCuration.issue_id == issue.id,
                                             CandidateCuration.action == "exclude")
             .options(selectinload(CandidateCuration.expert), selectinload(CandidateCuration.curated_by))
             .order_by(CandidateCuration.created_at.desc(), CandidateCuration.expert_id))
    return list(db.session.scalars(query))


def shortlist(issue: Issue) -> list[ShortlistItem]:
    """Return every expert on the issue's shortlist in the order added, ranked or not, excluded or not."""
    excluded = {c.expert_id: c for c in exclusions(issue)}
    entries = list(db.session.scalars(select(ShortlistEntry).where(ShortlistEntry.issue_id == issue.id)
                                      .options(selectinload(ShortlistEntry.expert))
                                      .order_by(ShortlistEntry.created_at, ShortlistEntry.expert_id)))
    stale = not_reconfirmed(entry.expert_id for entry in entries)
    return [ShortlistItem(entry.expert, excluded.get(entry.expert_id), str(entry.expert_id) in stale)
            for entry in entries]


# ---------------------------------------------------------------- issues for an expert


@dataclass(kw_only=True)
class IssueMatchView(MatchView):
    """A recommended issue for an expert."""

    issue: Issue


def recommend_issues(profile: ExpertProfile, limit: int = 10) -> list[IssueMatchView]:
    """Rank open issues for an expert, two-sided: a match only one side would want ranks lower."""
    matcher = get_matcher()
    try:
        ranked = matcher.rank_issues(expert_record(profile), top=limit, two_sided=True)
    except MatcherError as error:
        logger.warning("recommendations failed for expert %s: %s", profile.id, type(error).__name__)
        raise ServiceError("おすすめを計算できませんでした。プロフィールの内容を確認してください。") from error
    issues = {i.id: i for i in db.session.scalars(select(Issue).where(
        Issue.id.in_([int(c.id) for c in ranked]), Issue.status.in_(RANKABLE_STATUSES)).options(
        selectinload(Issue.municipality)))}
    return [IssueMatchView(issue=issues[int(c.id)], score=round(c.score, 4), parts=dict(c.parts), reasons=c.reasons,
                           unmet=c.unmet) for c in ranked if int(c.id) in issues]


# ---------------------------------------------------------------- coordinator: plan and joint issues


def _open_issue_ids(prefecture_code: str) -> list[str]:
    towns = select(Municipality.code).where(Municipality.prefecture_code == prefecture_code)
    ids = db.session.scalars(select(Issue.id).where(Issue.status == "open", Issue.municipality_code.in_(towns)))
    return [str(i) for i in ids]


def monthly_plan(prefecture_code: str) -> AssignmentPlan:
    """Propose this month's capacity-respecting assignment for the prefecture's open issues.

    A pinned expert is the plan's choice for that issue (using one of their slots); excluded pairs are never
    proposed, nor experts not reconfirmed for RECONFIRM_AFTER_DAYS (their pins wait until they reconfirm).
    """
    matcher = get_matcher()
    ids = [i for i in _open_issue_ids(prefecture_code) if i in matcher.issues_.slots]
    excluded = set(db.session.execute(select(CandidateCuration.issue_id, CandidateCuration.expert_id).where(
        CandidateCuration.action == "exclude")).all())
    pins = plan_pins([int(i) for i in ids])
    stale = not_reconfirmed()
    free = remaining_capacity()
    remaining = {key: 0 if key in stale else left for key, left in free.items()}
    exclude_pairs = {(str(i), str(e)) for i, e in excluded}
    fixed_pairs = {str(i): str(c.expert_id) for i, c in pins.items() if str(c.expert_id) not in stale}
    # The same plan while nothing it depends on changed (see _ranking_memo): kept per process.
    plans = _ranking_memo(matcher, free, stale).plans
    key = (tuple(ids), frozenset(exclude_pairs), tuple(sorted(fixed_pairs.items())))
    plan = plans.get(key)
    if plan is None:
        if len(plans) >= PLAN_MEMO_ENTRIES:
            plans.clear()
        plan = plans[key] = assign(matcher, ids, remaining, two_sided=True, exclude_pairs=exclude_pairs,
                                   fixed_pairs=fixed_pairs)
    return plan


def plan_pins(issue_ids: Collection[int]) -> dict[int, CandidateCuration]:
    """Return the pin the plan keeps for each issue: a hand-set pin before a plan pin, then the newest."""
    rows = db.session.scalars(select(CandidateCuration).where(
        CandidateCuration.action == "pin", CandidateCuration.issue_id.in_(list(issue_ids))).order_by(
        CandidateCuration.created_at, CandidateCuration.expert_id))
    pins: dict[int, CandidateCuration] = {}
    for row in rows:
        kept = pins.get(row.issue_id)
        if kept is None or is_plan_pin(kept) or not is_plan_pin(row):
            pins[row.issue_id] = row
    return pins


def joint_groups(prefecture_code: str) -> list[JointGroup]:
    """Return groups of open issues in different towns of the prefecture that describe the same need."""
    return _joint_groups(get_matcher(), prefecture_code)


def _joint_groups(matcher: Matcher, prefecture_code: str) -> list[JointGroup]:
    return find_joint_groups(matcher, _open_issue_ids(prefecture_code))


def _joint_memo(matcher: Matcher) -> _JointMemo:
    holder = _holder()
    memo = holder.joint
    if memo is None or memo.snapshot is not matcher.snapshot:
        memo = holder.joint = _JointMemo(matcher.snapshot)
    return memo


def find_joint_groups(matcher: Matcher, issue_ids: Iterable[str]) -> list[JointGroup]:
    """Return the joint-issue groups among the given (indexed) issues, kept per index snapshot.

    Found without shared terms: those are explained only for the groups shown (`joint_terms`).
    """
    ids = tuple(sorted({i for i in issue_ids if i in matcher.issues_.slots}, key=int))
    if len(ids) < 2:
        return []
    memo = _joint_memo(matcher)
    found = memo.groups.get(ids)
    if found is None:
        if len(memo.groups) >= JOINT_MEMO_ENTRIES:
            memo.groups.clear()
        found = memo.groups[ids] = find_joint_issues(matcher, list(ids), top_terms=0)
    return found


def joint_terms(matcher: Matcher, group: JointGroup) -> list[str]:
    """Return the terms that carry a group's similarity (at most JOINT_TERMS), kept per index snapshot."""
    memo = _joint_memo(matcher)
    key = tuple(group.issue_ids)
    terms = memo.terms.get(key)
    if terms is None:
        if len(memo.terms) >= JOINT_MEMO_ENTRIES:
            memo.terms.clear()
        terms = memo.terms[key] = list(group_terms(matcher, group, limit=JOINT_TERMS))
    return list(terms)


@dataclass
class PlanRow:
    """One issue of the plan: the proposed expert, their fit (0-1), alternatives, and the pin it keeps."""

    issue: Issue
    expert: ExpertProfile
    score: float
    alternatives: list[CandidateView]
    pin: CandidateCuration | None = None

    @property
    def locked(self) -> bool:
        """A pin the coordinator set by hand: the plan keeps it and offers no other choice."""
        return self.pin is not None and not is_plan_pin(self.pin)


def plan_context(plan: AssignmentPlan) -> dict[str, object]:
    """Return the rows and objects the plan page shows (issues, experts, alternatives, the mean fit 0-100)."""
    issue_ids = {int(a.issue_id) for a in plan.assignments} | {int(u.issue_id) for u in plan.unassigned}
    issues = {i.id: i for i in db.session.scalars(select(Issue).where(Issue.id.in_(issue_ids)).options(
        selectinload(Issue.municipality)))}
    expert_ids = {int(a.expert_id) for a in plan.assignments}
    experts = {e.id: e for e in db.session.scalars(select(ExpertProfile).where(ExpertProfile.id.in_(expert_ids)))}
    pins = plan_pins(issue_ids)
    kept: dict[int, CandidateCuration | None] = {}
    for a in plan.assignments:
        pin = pins.get(int(a.issue_id))
        kept[int(a.issue_id)] = pin if pin is not None and str(pin.expert_id) == a.expert_id else None
    # Alternatives for every row the coordinator may change (not a hand-set pin): one batch ranking.
    open_rows = [issues[i] for i, pin in kept.items() if pin is None or is_plan_pin(pin)]
    alternatives = top_candidates(open_rows, limit=5)
    rows = [PlanRow(issues[int(a.issue_id)], experts[int(a.expert_id)], round(a.score, 3),
                    alternatives.get(int(a.issue_id), []), kept[int(a.issue_id)]) for a in plan.assignments]
    unassigned = [(issues[int(u.issue_id)], u.reason) for u in plan.unassigned]
    mean = round(100 * plan.total_score / len(rows)) if rows else None
    return {"rows": rows, "unassigned": unassigned, "mean_score": mean}


@dataclass
class JointGroupView:
    issues: list[Issue]
    similarity: float
    shared_terms: list[str]


def joint_group_views(prefecture_code: str) -> list[JointGroupView]:
    """Return the joint-issue groups with their issue rows and the terms they share."""
    matcher = get_matcher()
    groups = _joint_groups(matcher, prefecture_code)
    ids = {int(i) for g in groups for i in g.issue_ids}
    issues = {i.id: i for i in db.session.scalars(select(Issue).where(Issue.id.in_(ids)).options(
        selectinload(Issue.municipality)))}
    return [JointGroupView([issues[int(i)] for i in group.issue_ids], group.similarity, joint_terms(matcher, group))
            for group in groups]
