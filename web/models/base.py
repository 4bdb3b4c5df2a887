"""Declarative base, naming convention and shared column types."""
from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import JSON, CheckConstraint, DateTime, Index, MetaData, text
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base class of every model; constraint names are deterministic for migrations."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator[datetime]):
    """Store aware datetimes as UTC; always return aware UTC datetimes (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC datetime")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def check_in(column: str, values: Iterable[str], name: str | None = None) -> CheckConstraint:
    """Return a CHECK constraint that keeps `column` inside a fixed vocabulary."""
    quoted = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(f"{column} IN ({quoted})", name=name or f"{column}_valid")


def unique_where(name: str, *columns: str, where: str) -> Index:
    """Return a partial unique index (PostgreSQL and SQLite), e.g. one pending request per issue and expert."""
    return Index(name, *columns, unique=True, sqlite_where=text(where), postgresql_where=text(where))


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _readable(value: Any) -> Any:
    """Return `value` with every lone surrogate in its strings replaced by U+FFFD (recursively)."""
    if isinstance(value, str):
        return _LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_readable(item) for item in value]
    if isinstance(value, dict):
        return {_readable(key): _readable(item) for key, item in value.items()}
    return value


class ReadableJSON(TypeDecorator[Any]):
    """JSON whose strings always read back as valid Unicode.

    A JSON column can hold an escaped lone surrogate ("\\ud800") that no text column could: written before the
    input boundary refused it, it would make every page showing it fail to encode. It reads back as U+FFFD
    (the replacement character), so the page shows 「UI\ufffd設計」 and the owner can correct it.
    """

    impl = JSON
    cache_ok = True

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        return _readable(value)
