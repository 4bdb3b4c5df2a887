"""cap_ledger: used and reserved on-site visits and online minutes per program × municipality × fiscal year

Revision ID: 20261129_0008
Revises: 20261129_0007
Create Date: 2026-11-29

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '20261129_0008'
down_revision = '20261129_0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'cap_ledger',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('program_id', sa.Integer(), nullable=False),
        sa.Column('municipality_code', sa.String(length=6), nullable=False),
        sa.Column('fiscal_year', sa.Integer(), nullable=False),
        sa.Column('onsite_cap', sa.Integer(), nullable=True),
        sa.Column('online_cap_minutes', sa.Integer(), nullable=True),
        sa.Column('onsite_reserved', sa.Integer(), nullable=False),
        sa.Column('onsite_used', sa.Integer(), nullable=False),
        sa.Column('online_reserved_minutes', sa.Integer(), nullable=False),
        sa.Column('online_used_minutes', sa.Integer(), nullable=False),
        sa.CheckConstraint('fiscal_year BETWEEN 2000 AND 2100', name=op.f('ck_cap_ledger_fiscal_year_range')),
        sa.CheckConstraint('onsite_reserved >= 0 AND onsite_used >= 0',
                           name=op.f('ck_cap_ledger_onsite_counts_not_negative')),
        sa.CheckConstraint('online_reserved_minutes >= 0 AND online_used_minutes >= 0',
                           name=op.f('ck_cap_ledger_online_counts_not_negative')),
        sa.CheckConstraint('onsite_cap IS NULL OR onsite_cap >= 0', name=op.f('ck_cap_ledger_onsite_cap_not_negative')),
        sa.CheckConstraint('online_cap_minutes IS NULL OR online_cap_minutes >= 0',
                           name=op.f('ck_cap_ledger_online_cap_not_negative')),
        sa.CheckConstraint('onsite_cap IS NULL OR onsite_used + onsite_reserved <= onsite_cap',
                           name=op.f('ck_cap_ledger_onsite_within_cap')),
        sa.CheckConstraint('online_cap_minutes IS NULL OR online_used_minutes + online_reserved_minutes'
                           ' <= online_cap_minutes', name=op.f('ck_cap_ledger_online_within_cap')),
        sa.ForeignKeyConstraint(['municipality_code'], ['municipality.code'],
                                name=op.f('fk_cap_ledger_municipality_code_municipality'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['program_id'], ['support_program.id'],
                                name=op.f('fk_cap_ledger_program_id_support_program'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_cap_ledger')),
        sa.UniqueConstraint('program_id', 'municipality_code', 'fiscal_year',
                            name=op.f('uq_cap_ledger_program_town_year')),
    )
    op.create_index(op.f('ix_cap_ledger_municipality_code'), 'cap_ledger', ['municipality_code'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_cap_ledger_municipality_code'), table_name='cap_ledger')
    op.drop_table('cap_ledger')
