"""Uploaded files' own names are sealed like every protected field: media.original_name (clear text)
becomes media.original_name_sealed (AES-GCM under the label "media.original_name").

Existing names are sealed with the field key of the settings the migration runs with (the .ini and
the environment, as the application reads them: `alembic -c production.ini upgrade head` with
PORTAL_FIELD_KEYS set). Without a field key the names are dropped, never kept in clear. In production
a published or weak key stops the migration, as it stops the application. The downgrade opens them
again with the same key (a name it cannot open becomes '').

Revision ID: 0013
Revises: 0011
Create Date: 2026-12-05
"""
import logging
import os

import sqlalchemy as sa
from alembic import context, op

revision = "0013"
down_revision = "0011"
branch_labels = None
depends_on = None

LABEL = "media.original_name"  # portal/media/models.py ORIGINAL_NAME_LABEL
log = logging.getLogger("alembic.runtime.migration")


def field_cipher():
    """The settings' field cipher, or None when they hold no field key. Tests may hand one in
    (config.attributes["field_cipher"])."""
    config = context.config
    if "field_cipher" in config.attributes:
        return config.attributes["field_cipher"]
    if not config.config_file_name:
        return None
    from pyramid.paster import get_appsettings

    from portal.core.secret_strength import is_production, weak_secrets
    from portal.core.settings import SettingsError, apply_environment
    from portal.privacy.crypto import FieldCipher

    settings = apply_environment(get_appsettings(config.config_file_name), os.environ)
    keys, current = settings.get("portal.field_keys", "").strip(), settings.get("portal.field_key_id", "").strip()
    if not keys or not current:
        return None
    if is_production(settings):
        problems = [p for p in weak_secrets(settings) if p.startswith(("portal.field_keys", "portal.field_key_id"))]
        if problems:
            raise SettingsError("production refuses weak field keys:\n" + "\n".join(problems))
    return FieldCipher.from_setting(keys, current)


def upgrade():
    cipher = field_cipher()
    with op.batch_alter_table("media") as batch_op:
        batch_op.add_column(sa.Column("original_name_sealed", sa.Text(), nullable=True))
    media = sa.table("media", sa.column("id", sa.Integer), sa.column("original_name", sa.String),
                     sa.column("original_name_sealed", sa.Text))
    connection = op.get_bind()
    if cipher is not None:
        rows = connection.execute(sa.select(media.c.id, media.c.original_name)
                                  .where(media.c.original_name != "")).all()
        for row in rows:
            connection.execute(media.update().where(media.c.id == row.id)
                               .values(original_name_sealed=cipher.encrypt(row.original_name, LABEL)))
    else:
        log.warning("no field key in the settings: uploaded files' original names are dropped, not sealed")
    with op.batch_alter_table("media") as batch_op:
        batch_op.drop_column("original_name")


def downgrade():
    from portal.privacy.crypto import FieldCipherError

    cipher = field_cipher()
    with op.batch_alter_table("media") as batch_op:
        batch_op.add_column(sa.Column("original_name", sa.String(length=255), nullable=False, server_default=""))
    media = sa.table("media", sa.column("id", sa.Integer), sa.column("original_name", sa.String),
                     sa.column("original_name_sealed", sa.Text))
    connection = op.get_bind()
    if cipher is not None:
        rows = connection.execute(sa.select(media.c.id, media.c.original_name_sealed)
                                  .where(media.c.original_name_sealed.is_not(None))).all()
        for row in rows:
            try:
                name = cipher.decrypt(row.original_name_sealed, LABEL)[:255]
            except FieldCipherError:  # another key, or not a sealed name
                name = ""
            connection.execute(media.update().where(media.c.id == row.id).values(original_name=name))
    with op.batch_alter_table("media") as batch_op:
        batch_op.alter_column("original_name", server_default=None, existing_type=sa.String(length=255),
                              existing_nullable=False)
        batch_op.drop_column("original_name_sealed")
