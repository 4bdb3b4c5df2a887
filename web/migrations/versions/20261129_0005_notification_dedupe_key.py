"""notification dedupe key: one joint suggestion reaches each officer once

Revision ID: 20261129_0005
Revises: 20261129_0004
Create Date: 2026-11-29

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '20261129_0005'
down_revision = '20261129_0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dedupe_key', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_notification_user_id'), ['user_id', 'dedupe_key'])


def downgrade():
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_notification_user_id'), type_='unique')
        batch_op.drop_column('dedupe_key')
