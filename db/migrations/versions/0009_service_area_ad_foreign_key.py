"""Create the service area -> Assistant Director foreign key where 0001 left it out.

Migration 0001 declares `fk_service_area_ad` with use_alter=True (service_area and app_user
refer to each other); `op.create_table` leaves such a constraint for a later ALTER that 0001
never ran, so PostgreSQL databases have no such key (SQLite writes it inside CREATE TABLE). Found
by tests/services/test_migrations.py comparing the models with the migrated schema on both.

Revision ID: 0009 (the lead re-chains revision ids when merging)
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0006"
branch_labels = None
depends_on = None

NAME = "fk_service_area_ad"


def _has_key() -> bool:
    keys = sa.inspect(op.get_bind()).get_foreign_keys("service_area")
    return any(key["name"] == NAME or key["constrained_columns"] == ["assistant_director_id"] for key in keys)


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite" and not _has_key():
        op.create_foreign_key(NAME, "service_area", "app_user", ["assistant_director_id"], ["id"])


def downgrade() -> None:
    # 0001 has the key on SQLite, so only the key this revision made is dropped.
    if op.get_bind().dialect.name != "sqlite" and _has_key():
        op.drop_constraint(NAME, "service_area", type_="foreignkey")
