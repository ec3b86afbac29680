"""``python -m bench [suite ...] [--quick] [--trials N]``: run benchmark suites (all by default)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from rich.console import Console

from bench.runner import available_suites, run_suites


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Measure eventram next to its anchors; write bench/results/<suite>.json.",
    )
    parser.add_argument("suites", nargs="*", help="suites to run (default: all present)")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="small sizes, a smoke test; results go to bench/results/quick/",
    )
    parser.add_argument(
        "--trials", type=int, default=5, help="samples per side of each figure (default 5)"
    )
    parser.add_argument("--list", action="store_true", help="list the suites present and exit")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status: 1 if a suite failed, else 0.

    Missing or skipped suites do not fail the run (they are optional); they are listed.
    """
    args = _parser().parse_args(argv)
    console = Console()
    if not console.is_terminal:
        console = Console(width=140)  # a log file or a pipe: do not squeeze the tables
    if args.list:
        for name in available_suites():
            console.print(name)
        return 0
    if args.trials < 1:
        console.print("[red]--trials must be at least 1")
        return 2
    if args.trials < 5 and not args.quick:
        console.print("[yellow]fewer than 5 trials: these figures are not a record to keep")
    names = args.suites or available_suites()
    outcomes = run_suites(names, quick=args.quick, trials=args.trials, console=console)
    met = sum(1 for o in outcomes for f in o.figures if f.met)
    targets = sum(1 for o in outcomes for f in o.figures if f.met is not None)
    ran = [o.name for o in outcomes if o.status in ("ok", "failed")]
    console.print(
        f"[bold]{len(ran)} suite(s) run ({', '.join(ran) or 'none'}); "
        f"{met} of {targets} targets met[/bold]"
    )
    for outcome in outcomes:
        if outcome.status != "ok":
            console.print(f"  {outcome.name}: {outcome.status} {outcome.detail}".rstrip())
    return 1 if any(o.status == "failed" for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
