"""issue deadline: a real date (期限) beside the free budget text

Revision ID: 20261129_0004
Revises: 20261129_0003
Create Date: 2026-11-29

The free text ``budget_deadline`` (予算と期限) accepted "2026/13/45". It stays as the budget text (予算);
the deadline becomes a DATE column. Existing text holding exactly one valid date (2027-03-31, 2027/3/31,
2027年3月31日, 令和9年3月31日, full-width digits too) gives the deadline; the text is kept unless it was
nothing but that date. Downgrade writes the deadline back into the text, so nothing but the tail of a text
already near 200 characters is lost either way.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import date

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '20261129_0004'
down_revision = '20261129_0003'
branch_labels = None
depends_on = None

# Self-contained on purpose: a migration must not change when the app's code does.
_WESTERN = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_REIWA = re.compile(r"令和\s*(\d{1,2}|元)\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_TEXT_MAX = 200

issue = sa.table("issue", sa.column("id", sa.Integer), sa.column("budget_deadline", sa.String),
                 sa.column("deadline", sa.Date))


def _dates_in(text: str) -> list[tuple[date, str]]:
    """Return the valid dates written in `text`, each with the exact text that wrote it."""
    found = []
    for match in _WESTERN.finditer(text):
        year, month, day = (int(g) for g in match.groups())
        found.append((year, month, day, match.group(0)))
    for match in _REIWA.finditer(text):
        era_year = 1 if match.group(1) == "元" else int(match.group(1))
        found.append((2018 + era_year, int(match.group(2)), int(match.group(3)), match.group(0)))
    valid = []
    for year, month, day, written in found:
        try:
            valid.append((date(year, month, day), written))
        except ValueError:
            continue
    return valid


def deadline_from_text(text: str) -> tuple[date | None, str]:
    """Return (the one date the text gives, the text to keep); (None, text) when none or several."""
    folded = unicodedata.normalize("NFKC", text)
    dates = _dates_in(folded)
    if len({d for d, _ in dates}) != 1:
        return None, text
    when, written = dates[0]
    return when, "" if folded.strip() == written.strip() else text


def upgrade():
    with op.batch_alter_table('issue', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deadline', sa.Date(), nullable=True))

    conn = op.get_bind()
    rows = conn.execute(sa.select(issue.c.id, issue.c.budget_deadline).where(issue.c.budget_deadline != "")).all()
    for issue_id, text in rows:
        when, kept = deadline_from_text(text)
        if when is not None:
            conn.execute(issue.update().where(issue.c.id == issue_id).values(deadline=when, budget_deadline=kept))


def downgrade():
    conn = op.get_bind()
    rows = conn.execute(sa.select(issue.c.id, issue.c.budget_deadline, issue.c.deadline)
                        .where(issue.c.deadline.is_not(None))).all()
    for issue_id, text, when in rows:
        if when not in {d for d, _ in _dates_in(unicodedata.normalize("NFKC", text))}:
            # The deadline first, so a text near 200 characters loses its tail, not the date.
            written = f"{when.year}年{when.month}月{when.day}日"
            text = (f"期限: {written}。{text}" if text else f"期限: {written}")[:_TEXT_MAX]
            conn.execute(issue.update().where(issue.c.id == issue_id).values(budget_deadline=text))

    with op.batch_alter_table('issue', schema=None) as batch_op:
        batch_op.drop_column('deadline')
