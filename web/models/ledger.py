"""The cap ledger (上限の台帳): one row per support program × municipality × fiscal year.

The database holds the invariant: what is used (reported visits) plus what is reserved (accepted plans not yet
reported) never exceeds the cap copied into the row, for on-site visits and for online minutes; a NULL cap means
no limit. Writers change the counts with one conditional UPDATE each (web.services.ledger), so concurrent plans
cannot together break a cap.
"""
from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, Integer, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from web.models.base import Base
from web.models.program import SupportProgram


class CapLedger(Base):
    """Used and reserved on-site visits and online minutes of one town under one program in one fiscal year."""

    __tablename__ = "cap_ledger"
    __table_args__ = (
        UniqueConstraint("program_id", "municipality_code", "fiscal_year", name="uq_cap_ledger_program_town_year"),
        CheckConstraint("fiscal_year BETWEEN 2000 AND 2100", name="fiscal_year_range"),
        CheckConstraint("onsite_reserved >= 0 AND onsite_used >= 0", name="onsite_counts_not_negative"),
        CheckConstraint("online_reserved_minutes >= 0 AND online_used_minutes >= 0",
                        name="online_counts_not_negative"),
        CheckConstraint("onsite_cap IS NULL OR onsite_cap >= 0", name="onsite_cap_not_negative"),
        CheckConstraint("online_cap_minutes IS NULL OR online_cap_minutes >= 0", name="online_cap_not_negative"),
        CheckConstraint("onsite_cap IS NULL OR onsite_used + onsite_reserved <= onsite_cap",
                        name="onsite_within_cap"),
        CheckConstraint("online_cap_minutes IS NULL OR online_used_minutes + online_reserved_minutes"
                        " <= online_cap_minutes", name="online_within_cap"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("support_program.id", ondelete="CASCADE"))
    municipality_code: Mapped[str] = mapped_column(ForeignKey("municipality.code", ondelete="CASCADE"), index=True)
    fiscal_year: Mapped[int] = mapped_column(Integer)
    #: The program's caps when the row was last reserved against (NULL = uncapped); online in minutes.
    onsite_cap: Mapped[int | None] = mapped_column(Integer)
    online_cap_minutes: Mapped[int | None] = mapped_column(Integer)
    onsite_reserved: Mapped[int] = mapped_column(Integer, default=0)
    onsite_used: Mapped[int] = mapped_column(Integer, default=0)
    online_reserved_minutes: Mapped[int] = mapped_column(Integer, default=0)
    online_used_minutes: Mapped[int] = mapped_column(Integer, default=0)

    program: Mapped[SupportProgram] = relationship()

    def __repr__(self) -> str:
        return f"<CapLedger {self.program_id} {self.municipality_code} {self.fiscal_year}>"
