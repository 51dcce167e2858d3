"""Sessions that really end: a session generation number per user, bumped on disable,
password reset and sign-out (a session or cookie carrying an older number is signed out),
and a flag for a one-time password that must be changed at the first sign-in.

Idempotent: migration 0001 is regenerated from the models before release, so the columns
may already exist.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

COLUMNS = [
    ("session_generation", sa.Integer(), "0"),
    ("must_change_password", sa.Boolean(), "0"),
]


def _existing() -> set[str]:
    return {c["name"] for c in sa.inspect(op.get_bind()).get_columns("app_user")}


def upgrade() -> None:
    existing = _existing()
    for name, type_, default in COLUMNS:
        if name not in existing:
            server_default = sa.false() if isinstance(type_, sa.Boolean) else sa.text(default)
            op.add_column("app_user", sa.Column(name, type_, nullable=False, server_default=server_default))


def downgrade() -> None:
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35+, PostgreSQL): no table rebuild, so the foreign
    # keys that point at app_user stay valid.
    existing = _existing()
    for name, _type, _default in reversed(COLUMNS):
        if name in existing:
            op.execute(f"ALTER TABLE app_user DROP COLUMN {name}")
