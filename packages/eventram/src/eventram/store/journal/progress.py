"""A progress bar for reading a journal (replay, inspect, verify, repair), fed by bytes read."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from eventram.store.journal.reader import Progress as ProgressCallback

__all__ = ["journal_progress_bar"]


@contextmanager
def journal_progress_bar(what: str, console: Console) -> Iterator[ProgressCallback]:
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
