"""The audit log stays append-only against every statement form, erasure can scrub personal
values from it in one controlled way, and the audit/access queries get the indexes they need.

1. SQLite fires no DELETE trigger when `INSERT OR REPLACE` (or `REPLACE INTO`, or an upsert)
   overwrites a row, so 0002's triggers let an existing entry be rewritten. A BEFORE INSERT
   trigger now refuses any insert that names an existing id. On PostgreSQL an
   `INSERT ... ON CONFLICT DO UPDATE` runs the row's BEFORE UPDATE trigger, which refuses it;
   TRUNCATE (no row triggers) is refused by a statement trigger.

2. Erasure scrub (issue 14, privacy): the only UPDATE either database accepts on audit_entry is
   one that
     - changes nothing but the `before`/`after` payloads,
     - sets each changed payload to exactly the redaction marker {"redacted": "personal data erased"},
     - on an entry whose customer (customer_id) is already marked erased (anonymised_at set).
   Who did what, to which record, when and why (user, action, entity, customer, at, reason) can
   never change, no entry can be deleted, and nothing can be written into a payload but the
   marker. Erasure (core.services.dataprotection.erasure) runs this scrub in the same
   transaction as the anonymisation, so no erased value stays in the database file. For anyone
   else, and for every other customer, the log remains strictly append-only.

3. Indexes: the audit page filters by user, customer, record type or action and pages newest first by
   (at, id); the access log is read newest first by time (it had no index on `at`).

Revision ID: 0004
Revises: 0003
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# Mirrored in core/models/governance.py and core/models/registers.py.
INDEXES = [
    ("ix_audit_entity_at", "audit_entry", ["entity_type", "at"]),
    ("ix_audit_username_at", "audit_entry", ["username", "at"]),
    ("ix_audit_customer_at", "audit_entry", ["customer_id", "at"]),
    ("ix_audit_action_at", "audit_entry", ["action", "at"]),
    ("ix_access_log_at", "access_log", ["at"]),
    ("ix_disclosure_log_at", "disclosure_log", ["at"]),
]

MARKER = '{"redacted": "personal data erased"}'  # core.services.dataprotection.erasure.REDACTED

_SQLITE_SAME = " AND ".join(
    f'NEW."{c}" IS OLD."{c}"'
    for c in (
        "id",
        "at",
        "user_id",
        "username",
        "action",
        "entity_type",
        "entity_id",
        "customer_id",
        "reason",
    )
)
_SQLITE_PAYLOAD = " AND ".join(
    f"""(NEW."{c}" IS OLD."{c}" OR (json_valid(NEW."{c}") AND json(NEW."{c}") = json('{MARKER}')))"""
    for c in ("before", "after")
)
SQLITE_UP = [
    """CREATE TRIGGER audit_entry_no_replace BEFORE INSERT ON audit_entry
       WHEN NEW.id IS NOT NULL AND EXISTS (SELECT 1 FROM audit_entry WHERE id = NEW.id)
       BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END""",
    "DROP TRIGGER IF EXISTS audit_entry_no_update",
    f"""CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON audit_entry
       WHEN NOT ({_SQLITE_SAME} AND {_SQLITE_PAYLOAD}
                 AND EXISTS (SELECT 1 FROM customer
                             WHERE customer.id = OLD.customer_id AND customer.anonymised_at IS NOT NULL))
       BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS audit_entry_no_replace",
    "DROP TRIGGER IF EXISTS audit_entry_no_update",
    """CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON audit_entry
       BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END""",
]

_PG_SAME = " AND ".join(
    f'NEW."{c}" IS NOT DISTINCT FROM OLD."{c}"'
    for c in (
        "id",
        "at",
        "user_id",
        "username",
        "action",
        "entity_type",
        "entity_id",
        "customer_id",
        "reason",
    )
)
_PG_PAYLOAD = " AND ".join(
    f"""(NEW."{c}"::jsonb IS NOT DISTINCT FROM OLD."{c}"::jsonb OR NEW."{c}"::jsonb = '{MARKER}'::jsonb)"""
    for c in ("before", "after")
)
POSTGRES_UP = [
    f"""CREATE OR REPLACE FUNCTION audit_entry_append_only() RETURNS trigger AS $$
       BEGIN
         IF TG_OP = 'UPDATE' AND {_PG_SAME} AND {_PG_PAYLOAD}
            AND EXISTS (SELECT 1 FROM customer
                        WHERE customer.id = OLD.customer_id AND customer.anonymised_at IS NOT NULL) THEN
           RETURN NEW;
         END IF;
         RAISE EXCEPTION 'audit entries are append-only';
       END; $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER audit_entry_no_truncate BEFORE TRUNCATE ON audit_entry
       FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_append_only()""",
]
POSTGRES_DOWN = [
    "DROP TRIGGER IF EXISTS audit_entry_no_truncate ON audit_entry",
    """CREATE OR REPLACE FUNCTION audit_entry_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'audit entries are append-only'; END; $$ LANGUAGE plpgsql""",
]


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, if_not_exists=True)
    dialect = op.get_bind().dialect.name
    for statement in SQLITE_UP if dialect == "sqlite" else POSTGRES_UP if dialect == "postgresql" else []:
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in SQLITE_DOWN if dialect == "sqlite" else POSTGRES_DOWN if dialect == "postgresql" else []:
        op.execute(statement)
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table, if_exists=True)
