"""One unit of work at each boundary (web view, API view, job, CLI command).

``with transaction():`` commits when the block ends and rolls back when it raises. A unique or exclusion
violation (two identical requests at the same moment) becomes a `Conflict` with a Japanese message, which the
web pages flash and the API answers as 409 problem+json; every other error is re-raised unchanged.
Services below the boundary flush at most; `insert` gives them the dialect's INSERT for upserts.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from web.extensions import db
from web.services.errors import Conflict

CONFLICT_MESSAGE = ("同じ操作がほぼ同時に行われたため、この操作は保存しませんでした。"
                    "画面を再読み込みして、現在の内容を確かめてください。")

# PostgreSQL SQLSTATEs: unique_violation, exclusion_violation.
_PG_CONFLICTS = frozenset({"23505", "23P01"})
_SQLITE_CONFLICTS = frozenset({"SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY"})


def is_conflict(error: IntegrityError) -> bool:
    """Tell whether the database refused a duplicate (unique/primary key or exclusion), not a broken rule."""
    original = error.orig
    if isinstance(original, sqlite3.IntegrityError):
        return getattr(original, "sqlite_errorname", "") in _SQLITE_CONFLICTS
    return getattr(original, "sqlstate", None) in _PG_CONFLICTS


@contextmanager
def transaction() -> Iterator[None]:
    """Commit the session's work when the block succeeds; roll it back (and raise) when it does not."""
    try:
        yield
        db.session.commit()
    except IntegrityError as error:
        db.session.rollback()
        if is_conflict(error):
            raise Conflict(CONFLICT_MESSAGE) from error
        raise
    except BaseException:
        db.session.rollback()
        raise


def insert(model: type[Any]) -> postgresql.Insert | sqlite.Insert:
    """Return an INSERT for the session's database that supports ``on_conflict_do_nothing/update``."""
    if db.session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(model)
    return sqlite.insert(model)


def commit() -> None:
    """Commit the work so far under the same rules, where a boundary only keeps a record (e.g. an audit event)."""
    with transaction():
        pass
