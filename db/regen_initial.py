"""Regenerate migration 0001 from the models (used only before the first release, while the
schema is still being built; after release every change gets a new numbered migration).

    .venv/bin/python -m db.regen_initial
"""
import shutil
import tempfile
from pathlib import Path

from alembic import command

from db.setup import MIGRATIONS, alembic_config

VERSIONS = MIGRATIONS / "versions"


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        later = [p for p in VERSIONS.glob("*.py") if not p.name.startswith("0001_")]
        for p in later:
            shutil.move(p, Path(folder) / p.name)
        try:
            for old in VERSIONS.glob("0001_*.py"):
                old.unlink()
            cfg = alembic_config(f"sqlite:///{Path(folder) / 'empty.db'}")
            command.revision(cfg, message="initial schema", autogenerate=True, rev_id="0001")
        finally:
            for p in later:
                shutil.move(Path(folder) / p.name, VERSIONS / p.name)
    print("Regenerated db/migrations/versions/0001_initial_schema.py")


if __name__ == "__main__":
    main()
