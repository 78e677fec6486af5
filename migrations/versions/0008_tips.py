"""Tips: categories and their questions, tips with answers, attachments, the thread with the
reporter, links and rewards.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('tip_categories',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=40), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('names', sa.JSON(), nullable=False),
    sa.Column('descriptions', sa.JSON(), nullable=False),
    sa.Column('danger', sa.Boolean(), nullable=False),
    sa.Column('retired', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tip_categories')),
    sa.UniqueConstraint('slug', name=op.f('uq_tip_categories_slug'))
    )
    op.create_table('tip_questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.Column('labels', sa.JSON(), nullable=False),
    sa.Column('choices', sa.JSON(), nullable=False),
    sa.Column('danger_values', sa.JSON(), nullable=False),
    sa.Column('retired', sa.Boolean(), nullable=False),
    sa.CheckConstraint("kind IN ('text', 'choice', 'date', 'number')", name=op.f('ck_tip_questions_kind')),
    sa.ForeignKeyConstraint(['category_id'], ['tip_categories.id'], name=op.f('fk_tip_questions_category_id_tip_categories'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tip_questions')),
    sa.UniqueConstraint('category_id', 'key', name='uq_tip_questions_category_key')
    )
    with op.batch_alter_table('tip_questions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tip_questions_category_id'), ['category_id'], unique=False)

    op.create_table('tips',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('suggested_unit_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('happened_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('place', sa.String(length=255), nullable=False),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.Column('accuracy_m', sa.Float(), nullable=True),
    sa.Column('contact', sa.Text(), nullable=True),
    sa.Column('contact_viewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('assigned_to_id', sa.Integer(), nullable=True),
    sa.Column('danger', sa.Boolean(), nullable=False),
    sa.Column('flagged', sa.Boolean(), nullable=False),
    sa.Column('task_notice_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('triaged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("outcome IS NULL OR outcome IN ('actionable', 'unfounded', 'duplicate', 'spam')", name=op.f('ck_tips_outcome')),
    sa.CheckConstraint("state IN ('received', 'triaged', 'assigned', 'in_progress', 'closed')", name=op.f('ck_tips_state')),
    sa.CheckConstraint('lat IS NULL OR lat BETWEEN -90 AND 90', name=op.f('ck_tips_lat')),
    sa.CheckConstraint('lon IS NULL OR lon BETWEEN -180 AND 180', name=op.f('ck_tips_lon')),
    sa.ForeignKeyConstraint(['assigned_to_id'], ['officers.id'], name=op.f('fk_tips_assigned_to_id_officers')),
    sa.ForeignKeyConstraint(['category_id'], ['tip_categories.id'], name=op.f('fk_tips_category_id_tip_categories')),
    sa.ForeignKeyConstraint(['suggested_unit_id'], ['units.id'], name=op.f('fk_tips_suggested_unit_id_units')),
    sa.ForeignKeyConstraint(['task_notice_id'], ['notices.id'], name=op.f('fk_tips_task_notice_id_notices')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_tips_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tips'))
    )
    with op.batch_alter_table('tips', schema=None) as batch_op:
        batch_op.create_index('ix_tips_assigned', ['assigned_to_id', 'state', 'created_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tips_category_id'), ['category_id'], unique=False)
        batch_op.create_index('ix_tips_created', ['created_at', 'id'], unique=False)
        batch_op.create_index('ix_tips_queue', ['unit_id', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_tips_state_queue', ['unit_id', 'state', 'created_at', 'id'], unique=False)

    op.create_table('tip_answers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tip_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['question_id'], ['tip_questions.id'], name=op.f('fk_tip_answers_question_id_tip_questions')),
    sa.ForeignKeyConstraint(['tip_id'], ['tips.id'], name=op.f('fk_tip_answers_tip_id_tips'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tip_answers')),
    sa.UniqueConstraint('tip_id', 'question_id', name='uq_tip_answers_tip_question')
    )
    with op.batch_alter_table('tip_answers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tip_answers_question_id'), ['question_id'], unique=False)

    op.create_table('tip_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tip_id', sa.Integer(), nullable=False),
    sa.Column('linked_tip_id', sa.Integer(), nullable=True),
    sa.Column('notice_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('officer_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('duplicate', 'related', 'notice')", name=op.f('ck_tip_links_kind')),
    sa.CheckConstraint('(linked_tip_id IS NULL) <> (notice_id IS NULL)', name=op.f('ck_tip_links_one_target')),
    sa.ForeignKeyConstraint(['linked_tip_id'], ['tips.id'], name=op.f('fk_tip_links_linked_tip_id_tips'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['notice_id'], ['notices.id'], name=op.f('fk_tip_links_notice_id_notices')),
    sa.ForeignKeyConstraint(['officer_id'], ['officers.id'], name=op.f('fk_tip_links_officer_id_officers')),
    sa.ForeignKeyConstraint(['tip_id'], ['tips.id'], name=op.f('fk_tip_links_tip_id_tips'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tip_links'))
    )
    with op.batch_alter_table('tip_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tip_links_linked_tip_id'), ['linked_tip_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tip_links_tip_id'), ['tip_id'], unique=False)

    op.create_table('tip_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tip_id', sa.Integer(), nullable=False),
    sa.Column('author', sa.String(length=8), nullable=False),
    sa.Column('officer_id', sa.Integer(), nullable=True),
    sa.Column('internal', sa.Boolean(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("author IN ('reporter', 'officer', 'system')", name=op.f('ck_tip_messages_author')),
    sa.ForeignKeyConstraint(['officer_id'], ['officers.id'], name=op.f('fk_tip_messages_officer_id_officers')),
    sa.ForeignKeyConstraint(['tip_id'], ['tips.id'], name=op.f('fk_tip_messages_tip_id_tips'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tip_messages'))
    )
    with op.batch_alter_table('tip_messages', schema=None) as batch_op:
        batch_op.create_index('ix_tip_messages_thread', ['tip_id', 'created_at', 'id'], unique=False)

    op.create_table('tip_rewards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tip_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('decision_reason', sa.Text(), nullable=False),
    sa.Column('proposed_by_id', sa.Integer(), nullable=False),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('paid_by_id', sa.Integer(), nullable=True),
    sa.Column('proposed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('paid_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("state IN ('proposed', 'approved', 'paid', 'refused')", name=op.f('ck_tip_rewards_state')),
    sa.CheckConstraint('amount > 0', name=op.f('ck_tip_rewards_amount')),
    sa.ForeignKeyConstraint(['approved_by_id'], ['officers.id'], name=op.f('fk_tip_rewards_approved_by_id_officers')),
    sa.ForeignKeyConstraint(['paid_by_id'], ['officers.id'], name=op.f('fk_tip_rewards_paid_by_id_officers')),
    sa.ForeignKeyConstraint(['proposed_by_id'], ['officers.id'], name=op.f('fk_tip_rewards_proposed_by_id_officers')),
    sa.ForeignKeyConstraint(['tip_id'], ['tips.id'], name=op.f('fk_tip_rewards_tip_id_tips'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tip_rewards'))
    )
    with op.batch_alter_table('tip_rewards', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tip_rewards_tip_id'), ['tip_id'], unique=False)

    op.create_table('tip_attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tip_id', sa.Integer(), nullable=False),
    sa.Column('media_id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=True),
    sa.Column('flags', sa.String(length=255), nullable=False),
    sa.Column('client_captured_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('client_lat', sa.Float(), nullable=True),
    sa.Column('client_lon', sa.Float(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['media_id'], ['media.id'], name=op.f('fk_tip_attachments_media_id_media')),
    sa.ForeignKeyConstraint(['message_id'], ['tip_messages.id'], name=op.f('fk_tip_attachments_message_id_tip_messages')),
    sa.ForeignKeyConstraint(['tip_id'], ['tips.id'], name=op.f('fk_tip_attachments_tip_id_tips'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tip_attachments')),
    sa.UniqueConstraint('media_id', name=op.f('uq_tip_attachments_media_id'))
    )
    with op.batch_alter_table('tip_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tip_attachments_tip_id'), ['tip_id'], unique=False)



def downgrade():
    with op.batch_alter_table('tip_attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tip_attachments_tip_id'))

    op.drop_table('tip_attachments')
    with op.batch_alter_table('tip_rewards', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tip_rewards_tip_id'))

    op.drop_table('tip_rewards')
    with op.batch_alter_table('tip_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_tip_messages_thread')

    op.drop_table('tip_messages')
    with op.batch_alter_table('tip_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tip_links_tip_id'))
        batch_op.drop_index(batch_op.f('ix_tip_links_linked_tip_id'))

    op.drop_table('tip_links')
    with op.batch_alter_table('tip_answers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tip_answers_question_id'))

    op.drop_table('tip_answers')
    with op.batch_alter_table('tips', schema=None) as batch_op:
        batch_op.drop_index('ix_tips_state_queue')
        batch_op.drop_index('ix_tips_queue')
        batch_op.drop_index('ix_tips_created')
        batch_op.drop_index(batch_op.f('ix_tips_category_id'))
        batch_op.drop_index('ix_tips_assigned')

    op.drop_table('tips')
    with op.batch_alter_table('tip_questions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tip_questions_category_id'))

    op.drop_table('tip_questions')
    op.drop_table('tip_categories')
