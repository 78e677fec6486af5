"""Richer notices: a missing person's age becomes a range (an existing age becomes min = max), with
weight range, languages, sealed medical needs and whether the family agreed to publish them, and how
precisely the public map shows the last-seen place (existing appeals: district only, as before no map);
photos get the day they were taken; approved notices of every kind get the approving unit's badge
(verified_by_unit/at), filled for those already approved from their approver's unit.

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None

TABLE = "missing_person_details"
CHECKS = {
    "age_min": "age_min IS NULL OR age_min BETWEEN 0 AND 130",
    "age_max": "age_max IS NULL OR age_max BETWEEN 0 AND 130",
    "age_order": "age_min IS NULL OR age_max IS NULL OR age_min <= age_max",
    "weight_min": "weight_min_kg IS NULL OR weight_min_kg BETWEEN 1 AND 400",
    "weight_max": "weight_max_kg IS NULL OR weight_max_kg BETWEEN 1 AND 400",
    "last_seen_precision": "last_seen_precision IN ('exact', '500m', '2km', 'district')",
}
NEW_COLUMNS = (
    ("age_min", sa.Integer()), ("age_max", sa.Integer()), ("weight_min_kg", sa.Integer()),
    ("weight_max_kg", sa.Integer()), ("medical_needs", sa.Text()),
)
# Badges of notices approved before this revision: the approver's unit, at publication.
APPROVED = ("verified_by_unit_id IS NULL AND approver_id IS NOT NULL AND published_at IS NOT NULL "
            "AND kind <> 'missing_person'")


def upgrade():
    with op.batch_alter_table(TABLE) as batch:
        for name, type_ in NEW_COLUMNS:
            batch.add_column(sa.Column(name, type_, nullable=True))
        batch.add_column(sa.Column("languages", sa.String(200), nullable=False, server_default=""))
        batch.add_column(sa.Column("medical_needs_public", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("last_seen_precision", sa.String(8), nullable=False, server_default="district"))
    op.execute(f"UPDATE {TABLE} SET age_min = age, age_max = age")  # noqa: S608 (constant names)
    with op.batch_alter_table(TABLE) as batch:
        batch.drop_constraint(op.f(f"ck_{TABLE}_age"), type_="check")
        batch.drop_column("age")
        for name, condition in CHECKS.items():
            batch.create_check_constraint(op.f(f"ck_{TABLE}_{name}"), condition)
    with op.batch_alter_table("media") as batch:
        batch.add_column(sa.Column("taken_on", sa.Date(), nullable=True))
    op.execute("UPDATE notices SET verified_at = published_at, verified_by_unit_id = "  # noqa: S608 (constants)
               "(SELECT officers.unit_id FROM officers WHERE officers.id = notices.approver_id) WHERE " + APPROVED)


def downgrade():
    # Badges of staff-written notices did not exist before; a missing person's keeps its command center.
    op.execute("UPDATE notices SET verified_at = NULL, verified_by_unit_id = NULL WHERE kind <> 'missing_person'")
    with op.batch_alter_table("media") as batch:
        batch.drop_column("taken_on")
    with op.batch_alter_table(TABLE) as batch:
        batch.add_column(sa.Column("age", sa.Integer(), nullable=True))
    # One number again: the lower bound (the range's other end and the new fields are lost).
    op.execute(f"UPDATE {TABLE} SET age = age_min")  # noqa: S608 (constant names)
    with op.batch_alter_table(TABLE) as batch:
        for name in CHECKS:
            batch.drop_constraint(op.f(f"ck_{TABLE}_{name}"), type_="check")
        for name in ("last_seen_precision", "medical_needs_public", "languages"):
            batch.drop_column(name)
        for name, _type in reversed(NEW_COLUMNS):
            batch.drop_column(name)
        batch.create_check_constraint(op.f(f"ck_{TABLE}_age"), "age IS NULL OR age BETWEEN 0 AND 130")
