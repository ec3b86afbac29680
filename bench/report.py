"""How a suite's figures are shown (a rich table) and kept (``bench/results/<suite>.json``)."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from rich.table import Table

from bench.harness import Figure

__all__ = ["figure_table", "format_value", "machine_info", "write_results"]

_PACKAGES = ("eventram", "eventsourcing", "msgspec", "sortedcontainers")


def format_value(value: float) -> str:
    """A number with three significant digits and thousands separators."""
    magnitude = abs(value)
    if magnitude >= 1000:
        return f"{value:,.0f}"
    if magnitude >= 100:
        return f"{value:.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    if magnitude >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def _stats_cell(figure: Figure, anchor: bool) -> str:
    stats = figure.anchor if anchor else figure.ours
    if stats is None:
        return "-"
    return (
        f"{format_value(stats.median)}\n"
        f"[dim]{format_value(stats.min)} - {format_value(stats.max)}[/dim]"
    )


def figure_table(suite: str, figures: Sequence[Figure], title: str = "") -> Table:
    """The figures of a suite as a table: ours, anchor, ratio, target, met?"""
    table = Table(title=f"{suite}: {title}" if title else suite, show_lines=True)
    table.add_column("figure [dim](vs anchor)[/dim]", ratio=3)
    table.add_column("unit", ratio=1)
    table.add_column("ours\n[dim]min - max[/dim]", justify="right", no_wrap=True)
    table.add_column("anchor\n[dim]min - max[/dim]", justify="right", no_wrap=True)
    table.add_column("ratio", justify="right", no_wrap=True)
    table.add_column("target", justify="right", no_wrap=True)
    table.add_column("met?", justify="center", no_wrap=True)
    for figure in figures:
        ratio = figure.ratio
        met = figure.met
        name = figure.name
        if figure.anchor_name:
            name += f"\n[dim]vs {figure.anchor_name}[/dim]"
        table.add_row(
            name,
            figure.unit + ("\n[dim]lower is better[/dim]" if figure.better == "lower" else ""),
            _stats_cell(figure, anchor=False),
            _stats_cell(figure, anchor=True),
            "-" if ratio is None else f"{ratio:.2f}x",
            "-" if figure.target is None else f">= {figure.target:g}x",
            "-" if met is None else ("[green]yes[/green]" if met else "[red]NO[/red]"),
        )
    return table


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_total() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _git_commit() -> str | None:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            timeout=5,
            cwd=Path(__file__).parent,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None


def machine_info() -> dict[str, Any]:
    """What ran the benchmark: CPU, cores, memory, OS, Python, package versions, load."""
    versions: dict[str, str] = {}
    for package in _PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    try:
        usable_cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        usable_cpus = os.cpu_count() or 0
    return {
        "cpu": _cpu_model(),
        "logical_cpus": os.cpu_count(),
        "usable_cpus": usable_cpus,
        "memory_bytes": _memory_total(),
        "platform": platform.platform(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "packages": versions,
        "git_commit": _git_commit(),
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }


def write_results(
    path: Path,
    *,
    suite: str,
    title: str,
    figures: Sequence[Figure],
    quick: bool,
    trials: int,
    started: datetime,
    machine: dict[str, Any],
    context: dict[str, Any],
    error: str | None = None,
) -> None:
    """Write the JSON record of one suite's run."""
    record = {
        "suite": suite,
        "title": title,
        "date": started.isoformat(),
        "finished": datetime.now(UTC).isoformat(),
        "quick": quick,
        "trials": trials,
        "machine": machine,
        "context": context,
        "figures": [figure.to_dict() for figure in figures],
        "targets_met": sum(1 for f in figures if f.met),
        "targets": sum(1 for f in figures if f.met is not None),
        "error": error,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=2, default=str) + "\n")
