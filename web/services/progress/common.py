"""Shared pieces of the progress figures: labelled counts, duration summaries (median / p90) and the scope helpers
every figure uses (which engagements, towns and experts the user's filters cover, as SQL subqueries)."""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from statistics import median

from sqlalchemy import Select, select

from web.dates import JST
from web.models import Engagement, User
from web.services.progress.scope import ProgressFilters, expert_ids_query, issue_ids_query


@dataclass(frozen=True)
class Count:
    """One bar of a figure: a stable code, its Japanese label and the count."""

    key: str
    label: str
    count: int


@dataclass(frozen=True)
class Durations:
    """How long something took, over `count` cases: the median and the 90th percentile (nearest rank)."""

    count: int
    median: float | None
    p90: float | None
    unit: str  # "days" or "hours"

    @property
    def unit_label(self) -> str:
        return "日" if self.unit == "days" else "時間"


def summarise(values: Iterable[float], unit: str) -> Durations:
    """Median and nearest-rank 90th percentile of durations, rounded to 0.1 (None when there are none).

    Computed in Python from the one durations column a figure's query returns: PostgreSQL has
    percentile_cont but SQLite has no percentile function, and the column is small (one value per issue or request).
    """
    ordered = sorted(values)
    if not ordered:
        return Durations(0, None, None, unit)
    rank = max(1, math.ceil(0.9 * len(ordered)))
    return Durations(len(ordered), round(median(ordered), 1), round(ordered[rank - 1], 1), unit)


def counts(found: Mapping[str, int], labels: Mapping[str, str]) -> tuple[Count, ...]:
    """Every code of a vocabulary in its order, with 0 for the codes the query did not return."""
    return tuple(Count(key, label, int(found.get(key, 0))) for key, label in labels.items())


def narrowed(user: User, filters: ProgressFilters) -> ProgressFilters:
    """An officer's figures always cover their own town (scope.check_scope already refused any other)."""
    if user.role == "officer" and filters.municipality_code is None:
        return replace(filters, municipality_code=user.municipality_code)
    return filters


def engagement_ids_query(user: User, filters: ProgressFilters) -> Select[int]:
    """The engagements the figures count: on a visible, filtered issue, of the program filter, an expert's own."""
    query = select(Engagement.id).where(Engagement.issue_id.in_(issue_ids_query(user, filters)))
    if filters.program_id is not None:
        query = query.where(Engagement.program_id == filters.program_id)
    mine = expert_ids_query(user)
    if mine is not None:
        query = query.where(Engagement.expert_id.in_(mine))
    return query


def jst_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), JST)


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """[first day, first day of the next month) of a month, as aware JST midnights."""
    first = month.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return jst_midnight(first), jst_midnight(following)


