"""Letters benchmark (issue 5). A script, not a test:

    .venv/bin/python -m bench.letters              # 1,000-letter batch, writes docs/performance-letters.md
    .venv/bin/python -m bench.letters --batch 200  # a quicker run (does not overwrite the report)
    .venv/bin/python -m bench.letters --batch 200 --write   # a quicker run that writes the report

Measures, on this machine:

  render  letters rendered per second for each template (docxtpl with autoescape and
          StrictUndefined, save to .docx bytes), from core.letters.sample_context; the median
          of 3 timed runs of N letters after one warm-up letter;
  batch   core.services.letters.batch_zip for `--batch` review-outcome letters due in one
          week: a fresh SQLite database with the demo staff and that many cases (each with a
          formal restriction reviewed that week); the whole call is timed (finding the due
          letters, reading each case's records, rendering, zipping), once.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REPORT = ROOT / "docs" / "performance-letters.md"
WEEK = (dt.date(2026, 11, 16), dt.date(2026, 11, 22))


def bench_render(per_type: int) -> dict[str, float]:
    from core import letters as L
    from core.enums import LetterType

    rates = {}
    for letter_type in LetterType:
        context = L.sample_context(letter_type)
        L.render(letter_type, context)  # warm-up: template read and compiled
        runs = []
        for _ in range(3):
            start = time.perf_counter()
            for _ in range(per_type):
                L.render(letter_type, context)
            runs.append(per_type / (time.perf_counter() - start))
        rates[letter_type.value] = statistics.median(runs)
    return rates


def build_batch_db(url: str, n: int) -> None:
    """n customers, each with a case, a formal decision, one restriction and a review held in WEEK."""
    from sqlalchemy import select

    from core.db import UnitOfWork
    from core.demo import load_demo_data
    from core.enums import FormalActionType, ReviewOutcome, Stage
    from core.models import Case, Customer, FormalAction, Review, ServiceArea, StageEvent, User
    from db.setup import migrate

    migrate(url)
    load_demo_data(url, staff_only=True)
    with UnitOfWork(url) as uow:
        s = uow.session
        area = s.execute(select(ServiceArea).where(ServiceArea.name == "Housing Management")).scalar_one()
        leader = s.execute(select(User).where(User.username == "teamleader")).scalar_one()
        names = ["Siân", "Łukasz", "Zoë", "Aoife", "Kwame", "Mary-Jane"]
        for i in range(n):
            customer = Customer(
                housing_ref=f"NPH{700000 + i}",
                title="Mx",
                first_name=names[i % 6],
                last_name=f"O'Brien-Nkemelu {i}",
                address_line1=f"{i + 1} Abington Street",
                town="Northampton",
                postcode="NN1 2AA",
                service_area_id=area.id,
            )
            case = Case(
                customer=customer, service_area_id=area.id, stage=Stage.FORMAL, opened_by_id=leader.id
            )
            event = StageEvent(
                case=case,
                from_stage=Stage.WARNING,
                to_stage=Stage.FORMAL,
                decided_on=dt.date(2026, 8, 1),
                decided_by_id=leader.id,
            )
            action = FormalAction(
                case=case,
                stage_event=event,
                kind=FormalActionType.ONE_CHANNEL,
                terms="Contact by email only & answered within 10 working days",
                starts_on=dt.date(2026, 8, 1),
                review_due=dt.date(2026, 11, 18),
            )
            s.add_all([customer, case, event, action])
            s.flush()
            outcome = (ReviewOutcome.LIFT, ReviewOutcome.VARY, ReviewOutcome.CONTINUE)[i % 3]
            s.add(
                Review(
                    case_id=case.id,
                    subject_type="formal_action",
                    subject_id=action.id,
                    held_on=WEEK[0] + dt.timedelta(days=i % 5),
                    reviewed_by_id=leader.id,
                    outcome=outcome,
                    notes="Contact has been appropriate since August.",
                    next_review_due=None if outcome == ReviewOutcome.LIFT else dt.date(2027, 5, 18),
                )
            )
        uow.commit()


def bench_batch(n: int) -> dict:
    from core.auth import load_actor
    from core.db import UnitOfWork, dispose_engines
    from core.services import letters as svc

    with tempfile.TemporaryDirectory(prefix="ft-bench-letters-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'letters.db'}"
        start = time.perf_counter()
        build_batch_db(url, n)
        setup = time.perf_counter() - start
        leader = load_actor("teamleader", UnitOfWork(url))
        if leader is None:
            raise RuntimeError("the demo team leader is missing")
        ticks = []
        start = time.perf_counter()
        result = svc.batch_zip(
            leader,
            "review_outcome",
            UnitOfWork(url),
            *WEEK,
            today=dt.date(2026, 11, 23),
            progress=lambda done, total: ticks.append(done),
        )
        seconds = time.perf_counter() - start
        with zipfile.ZipFile(io.BytesIO(result.content)) as archive:
            names = archive.namelist()
            bad = archive.testzip()
        dispose_engines()
    assert result.count == n == len(names) and bad is None and not result.problems, result.problems[:3]
    assert ticks[-1] == n
    return {
        "letters": n,
        "seconds": seconds,
        "per_second": n / seconds,
        "setup": setup,
        "zip_mb": len(result.content) / 1e6,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def machine(load_at_start: tuple[float, ...]) -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    start = ", ".join(f"{x:.1f}" for x in load_at_start)
    end = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{cpu}, {os.cpu_count()} logical CPUs (shared with other work while measured; load "
        f"average {start} at the start and {end} at the end, from `uptime`), "
        f"Python {platform.python_version()}, {platform.system()}"
    )


def report(rates: dict[str, float], batch: dict, per_type: int, load_at_start: tuple[float, ...]) -> str:
    rows = "\n".join(f"| {name} | {rate:.1f} | {1000 / rate:.0f} |" for name, rate in rates.items())
    overall = statistics.mean(rates.values())
    batch_row = (
        f"| {batch['letters']:,} | **{batch['seconds']:.1f} s** | {batch['per_second']:.1f} "
        f"| {batch['zip_mb']:.1f} MB | {batch['peak_mb']:.0f} MB |"
    )
    return f"""# Letters: measured performance

Measured with `.venv/bin/python -m bench.letters` on {dt.date.today().day} {dt.date.today():%B %Y}.
Machine: {machine(load_at_start)}. One process, one thread; SQLite.

## Rendering (docxtpl, autoescape on, StrictUndefined, saved to .docx bytes)

Median of 3 runs of {per_type} letters per template, after a warm-up letter.

| template | letters per second | ms per letter |
|---|---|---|
{rows}

Mean over the templates: **{overall:.1f} letters per second** ({1000 / overall:.0f} ms each).
Most of the time is python-docx opening and re-saving the .docx package (parsing and
compressing its XML parts); the Jinja compile of each template's XML is cached per process.
The templates are of similar size, so most of the spread between rows is noise from the
shared CPUs (other engineers' test runs were using them at the same time).

## Batch: {batch["letters"]:,} review-outcome letters into one zip

`core.services.letters.batch_zip` for the review-outcome letters due in one week, on a fresh
SQLite database holding {batch["letters"]:,} cases with a review that week (built in
{batch["setup"]:.1f} s, not counted). Timed: finding the due letters, reading each case's
records, rendering every letter, writing the zip.

| letters | total | letters per second | zip size | peak memory (process) |
|---|---|---|---|---|
{batch_row}

Every letter in the zip was checked to be present and the zip to be intact. The page shows a
progress bar during a batch; a week's letters (tens, not thousands) take a few seconds.

These figures depend on how busy the shared machine is: read them with the load averages
above (2 CPUs, so a load above 2 means this process waited for a CPU). A quiet machine
renders roughly twice as fast; compare runs only at similar load.
"""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=1000, help="letters in the batch (default 1000)")
    parser.add_argument("--per-type", type=int, default=30, help="letters per template per run")
    parser.add_argument("--write", action="store_true", help="write the report whatever the batch size")
    args = parser.parse_args(argv)
    os.environ.setdefault("FT_BCRYPT_ROUNDS", "4")
    sys.path.insert(0, str(ROOT))
    load_at_start = os.getloadavg()
    rates = bench_render(args.per_type)
    for name, rate in rates.items():
        print(f"render {name:18s} {rate:6.1f} letters/s")
    batch = bench_batch(args.batch)
    print(
        f"batch  {batch['letters']} letters in {batch['seconds']:.1f} s "
        f"({batch['per_second']:.1f}/s), zip {batch['zip_mb']:.1f} MB, peak {batch['peak_mb']:.0f} MB"
    )
    if args.batch == 1000 or args.write:
        REPORT.parent.mkdir(exist_ok=True)
        REPORT.write_text(report(rates, batch, args.per_type, load_at_start), encoding="utf-8")
        print(f"wrote {REPORT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
