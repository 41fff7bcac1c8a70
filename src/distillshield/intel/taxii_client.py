"""``intel push`` and ``intel pull``: exchange objects with any TAXII 2.1 collection via taxii2-client.

Extension-definition objects are held back from pushes by default: medallion (the OASIS
reference server) sorts by a ``version`` property when one exists, and the extension
definition's semantic version then breaks every later read of the collection.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import requests
from taxii2client.common import TokenAuth
from taxii2client.exceptions import TAXIIServiceException
from taxii2client.v21 import Collection, as_pages

from distillshield.errors import TaxiiError

#: Types that break naive servers (see the module docstring); pushed only on request.
HELD_BACK = frozenset({"extension-definition"})


@dataclass(frozen=True, slots=True)
class PushResult:
    sent: int
    succeeded: int
    failed: int
    held_back: int


def open_collection(
    url: str, *, token: str | None = None, user: str | None = None, password: str | None = None
) -> Collection:
    """A taxii2-client collection; ``token`` is sent as ``Authorization: Token ...``."""
    if not url.endswith("/"):
        url += "/"
    auth = TokenAuth(token) if token else None
    return Collection(url, user=user, password=password, auth=auth)


def push(
    collection: Collection, objects: list[dict[str, Any]], *, include: frozenset[str] = frozenset(), batch: int = 500
) -> PushResult:
    """POST ``objects`` in envelopes of ``batch``; wait for each status to be final."""
    held = [o for o in objects if o.get("type") in HELD_BACK - include]
    sending = [o for o in objects if o.get("type") not in HELD_BACK - include]
    succeeded = failed = 0
    for start in range(0, len(sending), batch):
        try:
            status = collection.add_objects({"objects": sending[start : start + batch]})
            if status.status != "complete":
                status.wait_until_final(poll_interval=1, timeout=60)
        except (TAXIIServiceException, requests.RequestException) as exc:
            raise TaxiiError(f"push to {collection.url} failed: {exc}") from exc
        succeeded += int(status.success_count)
        failed += int(status.failure_count)
    return PushResult(len(sending), succeeded, failed, len(held))


def pull(collection: Collection, *, added_after: str | None = None, per_request: int = 100) -> list[dict[str, Any]]:
    """Every object of the collection (latest versions), following the server's paging."""
    return [obj for page in _pages(collection, added_after, per_request) for obj in page.get("objects", [])]


def _pages(collection: Collection, added_after: str | None, per_request: int) -> Iterator[dict[str, Any]]:
    filters = {"added_after": added_after} if added_after else {}
    try:
        yield from as_pages(collection.get_objects, per_request=per_request, **filters)
    except (TAXIIServiceException, requests.RequestException) as exc:
        raise TaxiiError(f"pull from {collection.url} failed: {exc}") from exc
