"""Append every request to rotating JSON Lines files in the traffic-log format, so ``scan`` reads them.

Each process writes its own files, ``traffic-<start time>-<pid>-<n>.jsonl``, so
replicas sharing one directory never interleave lines; a file is closed and a
new one started once it passes ``max_bytes``. Every line is flushed to the
operating system as it is written, so a crash of the gateway loses no line.
``distillshield scan LOGDIR`` reads the whole directory.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any, BinaryIO

import orjson


class TrafficLog:
    def __init__(self, directory: Path, *, max_bytes: int = 256 * 1024 * 1024) -> None:
        self.directory = directory
        self.max_bytes = max_bytes
        directory.mkdir(parents=True, exist_ok=True)
        self._stem = f"traffic-{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{os.getpid()}"
        self._number = 0
        self._lock = threading.Lock()  # routes run on one event loop, but a sync caller may share the log
        self._file: BinaryIO | None = None
        self._size = 0
        self.written = 0

    @property
    def current(self) -> Path:
        return self.directory / f"{self._stem}-{self._number:04d}.jsonl"

    def write(self, record: dict[str, Any]) -> None:
        line = orjson.dumps({k: v for k, v in record.items() if v is not None}) + b"\n"
        with self._lock:
            if self._file is None or self._size + len(line) > self.max_bytes and self._size:
                self._rotate()
            assert self._file is not None  # opened by _rotate
            self._file.write(line)
            self._file.flush()
            self._size += len(line)
            self.written += 1

    def _rotate(self) -> None:
        if self._file is not None:
            self._file.close()
            self._number += 1
        self._file = self.current.open("ab")
        self._size = 0

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None
