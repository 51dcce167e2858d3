"""Migrations are frozen (issue 12, item 7): the schema changes only through new alembic
revisions, and the models always equal the migrated schema, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from core.db import get_engine
from core.models import Base
from db.setup import MIGRATIONS, alembic_config

VERSIONS = MIGRATIONS / "versions"

# Released revisions: never edited or regenerated in place (a change is a new revision).
FROZEN = {
    "0001_initial_schema.py": "3cf251f4be2c56770a3a77427ca216f9f714f4238d44a346d3f077f1dbfc402c",
    "0002_audit_append_only.py": "fb23347b20e95f15174e0826d0e170c52eea7411bf7bbbdd36a668408c4d161a",
    "0003_incident_daily_summary.py": "6a69df11404a206b29e57a6c1bafab60ab5081e586212847774412779e28ac52",
}


def test_the_models_equal_the_migrated_schema(db_url):
    """db_url is a database freshly migrated to head (conftest), on each backend."""
    with get_engine(db_url).connect() as connection:
        context = MigrationContext.configure(connection)
        diff = compare_metadata(context, Base.metadata)
        current = context.get_current_revision()
    assert diff == [], "the models and the migrations differ: add a new alembic revision"
    assert current == ScriptDirectory.from_config(alembic_config(db_url)).get_current_head()


def test_released_migrations_are_not_edited():
    changed = [
        name
        for name, digest in FROZEN.items()
        if hashlib.sha256((VERSIONS / name).read_bytes()).hexdigest() != digest
    ]
    assert changed == [], "released migrations are frozen: put the change in a new revision"


def test_the_revisions_form_one_line_named_after_their_ids():
    scripts = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert len(scripts.get_heads()) == 1, "two heads: chain the new revision after the last one"
    for revision in scripts.walk_revisions():
        assert Path(revision.path).name.startswith(f"{revision.revision}_"), revision.path


def test_the_initial_schema_is_no_longer_regenerated():
    root = Path(__file__).resolve().parents[2]
    assert not (root / "db" / "regen_initial.py").exists()
