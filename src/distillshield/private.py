"""Outputs that hold raw prompts and account links are readable by their owner only.

``quarantine.jsonl``, ``scan.duckdb``, ``report.html``, ``run.json`` and
``intel-matches.json`` carry what clients sent and which accounts belong
together, so a scan creates them 0600 inside a 0700 output directory, the way
``ssh`` and ``gpg`` keep their private files: the process umask is set to 077
while a run writes (DuckDB and every writer then create private files without
each having to ask), and restored afterwards.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

PRIVATE_UMASK = 0o077


@contextmanager
def private_files() -> Iterator[None]:
    """Files and folders created inside are private to the user (0600 / 0700)."""
    before = os.umask(PRIVATE_UMASK)
    try:
        yield
    finally:
        os.umask(before)


def writes_private(function: Callable[P, R]) -> Callable[P, R]:
    """Run ``function`` under :func:`private_files`."""

    @wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with private_files():
            return function(*args, **kwargs)

    return wrapper


def write_private_text(path: Path, text: str) -> None:
    """Write ``path`` as a 0600 file (replacing what was there)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(path, 0o600)  # an existing file keeps its old mode through O_CREAT
