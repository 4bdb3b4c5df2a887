"""Support programs (支援制度): their caps are data, not code."""
from __future__ import annotations

from sqlalchemy import Boolean, CheckConstraint, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from web.models.base import Base
from web.models.geo import Prefecture


class SupportProgram(Base):
    """A program's caps apply per municipality and fiscal year (April-March); NULL means uncapped."""

    __tablename__ = "support_program"
    __table_args__ = (
        CheckConstraint(
            "max_onsite_visits_per_fy IS NULL OR max_onsite_visits_per_fy > 0", name="onsite_cap_positive"
        ),
        CheckConstraint(
            "max_online_hours_per_fy IS NULL OR max_online_hours_per_fy > 0", name="online_cap_positive"
        ),
        CheckConstraint("max_months IS NULL OR max_months BETWEEN 1 AND 36", name="months_range"),
        CheckConstraint("visits_per_month IS NULL OR visits_per_month > 0", name="visits_per_month_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    owner_prefecture_code: Mapped[str | None] = mapped_column(ForeignKey("prefecture.code"))
    description: Mapped[str] = mapped_column(Text, default="")
    max_onsite_visits_per_fy: Mapped[int | None] = mapped_column(Integer)
    max_online_hours_per_fy: Mapped[float | None] = mapped_column(Float)
    max_months: Mapped[int | None] = mapped_column(Integer)
    visits_per_month: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    owner_prefecture: Mapped[Prefecture | None] = relationship()

    def __repr__(self) -> str:
        return f"<SupportProgram {self.code}>"
