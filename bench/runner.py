"""Finds suites under ``bench/suites/``, runs them one after another, prints and records them.

A suite that is missing, cannot be imported (an optional dependency is absent) or skips itself
is reported and passed over; a suite that fails is reported, its partial figures are still
written, and the run goes on with the next suite.
"""

from __future__ import annotations

import importlib
import pkgutil
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Literal, cast

from rich.console import Console

import bench.suites
from bench.harness import Bench, Figure, SkipSuite
from bench.report import figure_table, format_value, machine_info, write_results

__all__ = ["SuiteOutcome", "available_suites", "run_suites"]

RESULTS = Path(__file__).parent / "results"
FIRST = "core"

SuiteFunction = Callable[[Bench], None]
Status = Literal["ok", "missing", "skipped", "failed"]


@dataclass(frozen=True)
class SuiteOutcome:
    """What happened to one suite in a run."""

    name: str
    status: Status
    figures: tuple[Figure, ...] = ()
    detail: str = ""


def available_suites() -> list[str]:
    """Names of the suite modules present, ``core`` first, then alphabetical."""
    names = [
        info.name
        for info in pkgutil.iter_modules(bench.suites.__path__)
        if not info.name.startswith("_")
    ]
    return sorted(names, key=lambda name: (name != FIRST, name))


def _title(module: ModuleType) -> str:
    doc = (module.__doc__ or "").strip()
    return doc.splitlines()[0].rstrip(".") if doc else ""


def _load(name: str) -> tuple[SuiteFunction, str]:
    module = importlib.import_module(f"bench.suites.{name}")
    run = getattr(module, "run", None)
    if not callable(run):
        raise TypeError(f"bench/suites/{name}.py has no run(bench) function")
    return cast(SuiteFunction, run), _title(module)


def run_suites(
    names: Sequence[str],
    *,
    quick: bool,
    trials: int,
    console: Console,
    results: Path = RESULTS,
) -> list[SuiteOutcome]:
    """Run the named suites in order; print each one's table and write its JSON record."""
    present = set(available_suites())
    machine = machine_info()
    outcomes: list[SuiteOutcome] = []
    for name in names:
        if name not in present:
            console.print(f"[yellow]suite {name!r} is not there (bench/suites/{name}.py); skipped")
            outcomes.append(SuiteOutcome(name, "missing"))
            continue
        outcomes.append(_run_one(name, quick, trials, console, results, machine))
    return outcomes


def _run_one(
    name: str,
    quick: bool,
    trials: int,
    console: Console,
    results: Path,
    machine: dict[str, object],
) -> SuiteOutcome:
    try:
        run, title = _load(name)
    except ImportError as exc:
        console.print(f"[yellow]suite {name!r} skipped: cannot import it ({exc})")
        return SuiteOutcome(name, "skipped", detail=str(exc))

    def show(figure: Figure) -> None:
        ratio = figure.ratio
        console.print(
            f"  {figure.name}: {format_value(figure.ours.median)} {figure.unit}"
            + ("" if ratio is None else f"  ({ratio:.2f}x {figure.anchor_name})"),
            highlight=False,
        )

    bench = Bench(name, quick=quick, trials=trials, on_figure=show)
    started = datetime.now(UTC)
    console.rule(f"[bold]{name}[/bold]" + (f": {title}" if title else ""))
    status: Status = "ok"
    detail = ""
    try:
        run(bench)
    except SkipSuite as exc:
        console.print(f"[yellow]suite {name!r} skipped: {exc}")
        return SuiteOutcome(name, "skipped", tuple(bench.figures), str(exc))
    except Exception as exc:
        console.print(f"[red]suite {name!r} failed:[/red]")
        console.print(traceback.format_exc(), highlight=False, markup=False)
        status, detail = "failed", f"{type(exc).__name__}: {exc}"
    if bench.figures:
        console.print(figure_table(name, bench.figures, title))
    path = (results / "quick" if quick else results) / f"{name}.json"
    write_results(
        path,
        suite=name,
        title=title,
        figures=bench.figures,
        quick=quick,
        trials=trials,
        started=started,
        machine=machine,
        context=bench.context,
        error=detail or None,
    )
    console.print(f"[dim]written {path}[/dim]")
    return SuiteOutcome(name, status, tuple(bench.figures), detail)
