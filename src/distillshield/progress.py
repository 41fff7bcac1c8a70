"""Progress bars for long operations, silenced by ``--quiet``.

Library code takes a :class:`Progress` (never prints on its own); the CLI makes
one with ``quiet`` from its flag. :data:`SILENT` is the default everywhere, so a
library call without a progress argument stays silent.
"""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.progress import Progress as RichProgress


class Task:
    """One bar; ``advance`` moves it, ``close`` marks it done."""

    def __init__(self, bars: RichProgress | None, task_id: TaskID | None) -> None:
        self._bars = bars
        self._id = task_id

    def advance(self, amount: float = 1) -> None:
        if self._bars is not None and self._id is not None:
            self._bars.advance(self._id, amount)

    def set_total(self, total: float | None) -> None:
        if self._bars is not None and self._id is not None:
            self._bars.update(self._id, total=total)

    def close(self) -> None:
        if self._bars is not None and self._id is not None:
            task = self._bars.tasks[self._bars.task_ids.index(self._id)]
            self._bars.update(self._id, completed=task.total or task.completed, total=task.total)


class Progress:
    """A set of rich progress bars on stderr, or nothing at all when ``quiet``."""

    def __init__(self, *, quiet: bool = False, console: Console | None = None) -> None:
        self.quiet = quiet
        self._bars: RichProgress | None = None
        if not quiet:
            self._bars = RichProgress(
                TextColumn("[progress.description]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                console=console or Console(stderr=True),
                transient=False,
            )

    def __enter__(self) -> Progress:
        if self._bars is not None:
            self._bars.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._bars is not None:
            self._bars.stop()

    def task(self, description: str, total: float | None = None) -> Task:
        if self._bars is None:
            return Task(None, None)
        return Task(self._bars, self._bars.add_task(description, total=total))


#: A progress sink that shows nothing; the default for library calls.
SILENT = Progress(quiet=True)
