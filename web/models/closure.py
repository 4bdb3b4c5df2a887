"""Town-hall closure days (閉庁日), set by each municipality's ordinance (地方自治法 第4条の2)."""
from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from web.models.base import Base


class ClosureDay(Base):
    """A day of every year on which a municipality's town hall is closed, besides weekends and public holidays.

    A municipality with no rows follows the common rule, 12/29–1/3 (web/services/business_days.py,
    DEFAULT_CLOSURE_DAYS). A municipality with rows follows exactly its rows, so a town closed 12/30–1/4 lists
    those six days, and an Okinawan town lists 12/29–1/3 and 6/23 (慰霊の日). 2/29 counts in leap years only.
    """

    __tablename__ = "closure_day"
    __table_args__ = (
        CheckConstraint("month BETWEEN 1 AND 12", name="month_range"),
        CheckConstraint(
            "day >= 1 AND day <= CASE WHEN month = 2 THEN 29 WHEN month IN (4, 6, 9, 11) THEN 30 ELSE 31 END",
            name="day_in_month",
        ),
        CheckConstraint("length(label) > 0", name="label_not_empty"),
    )

    municipality_code: Mapped[str] = mapped_column(
        ForeignKey("municipality.code", ondelete="CASCADE"), primary_key=True
    )
    month: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    day: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    label: Mapped[str] = mapped_column(String(40))

    def __repr__(self) -> str:
        return f"<ClosureDay {self.municipality_code} {self.month}/{self.day} {self.label}>"
