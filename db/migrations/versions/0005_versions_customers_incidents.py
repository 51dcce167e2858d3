"""Optimistic locking for customers and incidents (issue 14 item 8): a `version` column, as on
case_file, so a correction saved over someone else's newer one is refused ("changed since you
opened it") instead of silently undoing it. Existing rows start at version 1. Also an index on
incident (customer_id, occurred_at), so the timeline's newest page of a customer with 200,000
incidents is read from the index, not sorted (issue 18 item 2). And incident.submission_token
(unique): the form submission that saved an incident, so submitting the same form twice saves
it once (issue 13 item 10).

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TABLES = ("customer", "incident")
INDEX = "ix_incident_customer_occurred"
TOKEN_INDEX = "ux_incident_submission_token"


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    for table in TABLES:
        if "version" not in {c["name"] for c in inspector.get_columns(table)}:
            op.add_column(table, sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
    if "submission_token" not in {c["name"] for c in inspector.get_columns("incident")}:
        op.add_column("incident", sa.Column("submission_token", sa.String(length=64), nullable=True))
    indexes = {i["name"] for i in inspector.get_indexes("incident")}
    if INDEX not in indexes:
        op.create_index(INDEX, "incident", ["customer_id", "occurred_at"])
    if TOKEN_INDEX not in indexes:
        op.create_index(TOKEN_INDEX, "incident", ["submission_token"], unique=True)


def downgrade() -> None:
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+): a batch rebuild would drop and re-create
    # `incident`, which the foreign keys that point at it refuse.
    op.drop_index(TOKEN_INDEX, table_name="incident")
    op.drop_index(INDEX, table_name="incident")
    op.execute("ALTER TABLE incident DROP COLUMN submission_token")
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} DROP COLUMN version")
