"""A rich progress bar fed by a rebuild's ``(done, total)`` callback, for command lines."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

__all__ = ["RebuildProgressBar"]


class RebuildProgressBar:
    """Context manager whose instance is a progress callback drawing a bar::

    with RebuildProgressBar("payments") as bar:
        engine.rebuild("payments", progress=bar)
    """

    def __init__(self, name: str, console: Console | None = None) -> None:
        self._progress = Progress(
            TextColumn(f"rebuilding [bold]{name}[/bold]"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
        )
        self._task = self._progress.add_task(name, total=None)

    def __call__(self, done: int, total: int) -> None:
        self._progress.update(self._task, completed=done, total=max(total, done))

    def __enter__(self) -> RebuildProgressBar:
        self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._progress.stop()
