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


# Database rules that concurrent writers can break, by constraint name: the rule's name (the API's "rule") and
# the Japanese message. The services check the same rules first with the numbers; these answer the writer that
# lost a race the check could not see.
RULES: dict[str, tuple[str, str]] = {
    "ex_visit_expert_overlap": ("expert_overlap", "この外部人材には同じ時間帯に別の訪問が入っています。別の日時を選んでください。"),
    "ck_expert_load_booked_within_capacity": (
        "expert_capacity", "この外部人材のその月の予定は、登録された月あたりの対応回数に達しています。"),
    "ck_cap_ledger_onsite_within_cap": ("program_cap", "支援制度の現地訪問の上限に達しています。"),
    "ck_cap_ledger_online_within_cap": ("program_cap", "支援制度のオンライン時間の上限に達しています。"),
    "uq_engagement_request_pending": (
        "request_pending", "この外部人材にはこの課題について回答待ちの依頼がすでにあります。"),
}


def _constraint_name(error: IntegrityError) -> str:
    original = error.orig
    diag = getattr(original, "diag", None)
    if diag is not None and getattr(diag, "constraint_name", None):
        return str(diag.constraint_name)
    text = str(original)  # SQLite names a CHECK in its message: "CHECK constraint failed: ck_…"
    return text.rsplit(": ", 1)[-1].strip() if "CHECK constraint failed" in text else ""


def rule_conflict(error: IntegrityError) -> Conflict | None:
    """Return the Conflict for a violated rule listed in RULES, else None."""
    found = RULES.get(_constraint_name(error))
    return Conflict(found[1], rule=found[0]) if found else None


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
        named = rule_conflict(error)
        if named is not None:
            raise named from error
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
