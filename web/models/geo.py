"""Prefectures (JIS X 0401) and municipalities (全国地方公共団体コード)."""
from __future__ import annotations

from sqlalchemy import CheckConstraint, Float, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from web.models.base import Base


class Prefecture(Base):
    __tablename__ = "prefecture"
    __table_args__ = (
        CheckConstraint("length(code) = 2", name="code_two_digits"),
    )

    code: Mapped[str] = mapped_column(String(2), primary_key=True)
    name: Mapped[str] = mapped_column(String(10), unique=True)
    kana: Mapped[str] = mapped_column(String(20))
    region: Mapped[str] = mapped_column(String(10))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)

    municipalities: Mapped[list[Municipality]] = relationship(back_populates="prefecture")

    def __repr__(self) -> str:
        return f"<Prefecture {self.code} {self.name}>"


class Municipality(Base):
    __tablename__ = "municipality"
    __table_args__ = (
        CheckConstraint("length(code) = 6", name="code_six_digits"),
        CheckConstraint("lat IS NULL OR (lat BETWEEN 20 AND 46)", name="lat_in_japan"),
        CheckConstraint("lon IS NULL OR (lon BETWEEN 122 AND 154)", name="lon_in_japan"),
    )

    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    name: Mapped[str] = mapped_column(String(20))
    kana: Mapped[str] = mapped_column(String(40))
    prefecture_code: Mapped[str] = mapped_column(ForeignKey("prefecture.code"), index=True)
    subprefecture: Mapped[str | None] = mapped_column(String(20))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    #: The town hall's address, where on-site visits take place ("" = not recorded; pages then name the hall).
    hall_address: Mapped[str] = mapped_column(String(200), default="", server_default="")

    prefecture: Mapped[Prefecture] = relationship(back_populates="municipalities")

    @property
    def full_name(self) -> str:
        return f"{self.prefecture.name}{self.name}"

    def __repr__(self) -> str:
        return f"<Municipality {self.code} {self.name}>"


def municipality_check_digit(five_digits: str) -> str:
    """Return the check digit of a 5-digit local government code (総務省 方式)."""
    weights = (6, 5, 4, 3, 2)
    total = sum(int(d) * w for d, w in zip(five_digits, weights, strict=True))
    return str((11 - total % 11) % 10)


def is_valid_municipality_code(code: str) -> bool:
    """Tell whether `code` is six ASCII digits with a correct check digit."""
    if len(code) != 6 or not code.isascii() or not code.isdigit():
        return False
    return municipality_check_digit(code[:5]) == code[5]
