"""Consume a Redis stream of traffic-log records: ``redis://HOST:PORT/DB?stream=NAME``.

Each stream entry holds one JSON record in its ``record`` field (the field is
set by ``&field=``), as the gateway's Redis sink writes it. The last entry id
read is checkpointed with the rows, so XREAD resumes right after it. With
``&group=G`` (and ``&consumer=C``) entries are read through a consumer group
and acknowledged once committed; entries delivered but not committed before a
crash are read again from the group's pending list, and any the checkpoint
already covers are only acknowledged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit, urlunsplit

import duckdb

from distillshield.errors import ConfigError, StateUnavailableError
from distillshield.watch.batch import Batch, Entry, Reject
from distillshield.watch.checkpoint import load_stream_mark, save_stream_mark

T = TypeVar("T")

#: Entries fetched per XREAD.
COUNT = 5_000


@dataclass(frozen=True, slots=True)
class StreamAddress:
    url: str  # the Redis connection URL, without the stream parameters
    stream: str
    field: str = "record"
    group: str | None = None
    consumer: str = "watch"

    @property
    def name(self) -> str:
        return f"{self.url}?stream={self.stream}"


def parse_stream_url(text: str) -> StreamAddress:
    """``redis://host:port/db?stream=NAME[&field=F][&group=G][&consumer=C]``."""
    parts = urlsplit(text)
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    if parts.scheme not in ("redis", "rediss") or not query.get("stream"):
        raise ConfigError(f"a stream source looks like redis://127.0.0.1:6379/0?stream=NAME, not {text!r}")
    unknown = set(query) - {"stream", "field", "group", "consumer"}
    if unknown:
        raise ConfigError(f"unknown stream parameter(s) {sorted(unknown)} in {text!r}")
    url = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    return StreamAddress(
        url, query["stream"], query.get("field", "record"), query.get("group"), query.get("consumer", "watch")
    )


def _id(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


class RedisStreamSource:
    """The entries of one Redis stream, from the checkpointed id on."""

    def __init__(self, address: StreamAddress) -> None:
        # Imported here: redis is only needed by stream sources.
        import redis

        self.address = address
        self.name = address.name
        self._redis = redis.Redis.from_url(address.url)
        self._last_id, self._entries = "0-0", 0
        self._pending = address.group is not None  # a group reads its own pending entries first

    def load(self, con: duckdb.DuckDBPyConnection) -> None:
        self._last_id, self._entries = load_stream_mark(con, self.name)
        if self.address.group is not None:
            self._redis_call(self._create_group)

    def _create_group(self) -> None:
        from redis.exceptions import ResponseError

        try:
            self._redis.xgroup_create(self.address.stream, str(self.address.group), id=self._last_id, mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    def poll(self, *, final: bool = False) -> Iterator[Batch]:
        """Batches of the entries after the checkpoint, until the stream has nothing more."""
        while fetched := self._redis_call(self._fetch):
            yield self._batch(fetched)

    def _redis_call(self, call: Callable[[], T]) -> T:
        """``call()``, with a Redis failure made a StateUnavailableError naming the stream (the CLI exits 2)."""
        from redis.exceptions import RedisError

        try:
            return call()
        except RedisError as exc:
            raise StateUnavailableError(f"{self.name}: cannot read the stream: {exc}") from exc

    def _fetch(self) -> list[tuple[str, dict[bytes, bytes]]]:
        stream = self.address.stream
        if self.address.group is None:
            reply: Any = self._redis.xread({stream: self._last_id}, count=COUNT)
        else:
            start = "0" if self._pending else ">"
            reply = self._redis.xreadgroup(self.address.group, self.address.consumer, {stream: start}, count=COUNT)
            if self._pending and not (reply and reply[0][1]):
                self._pending = False
                return self._fetch()
        # A group's pending entries drop out of its pending list once acknowledged, after each commit,
        # so reading from "0" again returns the next ones.
        entries = reply[0][1] if reply else []
        return [(_text(i), fields) for i, fields in entries]

    def _batch(self, fetched: list[tuple[str, dict[bytes, bytes]]]) -> Batch:
        entries: list[Entry] = []
        rejects: list[Reject] = []
        last, number = _id(self._last_id), self._entries
        fresh = [(i, f) for i, f in fetched if _id(i) > last]
        key = self.address.field.encode()
        for entry_id, fields in fresh:
            number += 1
            origin = f"{self.name}#{entry_id}"
            if key in fields:
                entries.append(Entry(origin, number, fields[key]))
            else:
                reason = f"stream entry has no {self.address.field!r} field"
                rejects.append(Reject(origin, number, self.address.field, reason, repr(fields).encode()))
        last_id = fresh[-1][0] if fresh else self._last_id
        ids = [i for i, _ in fetched]

        def save(con: duckdb.DuckDBPyConnection) -> None:
            save_stream_mark(con, self.name, last_id, number)

        def committed() -> None:
            self._last_id, self._entries = last_id, number
            if self.address.group is not None:
                self._redis_call(lambda: self._redis.xack(self.address.stream, str(self.address.group), *ids))

        return Batch(entries, save, rejects, after_commit=committed)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
