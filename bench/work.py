"""Home page ("My work") benchmark (issue 15). A script, not a test:

    .venv/bin/python -m bench.work                      # size 20 demo database (100,000 incidents)
    .venv/bin/python -m bench.work --size 200            # 1,000,000 incidents (slow to build)
    .venv/bin/python -m bench.work --url postgresql+psycopg://...   # an existing, filled database

Builds (once, kept in the temp folder) a SQLite demo database of the given size, then times every
kind of work for the busiest user of each role: one SQL query each (core.services.work), the median
of `--runs` runs after a warm-up, and the whole home page (every kind for that role) the same way.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

os.environ.setdefault("FT_BCRYPT_ROUNDS", "4")


def build(size: float) -> str:
    from core.db import dispose_engines
    from core.demo import load_demo_data
    from db.setup import migrate

    path = Path(tempfile.gettempdir()) / f"ft-bench-work-{size:g}.db"
    url = f"sqlite:///{path}"
    if not path.exists():
        start = time.perf_counter()
        migrate(url)
        counts = load_demo_data(url, size=size)
        dispose_engines()
        print(f"built {path} in {time.perf_counter() - start:.0f} s: {counts.get('incident', '?')} incidents")
    return url


def timed(call: Callable[[], T], runs: int) -> tuple[float, T]:
    result = call()  # warm-up
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        result = call()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=float, default=20.0)
    parser.add_argument("--url", default="")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    url = args.url or build(args.size)

    from sqlalchemy import func, select

    from core.auth import actor_from_user
    from core.db import UnitOfWork
    from core.models import Incident, User
    from core.permissions import Actor
    from core.services import work
    from core.services.work._rows import LIST_LIMIT, Kind, WorkLine, run_kind

    today = dt.date.today()
    with UnitOfWork(url) as uow:
        incidents = uow.session.scalar(select(func.count(Incident.id)))
        users = [actor_from_user(u) for u in uow.session.scalars(select(User).where(User.active.is_(True)))]
    print(f"{incidents:,} incidents; {args.runs} runs each, median ms; list limit {LIST_LIMIT}")
    print(f"{'user':<12} {'kind':<22} {'count':>7} {'ms':>8}")
    for actor in users:
        kinds = work.KINDS_BY_ROLE.get(actor.role, ())
        if not kinds:
            continue
        for kind in kinds:

            def one(kind: Kind = kind, actor: Actor = actor) -> WorkLine:
                with UnitOfWork(url) as uow:
                    return run_kind(uow.session, actor, kind, today, LIST_LIMIT)

            ms, line = timed(one, args.runs)
            print(f"{actor.username:<12} {kind.kind:<22} {line.count:>7} {ms:>8.1f}")

        def page(actor: Actor = actor) -> work.MyWork:
            return work.my_work(actor, UnitOfWork(url), today)

        ms, mine = timed(page, args.runs)
        print(f"{actor.username:<12} {'(whole home page)':<22} {mine.total:>7} {ms:>8.1f}")


if __name__ == "__main__":
    main()
