"""Append every request to rotating JSON Lines files in the traffic-log format, so ``scan`` reads them.

Each process writes its own files, ``traffic-<start time>-<pid>-<n>.jsonl``, so
replicas sharing one directory never interleave lines; a file is closed and a
new one started once it passes ``max_bytes``. Every line is flushed to the
operating system as it is written, so a crash of the gateway loses no line.
``distillshield scan LOGDIR`` reads the whole directory.

With ``stream`` (``redis://HOST:PORT/DB?stream=NAME``) each line is also added to
a Redis stream (XADD, field ``record``), which ``distillshield watch`` follows;
that is one loopback round trip per request, made while the lock is held.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from distillshield.errors import StateUnavailableError


class TrafficLog:
    def __init__(self, directory: Path, *, max_bytes: int = 256 * 1024 * 1024, stream: str | None = None) -> None:
        self.directory = directory
        self.max_bytes = max_bytes
        directory.mkdir(parents=True, exist_ok=True)
        self._stream = _StreamSink(stream) if stream else None
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
            if self._stream is not None:
                self._stream.append(line)
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


class _StreamSink:
    """Adds each traffic-log line to a Redis stream, in the form ``watch`` reads."""

    def __init__(self, url: str) -> None:
        import redis  # imported here: only a gateway logging to a stream needs it

        from distillshield.watch.stream import parse_stream_url

        address = parse_stream_url(url)
        self._redis = redis.Redis.from_url(address.url)
        self._stream, self._field = address.stream, address.field

    def append(self, line: bytes) -> None:
        from redis.exceptions import RedisError

        try:
            self._redis.xadd(self._stream, {self._field: line.rstrip(b"\n")})
        except RedisError as exc:
            raise StateUnavailableError(f"cannot add to the traffic stream {self._stream!r}: {exc}") from exc
