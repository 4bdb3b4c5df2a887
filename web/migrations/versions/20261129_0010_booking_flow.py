"""Booking flow: request plans and answers, engagement outcomes, visit places/confirmations/job state, reports,
the expert's monthly load and unavailable days, the town hall's address; no overlapping visits per expert (PostgreSQL
exclusion constraint with btree_gist); decline-made exclusions in candidate_curation.

Revision ID: 20261129_0010
Revises: 20261129_0009
Create Date: 2026-11-29

Written by hand where autogenerate cannot (CHECK constraints, the exclusion constraint: alembic#1230).
The four booking tables were created in 0001 and never written by any release, so the new NOT NULL columns
without a server default are added to empty tables; the migration stops with a clear message otherwise.
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '20261129_0010'
down_revision = '20261129_0009'
branch_labels = None
depends_on = None


STAGES = ('issue_definition', 'business_model', 'product_planning', 'development', 'operation', 'ux_operation',
          'use')
BOOKING_TABLES = ("engagement_request", "engagement", "visit", "visit_report")


def _refuse_if_filled():
    bind = op.get_bind()
    for table in BOOKING_TABLES:
        if bind.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar():
            raise RuntimeError(f"{table} holds rows; this migration expects the never-used booking tables empty")


def _in(column, codes):
    return f"{column} IN (" + ", ".join(f"'{code}'" for code in codes) + ")"


def upgrade():
    _refuse_if_filled()
    op.create_table('expert_load',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('expert_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('booked', sa.Integer(), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.CheckConstraint('booked <= capacity', name=op.f('ck_expert_load_booked_within_capacity')),
    sa.CheckConstraint('booked >= 0', name=op.f('ck_expert_load_booked_not_negative')),
    sa.CheckConstraint('capacity >= 0', name=op.f('ck_expert_load_capacity_not_negative')),
    sa.ForeignKeyConstraint(['expert_id'], ['expert_profile.id'], name=op.f('fk_expert_load_expert_id_expert_profile'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_expert_load')),
    sa.UniqueConstraint('expert_id', 'month', name='uq_expert_load_expert_month')
    )
    with op.batch_alter_table('expert_load', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_expert_load_expert_id'), ['expert_id'], unique=False)

    op.create_table('unavailable_day',
    sa.Column('expert_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('note', sa.String(length=100), server_default='', nullable=False),
    sa.ForeignKeyConstraint(['expert_id'], ['expert_profile.id'], name=op.f('fk_unavailable_day_expert_id_expert_profile'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('expert_id', 'day', name=op.f('pk_unavailable_day'))
    )
    with op.batch_alter_table('engagement', schema=None) as batch_op:
        batch_op.add_column(sa.Column('menu', sa.String(length=20), server_default='accompaniment', nullable=False))
        batch_op.add_column(sa.Column('stage_at_start', sa.String(length=20), server_default='issue_definition', nullable=False))
        batch_op.add_column(sa.Column('meeting_url', sa.String(length=300), server_default='', nullable=False))
        batch_op.add_column(sa.Column('outcome', sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column('rating', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('town_comment', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('cancel_reason', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_check_constraint('menu_valid', _in('menu', ('spot', 'accompaniment', 'joint')))
        batch_op.create_check_constraint('stage_at_start_valid', _in('stage_at_start', STAGES))
        batch_op.create_check_constraint(
            'outcome_valid', "outcome IS NULL OR " + _in('outcome', ('solved', 'partly', 'not_solved')))
        batch_op.create_check_constraint('completed_with_outcome', "(status = 'completed') = (outcome IS NOT NULL)")
        batch_op.create_check_constraint('rating_range', 'rating IS NULL OR rating BETWEEN 1 AND 5')

    with op.batch_alter_table('engagement_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('menu', sa.String(length=20), server_default='accompaniment', nullable=False))
        batch_op.add_column(sa.Column('first_month', sa.Date(), nullable=False))
        batch_op.add_column(sa.Column('months', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('onsite_months', sa.JSON(), nullable=False))
        batch_op.add_column(sa.Column('weekdays', sa.JSON(), nullable=False))
        batch_op.add_column(sa.Column('start_time', sa.String(length=5), server_default='14:00', nullable=False))
        batch_op.add_column(sa.Column('duration_minutes', sa.Integer(), server_default='120', nullable=False))
        batch_op.add_column(sa.Column('slots', sa.JSON(), nullable=False))
        batch_op.add_column(sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('expired_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('answered_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('decline_reason', sa.String(length=20), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_engagement_request_answered_by_id_user_account'), 'user_account', ['answered_by_id'], ['id'], ondelete='SET NULL')
        batch_op.create_check_constraint('menu_valid', _in('menu', ('spot', 'accompaniment', 'joint')))
        batch_op.create_check_constraint(
            'decline_reason_valid',
            "decline_reason IS NULL OR " + _in('decline_reason', ('no_capacity', 'outside_field', 'schedule', 'other')))
        batch_op.create_check_constraint('declined_with_reason', "(status = 'declined') = (decline_reason IS NOT NULL)")
        batch_op.create_check_constraint('answered_when_not_pending', "(status = 'pending') = (responded_at IS NULL)")
        batch_op.create_check_constraint('months_range', 'months BETWEEN 1 AND 36')
        batch_op.create_check_constraint('duration_range', 'duration_minutes BETWEEN 15 AND 600')

    with op.batch_alter_table('municipality', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hall_address', sa.String(length=200), server_default='', nullable=False))

    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expert_id', sa.Integer(), nullable=False))
        batch_op.add_column(sa.Column('municipality_code', sa.String(length=6), nullable=False))
        batch_op.add_column(sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False))
        batch_op.add_column(sa.Column('plan_month', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('reserved_minutes', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('place', sa.String(length=200), server_default='', nullable=False))
        batch_op.add_column(sa.Column('meeting_url', sa.String(length=300), server_default='', nullable=False))
        batch_op.add_column(sa.Column('proposed_by', sa.String(length=10), server_default='system', nullable=False))
        batch_op.add_column(sa.Column('town_confirmed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('expert_confirmed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('note', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('cancel_reason', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('report_nudged_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_visit_expert_id'), ['expert_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_visit_starts_at'), ['starts_at'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_visit_municipality_code_municipality'), 'municipality', ['municipality_code'], ['code'])
        batch_op.create_foreign_key(batch_op.f('fk_visit_expert_id_expert_profile'), 'expert_profile', ['expert_id'], ['id'])
        batch_op.create_check_constraint('proposed_by_valid', _in('proposed_by', ('town', 'expert', 'system')))
        batch_op.create_check_constraint('ends_after_start', 'ends_at > starts_at')
        batch_op.create_check_constraint(
            'confirmed_by_both',
            "status <> 'confirmed' OR (town_confirmed_at IS NOT NULL AND expert_confirmed_at IS NOT NULL)")

    if op.get_bind().dialect.name == 'postgresql':
        op.execute('CREATE EXTENSION IF NOT EXISTS btree_gist')
        op.execute(
            "ALTER TABLE visit ADD CONSTRAINT ex_visit_expert_overlap EXCLUDE USING gist "
            "(expert_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&) WHERE (status <> 'cancelled')")

    with op.batch_alter_table('visit_report', schema=None) as batch_op:
        batch_op.add_column(sa.Column('decisions', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('next_actions', sa.Text(), nullable=False))
        batch_op.add_column(sa.Column('hours', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('stage', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('acknowledged_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('question', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('question_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_visit_report_acknowledged_by_id_user_account'), 'user_account', ['acknowledged_by_id'], ['id'], ondelete='SET NULL')
        batch_op.drop_column('next_steps')
        batch_op.create_check_constraint('hours_range', 'hours IS NULL OR (hours > 0 AND hours <= 24)')
        batch_op.create_check_constraint('stage_valid', 'stage IS NULL OR ' + _in('stage', STAGES))
        batch_op.create_check_constraint('summary_given', 'length(summary) > 0')

    with op.batch_alter_table('candidate_curation', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_candidate_curation_plan_sets_pins_only'), type_='check')
        batch_op.drop_constraint(op.f('ck_candidate_curation_origin_valid'), type_='check')
        batch_op.create_check_constraint('origin_valid', _in('origin', ('manual', 'plan', 'decline')))
        batch_op.create_check_constraint('plan_sets_pins_only', "origin <> 'plan' OR action = 'pin'")
        batch_op.create_check_constraint('decline_sets_exclusions_only', "origin <> 'decline' OR action = 'exclude'")


def downgrade():
    _refuse_if_filled()
    op.execute("DELETE FROM candidate_curation WHERE origin = 'decline'")
    with op.batch_alter_table('candidate_curation', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_candidate_curation_decline_sets_exclusions_only'), type_='check')
        batch_op.drop_constraint(op.f('ck_candidate_curation_plan_sets_pins_only'), type_='check')
        batch_op.drop_constraint(op.f('ck_candidate_curation_origin_valid'), type_='check')
        batch_op.create_check_constraint('origin_valid', _in('origin', ('manual', 'plan')))
        batch_op.create_check_constraint('plan_sets_pins_only', "origin = 'manual' OR action = 'pin'")
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE visit DROP CONSTRAINT ex_visit_expert_overlap')
    with op.batch_alter_table('visit_report', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_visit_report_summary_given'), type_='check')
        batch_op.drop_constraint(op.f('ck_visit_report_stage_valid'), type_='check')
        batch_op.drop_constraint(op.f('ck_visit_report_hours_range'), type_='check')
        batch_op.add_column(sa.Column('next_steps', sa.TEXT(), nullable=False))
        batch_op.drop_constraint(batch_op.f('fk_visit_report_acknowledged_by_id_user_account'), type_='foreignkey')
        batch_op.drop_column('question_at')
        batch_op.drop_column('question')
        batch_op.drop_column('acknowledged_by_id')
        batch_op.drop_column('acknowledged_at')
        batch_op.drop_column('stage')
        batch_op.drop_column('hours')
        batch_op.drop_column('next_actions')
        batch_op.drop_column('decisions')

    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_visit_confirmed_by_both'), type_='check')
        batch_op.drop_constraint(op.f('ck_visit_ends_after_start'), type_='check')
        batch_op.drop_constraint(op.f('ck_visit_proposed_by_valid'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_visit_expert_id_expert_profile'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_visit_municipality_code_municipality'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_visit_starts_at'))
        batch_op.drop_index(batch_op.f('ix_visit_expert_id'))
        batch_op.drop_column('report_nudged_at')
        batch_op.drop_column('reminded_at')
        batch_op.drop_column('cancelled_at')
        batch_op.drop_column('cancel_reason')
        batch_op.drop_column('note')
        batch_op.drop_column('expert_confirmed_at')
        batch_op.drop_column('town_confirmed_at')
        batch_op.drop_column('proposed_by')
        batch_op.drop_column('meeting_url')
        batch_op.drop_column('place')
        batch_op.drop_column('reserved_minutes')
        batch_op.drop_column('plan_month')
        batch_op.drop_column('ends_at')
        batch_op.drop_column('municipality_code')
        batch_op.drop_column('expert_id')

    with op.batch_alter_table('municipality', schema=None) as batch_op:
        batch_op.drop_column('hall_address')

    with op.batch_alter_table('engagement_request', schema=None) as batch_op:
        for name in ('menu_valid', 'decline_reason_valid', 'declined_with_reason', 'answered_when_not_pending',
                     'months_range', 'duration_range'):
            batch_op.drop_constraint(op.f(f'ck_engagement_request_{name}'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_engagement_request_answered_by_id_user_account'), type_='foreignkey')
        batch_op.drop_column('decline_reason')
        batch_op.drop_column('answered_by_id')
        batch_op.drop_column('expired_at')
        batch_op.drop_column('reminded_at')
        batch_op.drop_column('slots')
        batch_op.drop_column('duration_minutes')
        batch_op.drop_column('start_time')
        batch_op.drop_column('weekdays')
        batch_op.drop_column('onsite_months')
        batch_op.drop_column('months')
        batch_op.drop_column('first_month')
        batch_op.drop_column('menu')

    with op.batch_alter_table('engagement', schema=None) as batch_op:
        for name in ('menu_valid', 'stage_at_start_valid', 'outcome_valid', 'completed_with_outcome', 'rating_range'):
            batch_op.drop_constraint(op.f(f'ck_engagement_{name}'), type_='check')
        batch_op.drop_column('ended_at')
        batch_op.drop_column('cancel_reason')
        batch_op.drop_column('town_comment')
        batch_op.drop_column('rating')
        batch_op.drop_column('outcome')
        batch_op.drop_column('meeting_url')
        batch_op.drop_column('stage_at_start')
        batch_op.drop_column('menu')

    op.drop_table('unavailable_day')
    with op.batch_alter_table('expert_load', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_expert_load_expert_id'))

    op.drop_table('expert_load')
