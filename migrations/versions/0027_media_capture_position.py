"""Where a photo says it was taken: the GPS position of its own EXIF/XMP, beside the capture time
(media/exif.py), for the police only.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("media") as batch:
        batch.add_column(sa.Column("captured_lat", sa.Float(), nullable=True))
        batch.add_column(sa.Column("captured_lon", sa.Float(), nullable=True))


def downgrade():
    with op.batch_alter_table("media") as batch:
        batch.drop_column("captured_lon")
        batch.drop_column("captured_lat")
