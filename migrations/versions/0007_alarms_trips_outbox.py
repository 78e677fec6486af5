"""Alarms with their track and thread, trip guardian (trips, guardians, points, photos), and the
outbox of messages sent after commit.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('recipient', sa.Text(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('subject_type', sa.String(length=32), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('send_after', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=255), nullable=False),
    sa.CheckConstraint("channel IN ('sms', 'email')", name=op.f('ck_outbox_channel')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox'))
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_due', ['sent_at', 'send_after', 'id'], unique=False)

    op.create_table('trips',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('destination', sa.String(length=255), nullable=False),
    sa.Column('expected_arrival_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('vehicle_plate', sa.String(length=20), nullable=False),
    sa.Column('owner_contact', sa.Text(), nullable=True),
    sa.Column('overdue_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('purged_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("state IN ('active', 'arrived', 'alarm_raised', 'expired')", name=op.f('ck_trips_state')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trips')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_trips_token_hash'))
    )
    with op.batch_alter_table('trips', schema=None) as batch_op:
        batch_op.create_index('ix_trips_deadline', ['state', 'expected_arrival_at'], unique=False)

    op.create_table('alarms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.Column('accuracy_m', sa.Float(), nullable=True),
    sa.Column('located_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('place', sa.String(length=255), nullable=False),
    sa.Column('sender_contact', sa.Text(), nullable=True),
    sa.Column('flagged', sa.Boolean(), nullable=False),
    sa.Column('flag_reason', sa.String(length=255), nullable=False),
    sa.Column('trip_id', sa.Integer(), nullable=True),
    sa.Column('dispatch_note', sa.Text(), nullable=False),
    sa.Column('outcome', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('dispatched_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("kind IN ('text', 'silent')", name=op.f('ck_alarms_kind')),
    sa.CheckConstraint("state IN ('new', 'acknowledged', 'dispatched', 'closed', 'cancelled')", name=op.f('ck_alarms_state')),
    sa.CheckConstraint('lat IS NULL OR lat BETWEEN -90 AND 90', name=op.f('ck_alarms_lat')),
    sa.CheckConstraint('lon IS NULL OR lon BETWEEN -180 AND 180', name=op.f('ck_alarms_lon')),
    sa.ForeignKeyConstraint(['trip_id'], ['trips.id'], name=op.f('fk_alarms_trip_id_trips')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_alarms_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alarms')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_alarms_token_hash'))
    )
    with op.batch_alter_table('alarms', schema=None) as batch_op:
        batch_op.create_index('ix_alarms_console', ['unit_id', 'state', 'created_at', 'id'], unique=False)

    op.create_table('trip_guardians',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trip_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('label', sa.String(length=60), nullable=False),
    sa.Column('contact', sa.Text(), nullable=True),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['trip_id'], ['trips.id'], name=op.f('fk_trip_guardians_trip_id_trips'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trip_guardians')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_trip_guardians_token_hash'))
    )
    with op.batch_alter_table('trip_guardians', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trip_guardians_trip_id'), ['trip_id'], unique=False)

    op.create_table('trip_points',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trip_id', sa.Integer(), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('accuracy_m', sa.Float(), nullable=True),
    sa.Column('located_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('lat BETWEEN -90 AND 90', name=op.f('ck_trip_points_lat')),
    sa.CheckConstraint('lon BETWEEN -180 AND 180', name=op.f('ck_trip_points_lon')),
    sa.ForeignKeyConstraint(['trip_id'], ['trips.id'], name=op.f('fk_trip_points_trip_id_trips'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trip_points'))
    )
    with op.batch_alter_table('trip_points', schema=None) as batch_op:
        batch_op.create_index('ix_trip_points_trip', ['trip_id', 'id'], unique=False)

    op.create_table('alarm_locations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('alarm_id', sa.Integer(), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('accuracy_m', sa.Float(), nullable=True),
    sa.Column('located_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('lat BETWEEN -90 AND 90', name=op.f('ck_alarm_locations_lat')),
    sa.CheckConstraint('lon BETWEEN -180 AND 180', name=op.f('ck_alarm_locations_lon')),
    sa.ForeignKeyConstraint(['alarm_id'], ['alarms.id'], name=op.f('fk_alarm_locations_alarm_id_alarms'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alarm_locations'))
    )
    with op.batch_alter_table('alarm_locations', schema=None) as batch_op:
        batch_op.create_index('ix_alarm_locations_alarm', ['alarm_id', 'id'], unique=False)

    op.create_table('alarm_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('alarm_id', sa.Integer(), nullable=False),
    sa.Column('sender', sa.String(length=12), nullable=False),
    sa.Column('officer_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('media_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("sender IN ('public', 'dispatcher', 'system')", name=op.f('ck_alarm_messages_sender')),
    sa.ForeignKeyConstraint(['alarm_id'], ['alarms.id'], name=op.f('fk_alarm_messages_alarm_id_alarms'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['media_id'], ['media.id'], name=op.f('fk_alarm_messages_media_id_media')),
    sa.ForeignKeyConstraint(['officer_id'], ['officers.id'], name=op.f('fk_alarm_messages_officer_id_officers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alarm_messages'))
    )
    with op.batch_alter_table('alarm_messages', schema=None) as batch_op:
        batch_op.create_index('ix_alarm_messages_alarm', ['alarm_id', 'id'], unique=False)

    op.create_table('trip_photos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trip_id', sa.Integer(), nullable=False),
    sa.Column('media_id', sa.Integer(), nullable=False),
    sa.Column('caption', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['media_id'], ['media.id'], name=op.f('fk_trip_photos_media_id_media')),
    sa.ForeignKeyConstraint(['trip_id'], ['trips.id'], name=op.f('fk_trip_photos_trip_id_trips'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trip_photos'))
    )
    with op.batch_alter_table('trip_photos', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trip_photos_trip_id'), ['trip_id'], unique=False)



def downgrade():
    with op.batch_alter_table('trip_photos', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trip_photos_trip_id'))

    op.drop_table('trip_photos')
    with op.batch_alter_table('alarm_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_alarm_messages_alarm')

    op.drop_table('alarm_messages')
    with op.batch_alter_table('alarm_locations', schema=None) as batch_op:
        batch_op.drop_index('ix_alarm_locations_alarm')

    op.drop_table('alarm_locations')
    with op.batch_alter_table('trip_points', schema=None) as batch_op:
        batch_op.drop_index('ix_trip_points_trip')

    op.drop_table('trip_points')
    with op.batch_alter_table('trip_guardians', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trip_guardians_trip_id'))

    op.drop_table('trip_guardians')
    with op.batch_alter_table('alarms', schema=None) as batch_op:
        batch_op.drop_index('ix_alarms_console')

    op.drop_table('alarms')
    with op.batch_alter_table('trips', schema=None) as batch_op:
        batch_op.drop_index('ix_trips_deadline')

    op.drop_table('trips')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_due')

    op.drop_table('outbox')
