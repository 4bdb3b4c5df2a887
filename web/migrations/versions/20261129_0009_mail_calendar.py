"""visit.sequence (iCalendar SEQUENCE) and calendar_token (private calendar feeds)

Revision ID: 20261129_0009
Revises: 20261129_0008
Create Date: 2026-11-29

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '20261129_0009'
down_revision = '20261129_0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sequence', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_check_constraint('sequence_not_negative', 'sequence >= 0')

    op.create_table(
        'calendar_token',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('nonce', sa.String(length=64), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'],
                                name=op.f('fk_calendar_token_user_id_user_account'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_token')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_calendar_token_token_hash')),
    )
    with op.batch_alter_table('calendar_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calendar_token_user_id'), ['user_id'], unique=False)
        batch_op.create_index('uq_calendar_token_live_user', ['user_id'], unique=True,
                              sqlite_where=sa.text('revoked_at IS NULL'),
                              postgresql_where=sa.text('revoked_at IS NULL'))


def downgrade():
    op.drop_table('calendar_token')
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.drop_constraint('sequence_not_negative', type_='check')
        batch_op.drop_column('sequence')
