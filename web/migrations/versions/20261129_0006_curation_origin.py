"""candidate_curation.origin: a pin set by hand or by accepting the monthly plan

Revision ID: 20261129_0006
Revises: 20261129_0005
Create Date: 2026-11-29

"""
import re

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '20261129_0006'
down_revision = '20261129_0005'
branch_labels = None
depends_on = None

PLAN_REASON = re.compile(r"\d{4}年\d{1,2}月の月次提案で採用")


def upgrade():
    with op.batch_alter_table('candidate_curation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('origin', sa.String(length=10), server_default='manual', nullable=False))
    # Pins written by accepting a plan before this column existed carry exactly the plan's fixed reason
    # (「2026年5月の月次提案で採用」); a hand-typed reason that merely ends the same way stays manual.
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT issue_id, expert_id, reason FROM candidate_curation WHERE action = 'pin'"))
    for issue_id, expert_id, reason in rows.all():
        if PLAN_REASON.fullmatch(reason):
            conn.execute(sa.text("UPDATE candidate_curation SET origin = 'plan' WHERE issue_id = :i AND expert_id = :e"),
                         {"i": issue_id, "e": expert_id})
    with op.batch_alter_table('candidate_curation', schema=None) as batch_op:
        batch_op.create_check_constraint(op.f('ck_candidate_curation_origin_valid'), "origin IN ('manual', 'plan')")
        batch_op.create_check_constraint(op.f('ck_candidate_curation_plan_sets_pins_only'),
                                         "origin = 'manual' OR action = 'pin'")


def downgrade():
    with op.batch_alter_table('candidate_curation', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_candidate_curation_plan_sets_pins_only'), type_='check')
        batch_op.drop_constraint(op.f('ck_candidate_curation_origin_valid'), type_='check')
        batch_op.drop_column('origin')
