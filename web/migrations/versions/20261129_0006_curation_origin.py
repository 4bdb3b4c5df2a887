"""candidate_curation.origin: a pin set by hand or by accepting the monthly plan

Revision ID: 20261129_0006
Revises: 20261129_0005
Create Date: 2026-11-29

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '20261129_0006'
down_revision = '20261129_0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('candidate_curation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('origin', sa.String(length=10), server_default='manual', nullable=False))
    # Pins written by accepting a plan before this column existed carry the plan's fixed reason.
    op.execute("UPDATE candidate_curation SET origin = 'plan' "
               "WHERE action = 'pin' AND reason LIKE '%の月次提案で採用'")
    with op.batch_alter_table('candidate_curation', schema=None) as batch_op:
        batch_op.create_check_constraint(op.f('ck_candidate_curation_origin_valid'), "origin IN ('manual', 'plan')")
        batch_op.create_check_constraint(op.f('ck_candidate_curation_plan_sets_pins_only'),
                                         "origin = 'manual' OR action = 'pin'")


def downgrade():
    with op.batch_alter_table('candidate_curation', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_candidate_curation_plan_sets_pins_only'), type_='check')
        batch_op.drop_constraint(op.f('ck_candidate_curation_origin_valid'), type_='check')
        batch_op.drop_column('origin')
