"""An expert's availability: booked visits per month against their capacity, and dates they cannot take visits."""
from __future__ import annotations

from datetime import date

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from web.models.base import Base


class ExpertLoad(Base):
    """Visits booked for one expert in one month (Japan time), never more than the capacity copied into the row.

    Like the cap ledger, writers change `booked` with one conditional UPDATE each
    (web.services.booking.capacity), so concurrent plans cannot together overbook an expert.
    """

    __tablename__ = "expert_load"
    __table_args__ = (
        UniqueConstraint("expert_id", "month", name="uq_expert_load_expert_month"),
        CheckConstraint("booked >= 0", name="booked_not_negative"),
        CheckConstraint("capacity >= 0", name="capacity_not_negative"),
        CheckConstraint("booked <= capacity", name="booked_within_capacity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert_profile.id", ondelete="CASCADE"), index=True)
    #: The first day of the month.
    month: Mapped[date] = mapped_column(Date)
    booked: Mapped[int] = mapped_column(Integer, default=0)
    #: The expert's monthly capacity when the row was last booked against.
    capacity: Mapped[int] = mapped_column(Integer, default=0)

    def __repr__(self) -> str:
        return f"<ExpertLoad {self.expert_id} {self.month:%Y-%m} {self.booked}/{self.capacity}>"


class UnavailableDay(Base):
    """A date on which an expert takes no visits (declared by the expert)."""

    __tablename__ = "unavailable_day"

    expert_id: Mapped[int] = mapped_column(ForeignKey("expert_profile.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    note: Mapped[str] = mapped_column(String(100), default="", server_default="")

    def __repr__(self) -> str:
        return f"<UnavailableDay {self.expert_id} {self.day}>"
