"""Rich progress bars for the ``(done, total)`` callbacks the engine reports progress through.

The engine knows only the callbacks (``JournalReader``'s ``Progress`` for bytes read, a
rebuild's ``ProgressCallback`` for positions); the bars that draw them live here, with the rest
of the command-line UI.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

__all__ = ["RebuildProgressBar", "journal_progress_bar"]


@contextmanager
def journal_progress_bar(what: str, console: Console) -> Iterator[Callable[[int, int], None]]:
    """A bar labelled ``what`` on ``console`` (drawn only on a terminal, gone when done).

    Yields the callback a journal reader calls with (bytes read, bytes total).
    """
    with Progress(
        TextColumn(what),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    ) as bar:
        task = bar.add_task(what, total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield progress


class RebuildProgressBar:
    """Context manager whose instance is a rebuild's progress callback, drawing a bar::

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
