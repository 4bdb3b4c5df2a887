"""The coordinator's dashboard as one typed value: every figure of web/services/progress/*, built for one user and
one set of filters. The number of SQL statements is fixed (one per figure, ten in all plus the calendar of
closure days), whatever the number of issues, requests or visits.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time


from web.dates import JST, today_jst
from web.extensions import db
from web.models import SupportProgram, User
from web.services.errors import NotFound
from web.services.progress.caps import Caps, caps
from web.services.progress.common import Count, narrowed
from web.services.progress.engagement_progress import (
    EngagementCounts,
    EngagementProgress,
    engagement_counts,
    engagement_progress,
    status_counts,
)
from web.services.progress.experts_use import Experts, experts_use
from web.services.progress.pipeline import Pipeline, pipeline
from web.services.progress.scope import ProgressFilters
from web.services.progress.visits_month import VisitsMonth, visits_month
from web.services.validation import InvalidInput


@dataclass(frozen=True)
class Dashboard:
    filters: ProgressFilters
    today: date
    month: date
    pipeline: Pipeline
    engagements: EngagementCounts
    progress: tuple[EngagementProgress, ...]
    progress_by_status: tuple[Count, ...]
    visits_month: VisitsMonth
    caps: Caps
    experts: Experts


def moment_of(today: date | None) -> tuple[date, datetime]:
    """Today (Japan) and now: the real ones, or noon of the given day in Japan (tests and reports of a past day)."""
    if today is None:
        return today_jst(), datetime.now(UTC)
    return today, datetime.combine(today, time(12), JST).astimezone(UTC)


def build_dashboard(user: User, filters: ProgressFilters, *, today: date | None = None,
                    month: date | None = None) -> Dashboard:
    """Every figure for the user and filters (scope checked by scope.parse_filters / check_scope beforehand).

    `month` chooses the month of the visits figure and calendar and of the experts' bookings (default: today's).
    """
    today, now = moment_of(today)
    month = (month or today).replace(day=1)
    filters_in_scope = narrowed(user, filters)
    progress = engagement_progress(user, filters_in_scope, today=today, now=now)
    return Dashboard(
        filters=filters, today=today, month=month,
        pipeline=pipeline(user, filters_in_scope),
        engagements=engagement_counts(user, filters_in_scope),
        progress=tuple(progress),
        progress_by_status=status_counts(progress),
        visits_month=visits_month(user, filters_in_scope, month, now),
        caps=caps(user, filters_in_scope),
        experts=experts_use(user, filters_in_scope, month, now),
    )


def require_program(program_id: int) -> None:
    """The API names a program like a resource: an unknown one is NotFound (404), not a bad value."""
    if db.session.get(SupportProgram, program_id) is None:
        raise NotFound("支援制度が見つかりません。")


def parse_month(raw: str | None) -> date | None:
    """`month=YYYY-MM` (the visits figure and calendar); refused with a Japanese message otherwise."""
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        year, month = raw.split("-")
        if not (year.isascii() and year.isdigit() and month.isascii() and month.isdigit() and len(year) == 4
                and len(month) <= 2):
            raise ValueError
        value = date(int(year), int(month), 1)
    except ValueError:
        raise InvalidInput({"month": ["月は 2026-04 のように「年-月」の半角数字で指定してください。"]}) from None
    if not 2000 <= value.year <= 2100:
        raise InvalidInput({"month": ["月は2000年から2100年の範囲で指定してください。"]})
    return value
