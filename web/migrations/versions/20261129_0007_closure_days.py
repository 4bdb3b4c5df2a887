"""closure_day: town-hall closure days per municipality (閉庁日), for business-day counting

Revision ID: 20261129_0007
Revises: 20261129_0006
Create Date: 2026-11-29

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '20261129_0007'
down_revision = '20261129_0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'closure_day',
        sa.Column('municipality_code', sa.String(length=6), nullable=False),
        sa.Column('month', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('day', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('label', sa.String(length=40), nullable=False),
        sa.CheckConstraint('month BETWEEN 1 AND 12', name=op.f('ck_closure_day_month_range')),
        sa.CheckConstraint(
            'day >= 1 AND day <= CASE WHEN month = 2 THEN 29 WHEN month IN (4, 6, 9, 11) THEN 30 ELSE 31 END',
            name=op.f('ck_closure_day_day_in_month')),
        sa.CheckConstraint('length(label) > 0', name=op.f('ck_closure_day_label_not_empty')),
        sa.ForeignKeyConstraint(['municipality_code'], ['municipality.code'],
                                name=op.f('fk_closure_day_municipality_code_municipality'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('municipality_code', 'month', 'day', name=op.f('pk_closure_day')),
    )


def downgrade():
    op.drop_table('closure_day')
