"""Storage behind the TAXII server: every object version with the time the server added it.

Kept in memory and, when given a file, written through to JSON after each change (replaced
atomically), which suits a consortium hub's volumes; the interface is small enough to put a
database behind later.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

MEDIA_STIX = "application/stix+json;version=2.1"


@dataclass(frozen=True, slots=True)
class Entry:
    date_added: datetime
    obj: dict[str, Any]

    @property
    def id(self) -> str:
        return str(self.obj["id"])

    @property
    def version(self) -> str:
        """An object's version: ``modified``, else ``created``, else (SCOs) the time it was added."""
        return str(self.obj.get("modified") or self.obj.get("created") or taxii_time(self.date_added))


def taxii_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str) -> datetime:
    """A TAXII/STIX timestamp (any sub-second precision, ``Z``) as an aware datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


class MemoryBackend:
    def __init__(self, path: Path | None = None) -> None:
        self._lock = threading.Lock()
        self._path = path
        self._entries: dict[str, list[Entry]] = {}
        self._statuses: dict[str, dict[str, Any]] = {}
        self._last = datetime.fromtimestamp(0, UTC)
        if path is not None and path.exists():
            self._load(path)

    def entries(self, collection_id: str) -> list[Entry]:
        with self._lock:
            return list(self._entries.get(collection_id, []))

    def add(
        self, collection_id: str, objects: list[dict[str, Any]], failures: list[dict[str, str]] | None = None
    ) -> dict[str, Any]:
        """Add objects to a collection and return the TAXII status resource (``failures``: objects refused)."""
        failures = failures or []
        with self._lock:
            started = self._tick()
            held = {(e.id, e.version) for e in self._entries.get(collection_id, [])}
            successes = []
            for obj in objects:
                entry = Entry(self._tick(), obj)
                if (entry.id, entry.version) not in held:
                    self._entries.setdefault(collection_id, []).append(entry)
                    held.add((entry.id, entry.version))
                successes.append({"id": entry.id, "version": entry.version})
            status_id = str(uuid.uuid4())
            status: dict[str, Any] = {
                "id": status_id,
                "status": "complete",
                "request_timestamp": taxii_time(started),
                "total_count": len(objects) + len(failures),
                "success_count": len(successes),
                "successes": successes,
                "failure_count": len(failures),
                "failures": failures,
                "pending_count": 0,
                "pendings": [],
            }
            self._statuses[status_id] = status
            self._save()
            return status

    def delete(self, collection_id: str, object_id: str, versions: set[str] | None) -> int:
        with self._lock:
            before = self._entries.get(collection_id, [])
            kept = [e for e in before if e.id != object_id or (versions is not None and e.version not in versions)]
            self._entries[collection_id] = kept
            self._save()
            return len(before) - len(kept)

    def status(self, status_id: str) -> dict[str, Any] | None:
        with self._lock:
            return self._statuses.get(status_id)

    def _tick(self) -> datetime:
        # date_added must order every addition strictly, or added_after would skip or repeat objects
        now = datetime.now(UTC)
        self._last = max(now, self._last + timedelta(microseconds=1))
        return self._last

    def _save(self) -> None:
        if self._path is None:
            return
        body = {cid: [[taxii_time(e.date_added), e.obj] for e in entries] for cid, entries in self._entries.items()}
        fd, tmp = tempfile.mkstemp(prefix=f".{self._path.name}.", dir=self._path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(body, handle)
        os.replace(tmp, self._path)

    def _load(self, path: Path) -> None:
        body = json.loads(path.read_text(encoding="utf-8"))
        for cid, entries in body.items():
            self._entries[cid] = [Entry(parse_time(added), obj) for added, obj in entries]
            self._last = max([self._last, *(e.date_added for e in self._entries[cid])])
