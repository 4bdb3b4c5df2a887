"""The anonymised open-data table: engagements and their outcomes per month, municipality code, sector and role.

One aggregate query (GROUP BY month × town × sector × expert role, the month a CASE over the fiscal year's twelve
months computed in Python, so SQLite and PostgreSQL agree). No name, e-mail, phone, id or free text is selected:
only controlled codes (municipality, sector, role), their official labels and counts. Then small counts are
suppressed (docs/opendata.md):

- primary: a count of 1 or 2 is published blank (0 is published: it names nobody);
- secondary: in each row the engagements column is the sum of the five status columns; when any of them is
  blank, the total is blanked too. A total next to blanks gives them back whenever it pins them (3 = 1+1+1,
  5 = 1+1+3, and a part blanked to protect a lone blank is known to be ≥ 3, so 4 = 1+3), and any rule choosing
  which further part to blank by its value tells an outsider something about the values.
No totals across rows are published (an engagement counts under each role its expert holds, so rows over roles
do not add up to engagements anyway).
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import case, func, select

from web.codes import ROLES, SECTORS
from web.extensions import db
from web.models import Engagement, ExpertRole, Issue, Municipality, User
from web.services.errors import NotFound
from web.services.progress.scope import ProgressFilters, issue_ids_query
from web.services.validation import InvalidInput

#: Counts below this (and above 0) are suppressed.
MIN_COUNT = 3
HEADINGS = ("年月", "市町村コード", "市町村名", "分野コード", "分野", "役割コード", "役割", "支援件数", "支援中",
            "完了（解決した）", "完了（一部解決した）", "完了（解決しなかった）", "中止")


@dataclass(frozen=True)
class OpenDataRow:
    month: str
    municipality_code: str
    municipality_name: str
    sector: str
    role: str
    counts: tuple[int | None, ...]  # engagements, active, solved, partly, not_solved, cancelled (None = suppressed)

    def as_row(self) -> tuple[Any, ...]:
        return (self.month, self.municipality_code, self.municipality_name, self.sector, SECTORS[self.sector],
                self.role, ROLES[self.role], *self.counts)


def _months(fiscal_year: int) -> list[date]:
    return [date(fiscal_year + (m < 4), m, 1) for m in (*range(4, 13), 1, 2, 3)]


def _month_key(filters: ProgressFilters) -> Any:
    months = _months(filters.fiscal_year)
    following = [*months[1:], date(filters.fiscal_year + 1, 4, 1)]
    return case(*((Engagement.start_on < nxt, first.strftime("%Y-%m")) for first, nxt in zip(months, following)),
                else_="")


def suppress(counts: tuple[int, ...]) -> tuple[int | None, ...]:
    """Primary suppression (1–2 → None), then secondary within the row: the total goes blank with any part.

    The blank parts are then only known to be 1 or 2 each; with no total (and no totals across rows) nothing
    ties them to the shown parts. Whether the total is blank depends only on whether a part is, which the
    published row shows anyway.
    """
    shown: list[int | None] = [None if 0 < n < MIN_COUNT else n for n in counts]
    if any(value is None for value in shown[1:]):
        shown[0] = None
    return tuple(shown)


def opendata_rows(user: User, filters: ProgressFilters) -> Iterator[OpenDataRow]:
    """The suppressed table for the filters (engagements that started in the fiscal year)."""
    if user.role not in ("coordinator", "officer", "admin"):
        raise NotFound("オープンデータは見つかりません。")
    if filters.program_id is not None:
        # Rows are not per program: the difference between the table with and without a program filter would give
        # back the counts suppressed in the other programs (differencing), so the filter is refused.
        raise InvalidInput({"program_id": [("オープンデータは支援制度で絞り込めません（制度の有無で比べると、"
                                            "秘匿した小さな数が引き算で分かってしまうため）。")]})
    month = _month_key(filters)
    status = Engagement.status

    def count_when(condition: Any) -> Any:
        return func.sum(case((condition, 1), else_=0))

    query = (select(month, Issue.municipality_code, Municipality.name, Issue.sector, ExpertRole.role,
                    func.count(Engagement.id), count_when(status == "active"),
                    count_when(Engagement.outcome == "solved"), count_when(Engagement.outcome == "partly"),
                    count_when(Engagement.outcome == "not_solved"), count_when(status == "cancelled"))
             .join(Issue, Issue.id == Engagement.issue_id)
             .join(Municipality, Municipality.code == Issue.municipality_code)
             .join(ExpertRole, ExpertRole.expert_id == Engagement.expert_id)
             .where(Engagement.issue_id.in_(issue_ids_query(user, filters)),
                    Engagement.start_on >= filters.fy_start, Engagement.start_on <= filters.fy_end)
             .group_by(month, Issue.municipality_code, Municipality.name, Issue.sector, ExpertRole.role)
             .order_by(month, Issue.municipality_code, Issue.sector, ExpertRole.role))
    result = db.session.execute(query)
    return (OpenDataRow(row[0], row[1], row[2], row[3], row[4], suppress(tuple(int(n or 0) for n in row[5:])))
            for row in result)
