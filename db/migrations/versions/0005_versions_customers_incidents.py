"""Optimistic locking for customers and incidents (issue 14 item 8): a `version` column, as on
case_file, so a correction saved over someone else's newer one is refused ("changed since you
opened it") instead of silently undoing it. Existing rows start at version 1. Also an index on
incident (customer_id, occurred_at), so the timeline's newest page of a customer with 200,000
incidents is read from the index, not sorted (issue 18 item 2).

Revision ID: 0005
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0003"
branch_labels = None
depends_on = None

TABLES = ("customer", "incident")
INDEX = "ix_incident_customer_occurred"


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    for table in TABLES:
        if "version" not in {c["name"] for c in inspector.get_columns(table)}:
            op.add_column(table, sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
    if INDEX not in {i["name"] for i in inspector.get_indexes("incident")}:
        op.create_index(INDEX, "incident", ["customer_id", "occurred_at"])


def downgrade() -> None:
    op.drop_index(INDEX, table_name="incident")
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("version")
