"""Monitoring at volume (issue 7): the incident_daily summary table, kept exact by triggers,
and composite indexes for the "as of today" counts.

`incident_daily` (core.models.summary.IncidentDaily) counts incidents per UTC day of
occurred_at, service area and category (behaviour = ''), and incidents with each behaviour
(behaviour = the code). Triggers on incident and incident_behaviour (insert, update, delete)
keep it exact for every code path (services, erasure, retention deletion, bulk loads); a row
that falls to zero is deleted. SQLite uses row triggers; PostgreSQL statement triggers with
transition tables, so a bulk insert updates the summary once per statement.

Idempotent on the schema side: migration 0001 is regenerated from the models before release,
so the table and indexes may already exist; the triggers are created here and the table is
always rebuilt from the rows.

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

KEY = "(day, service_area_id, category, behaviour)"
COLUMNS = "(day, service_area_id, category, behaviour, incidents)"

# (name, table, columns): mirrored in core/models (Case, FormalAction, SpocEntry, PvpEntry, Appeal, StageEvent).
INDEXES = [
    ("ix_case_file_stage_area", "case_file", ["stage", "service_area_id"]),
    ("ix_case_file_stage_warning_review", "case_file", ["stage", "warning_review_due", "service_area_id"]),
    ("ix_formal_action_status_review", "formal_action", ["status", "review_due", "case_id"]),
    ("ix_spoc_entry_status_review", "spoc_entry", ["status", "review_due", "case_id"]),
    ("ix_pvp_entry_status_review", "pvp_entry", ["status", "review_due", "customer_id"]),
    ("ix_appeal_pending_due", "appeal", ["decided_on", "due_on", "case_id"]),
    ("ix_stage_event_period_moves", "stage_event", ["decided_on", "case_id", "from_stage", "to_stage"]),
]

# ---------------------------------------------------------------- SQLite: row triggers

_S_DAY = "substr({r}.occurred_at, 1, 10)"  # SQLite stores 'YYYY-MM-DD HH:MM:SS[.ffffff]' (UTC)


def _s_add(r: str) -> str:
    """Add incident r (NEW) and the behaviours already recorded on it."""
    day = _S_DAY.format(r=r)
    return f"""
        INSERT INTO incident_daily {COLUMNS} VALUES ({day}, {r}.service_area_id, {r}.category, '', 1)
            ON CONFLICT {KEY} DO UPDATE SET incidents = incidents + 1;
        INSERT INTO incident_daily {COLUMNS}
            SELECT {day}, {r}.service_area_id, {r}.category, b.behaviour, 1
            FROM incident_behaviour b WHERE b.incident_id = {r}.id
            ON CONFLICT {KEY} DO UPDATE SET incidents = incidents + 1;"""


def _s_remove(r: str) -> str:
    """Take away incident r (OLD) and the behaviours still recorded on it."""
    where = (f"day = {_S_DAY.format(r=r)} AND service_area_id = {r}.service_area_id "
             f"AND category = {r}.category")
    return f"""
        UPDATE incident_daily SET incidents = incidents - 1
            WHERE {where} AND (behaviour = '' OR behaviour IN
                  (SELECT b.behaviour FROM incident_behaviour b WHERE b.incident_id = {r}.id));
        DELETE FROM incident_daily WHERE {where} AND incidents <= 0;"""


def _s_behaviour_add(r: str) -> str:
    return f"""
        INSERT INTO incident_daily {COLUMNS}
            SELECT {_S_DAY.format(r='i')}, i.service_area_id, i.category, {r}.behaviour, 1
            FROM incident i WHERE i.id = {r}.incident_id
            ON CONFLICT {KEY} DO UPDATE SET incidents = incidents + 1;"""


def _s_behaviour_remove(r: str) -> str:
    where = (f"behaviour = {r}.behaviour AND (day, service_area_id, category) = "
             f"(SELECT {_S_DAY.format(r='i')}, i.service_area_id, i.category FROM incident i "
             f"WHERE i.id = {r}.incident_id)")
    return f"""
        UPDATE incident_daily SET incidents = incidents - 1 WHERE {where};
        DELETE FROM incident_daily WHERE {where} AND incidents <= 0;"""


_S_KEY_CHANGED = ("substr(OLD.occurred_at, 1, 10) IS NOT substr(NEW.occurred_at, 1, 10) "
                  "OR OLD.service_area_id IS NOT NEW.service_area_id OR OLD.category IS NOT NEW.category "
                  "OR OLD.id IS NOT NEW.id")

SQLITE_TRIGGERS = {
    "incident_daily_incident_insert":
        f"AFTER INSERT ON incident BEGIN {_s_add('NEW')} END",
    "incident_daily_incident_update":
        f"AFTER UPDATE OF id, occurred_at, service_area_id, category ON incident "
        f"WHEN {_S_KEY_CHANGED} BEGIN {_s_remove('OLD')} {_s_add('NEW')} END",
    "incident_daily_incident_delete":
        f"AFTER DELETE ON incident BEGIN {_s_remove('OLD')} END",
    "incident_daily_behaviour_insert":
        f"AFTER INSERT ON incident_behaviour BEGIN {_s_behaviour_add('NEW')} END",
    "incident_daily_behaviour_update":
        "AFTER UPDATE ON incident_behaviour WHEN OLD.incident_id IS NOT NEW.incident_id "
        f"OR OLD.behaviour IS NOT NEW.behaviour BEGIN {_s_behaviour_remove('OLD')} {_s_behaviour_add('NEW')} END",
    "incident_daily_behaviour_delete":
        f"AFTER DELETE ON incident_behaviour BEGIN {_s_behaviour_remove('OLD')} END",
}

# ---------------------------------------------------------------- PostgreSQL: statement triggers


def _p_rows(rows: str, sign: int) -> str:
    """Signed counts for the incidents in transition table `rows` and their behaviours."""
    return f"""
        SELECT CAST(r.occurred_at AS date) AS day, r.service_area_id, r.category,
               CAST('' AS varchar(40)) AS behaviour, {sign} AS n FROM {rows} r
        UNION ALL
        SELECT CAST(r.occurred_at AS date), r.service_area_id, r.category, b.behaviour, {sign}
        FROM {rows} r JOIN incident_behaviour b ON b.incident_id = r.id"""


def _p_behaviour_rows(rows: str, sign: int) -> str:
    return f"""
        SELECT CAST(i.occurred_at AS date) AS day, i.service_area_id, i.category, r.behaviour, {sign} AS n
        FROM {rows} r JOIN incident i ON i.id = r.incident_id"""


def _p_apply(deltas: str) -> str:
    """Add the summed deltas; delete the rows that reach zero."""
    return f"""
        FOR k IN
            INSERT INTO incident_daily AS d {COLUMNS}
            SELECT day, service_area_id, category, behaviour, SUM(n) FROM ({deltas}) AS delta
            GROUP BY day, service_area_id, category, behaviour HAVING SUM(n) <> 0
            ON CONFLICT {KEY} DO UPDATE SET incidents = d.incidents + EXCLUDED.incidents
            RETURNING d.day, d.service_area_id, d.category, d.behaviour, d.incidents
        LOOP
            IF k.incidents <= 0 THEN
                DELETE FROM incident_daily WHERE day = k.day AND service_area_id = k.service_area_id
                    AND category = k.category AND behaviour = k.behaviour;
            END IF;
        END LOOP;"""


def _p_function(name: str, body_by_op: dict[str, str]) -> str:
    branches = " ".join(f"{'IF' if i == 0 else 'ELSIF'} TG_OP = '{op_}' THEN {body}"
                        for i, (op_, body) in enumerate(body_by_op.items()))
    return f"""CREATE OR REPLACE FUNCTION {name}() RETURNS trigger AS $$
        DECLARE k record;
        BEGIN {branches} END IF; RETURN NULL; END; $$ LANGUAGE plpgsql"""


POSTGRES = [
    _p_function("incident_daily_from_incident", {
        "INSERT": _p_apply(_p_rows("new_rows", 1)),
        "UPDATE": _p_apply(_p_rows("old_rows", -1) + " UNION ALL " + _p_rows("new_rows", 1)),
        "DELETE": _p_apply(_p_rows("old_rows", -1)),
    }),
    _p_function("incident_daily_from_behaviour", {
        "INSERT": _p_apply(_p_behaviour_rows("new_rows", 1)),
        "UPDATE": _p_apply(_p_behaviour_rows("old_rows", -1) + " UNION ALL " + _p_behaviour_rows("new_rows", 1)),
        "DELETE": _p_apply(_p_behaviour_rows("old_rows", -1)),
    }),
]
_P_TRIGGERS = [  # (trigger, table, event, referencing, function)
    ("incident_daily_incident_insert", "incident", "INSERT", "NEW TABLE AS new_rows", "incident_daily_from_incident"),
    ("incident_daily_incident_update", "incident", "UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows",
     "incident_daily_from_incident"),
    ("incident_daily_incident_delete", "incident", "DELETE", "OLD TABLE AS old_rows", "incident_daily_from_incident"),
    ("incident_daily_behaviour_insert", "incident_behaviour", "INSERT", "NEW TABLE AS new_rows",
     "incident_daily_from_behaviour"),
    ("incident_daily_behaviour_update", "incident_behaviour", "UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows",
     "incident_daily_from_behaviour"),
    ("incident_daily_behaviour_delete", "incident_behaviour", "DELETE", "OLD TABLE AS old_rows",
     "incident_daily_from_behaviour"),
]
POSTGRES += [f"CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {ref} "
             f"FOR EACH STATEMENT EXECUTE FUNCTION {fn}()" for name, table, event, ref, fn in _P_TRIGGERS]


def backfill_sql(dialect: str) -> str:
    day = "substr({r}.occurred_at, 1, 10)" if dialect == "sqlite" else "CAST({r}.occurred_at AS date)"
    return f"""
        INSERT INTO incident_daily {COLUMNS}
        SELECT {day.format(r='i')}, i.service_area_id, i.category, '', COUNT(*) FROM incident i
        GROUP BY {day.format(r='i')}, i.service_area_id, i.category
        UNION ALL
        SELECT {day.format(r='i')}, i.service_area_id, i.category, b.behaviour, COUNT(*)
        FROM incident_behaviour b JOIN incident i ON i.id = b.incident_id
        GROUP BY {day.format(r='i')}, i.service_area_id, i.category, b.behaviour"""


def upgrade() -> None:
    bind = op.get_bind()
    dialect = bind.dialect.name
    inspector = sa.inspect(bind)
    if not inspector.has_table("incident_daily"):
        op.create_table(
            "incident_daily",
            sa.Column("day", sa.Date(), nullable=False),
            sa.Column("service_area_id", sa.Integer(), autoincrement=False, nullable=False),
            sa.Column("category", sa.String(length=40), nullable=False),
            sa.Column("behaviour", sa.String(length=40), nullable=False),
            sa.Column("incidents", sa.Integer(), nullable=False),
            sa.PrimaryKeyConstraint("day", "service_area_id", "category", "behaviour", name="pk_incident_daily"),
        )
    for name, table, columns in INDEXES:
        if name not in {ix["name"] for ix in inspector.get_indexes(table)}:
            op.create_index(name, table, columns, unique=False)
    if dialect == "sqlite":
        for name, body in SQLITE_TRIGGERS.items():
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
            op.execute(f"CREATE TRIGGER {name} {body}")
    elif dialect == "postgresql":
        for name, table, *_ in _P_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        for statement in POSTGRES:
            op.execute(statement)
    op.execute("DELETE FROM incident_daily")
    op.execute(backfill_sql(dialect))


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    elif dialect == "postgresql":
        for name, table, *_ in _P_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        op.execute("DROP FUNCTION IF EXISTS incident_daily_from_incident()")
        op.execute("DROP FUNCTION IF EXISTS incident_daily_from_behaviour()")
    for name, table, _ in INDEXES:
        op.drop_index(name, table_name=table)
    op.drop_table("incident_daily")
