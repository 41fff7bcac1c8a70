"""A TAXII 2.1 server (OASIS TAXII 2.1 CS01): discovery, API roots, collections, objects,
manifests, versions and status, with token authentication and per-collection permissions.

Tokens arrive as ``Authorization: Bearer <token>``, ``Token <token>`` (taxii2-client's
``TokenAuth``) or HTTP Basic with the token as password. A collection a token may neither
read nor write is invisible to it (404), one it may see but not use answers 403. Paging is
by an opaque cursor over (date added, id, version), so objects added while a client pages
are neither skipped nor repeated.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from distillshield.bodies import BodyTooLargeError, read_body
from distillshield.errors import InputError, Location
from distillshield.intel import limits
from distillshield.intel.taxii_backend import MEDIA_STIX, Entry, MemoryBackend, parse_time, taxii_time
from distillshield.intel.taxii_config import ApiRootConfig, CollectionConfig, TaxiiConfig, TokenConfig

MEDIA_TAXII = "application/taxii+json;version=2.1"


class TaxiiResponse(JSONResponse):
    media_type = MEDIA_TAXII

    def render(self, content: Any) -> bytes:
        return json.dumps(content, separators=(",", ":")).encode()


def _error(status: int, title: str, description: str = "") -> HTTPException:
    return HTTPException(status, detail={"title": title, "description": description})


def create_app(config: TaxiiConfig, backend: MemoryBackend | None = None) -> FastAPI:
    """The ASGI app; ``backend`` defaults to an in-memory store."""
    store = backend or MemoryBackend()
    app = FastAPI(title=config.title, openapi_url=None, docs_url=None, redoc_url=None)
    app.state.taxii_config = config

    async def _http_error(request: Request, exc: Exception) -> Response:
        status = getattr(exc, "status_code", 500)
        detail = getattr(exc, "detail", None)
        body = detail if isinstance(detail, dict) else {"title": str(detail or "error")}
        headers = {"WWW-Authenticate": 'Bearer realm="taxii"'} if status == 401 else None
        return TaxiiResponse({**body, "http_status": str(status)}, status_code=status, headers=headers)

    async def _bad_request(request: Request, exc: Exception) -> Response:
        return TaxiiResponse({"title": "bad request", "description": str(exc), "http_status": "400"}, status_code=400)

    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _bad_request)

    def visible(root: str, collection_id: str, who: TokenConfig, access: str | None = None) -> CollectionConfig:
        api_root = _root(config, root)
        found = next((c for c in api_root.collections if c.id == collection_id), None)
        if found is None or not (who.can("read", found.id) or who.can("write", found.id)):
            raise _error(404, "collection not found")
        if access and not who.can(access, found.id):
            raise _error(403, f"this token may not {access} collection {found.id}")
        return found

    @app.get("/taxii2/")
    def discovery(request: Request, who: Caller) -> Response:
        base = str(request.base_url)
        roots = [f"{base}{r.name}/" for r in config.api_roots]
        return TaxiiResponse({"title": config.title, "default": roots[0], "api_roots": roots})

    @app.get("/{root}/")
    def api_root(root: str, who: Caller) -> Response:
        r = _root(config, root)
        return TaxiiResponse(
            {"title": r.title, "versions": [MEDIA_TAXII], "max_content_length": config.max_content_length}
        )

    @app.get("/{root}/status/{status_id}/")
    def status(root: str, status_id: str, who: Caller) -> Response:
        _root(config, root)
        found = store.status(status_id)
        if found is None:
            raise _error(404, "status not found")
        return TaxiiResponse(found)

    @app.get("/{root}/collections/")
    def collections(root: str, who: Caller) -> Response:
        shown = [_collection(c, who) for c in _root(config, root).collections]
        return TaxiiResponse({"collections": [c for c in shown if c["can_read"] or c["can_write"]]})

    @app.get("/{root}/collections/{collection_id}/")
    def collection(root: str, collection_id: str, who: Caller) -> Response:
        return TaxiiResponse(_collection(visible(root, collection_id, who), who))

    @app.get("/{root}/collections/{collection_id}/objects/")
    def get_objects(root: str, collection_id: str, who: Caller, request: Request) -> Response:
        c = visible(root, collection_id, who, "read")
        page, more, cursor = _page(config, store.entries(c.id), request)
        body: dict[str, Any] = {"more": more, "objects": [e.obj for e in page]}
        if cursor:
            body["next"] = cursor
        return TaxiiResponse(body, headers=_added_headers(page))

    @app.post("/{root}/collections/{collection_id}/objects/", status_code=202)
    async def add_objects(root: str, collection_id: str, who: Caller, request: Request) -> Response:
        c = visible(root, collection_id, who, "write")
        try:
            raw = await read_body(request, config.max_content_length)
        except BodyTooLargeError as exc:
            raise _error(413, "request too large") from exc
        if request.headers.get("content-type", "").split(";")[0].strip() not in ("application/taxii+json", ""):
            raise _error(415, "unsupported media type", f"send {MEDIA_TAXII}")
        objects = _envelope_objects(raw)
        # ids become file names in every partner's store that pulls them: refuse bad ones here, per object
        failures = [
            {"id": str(o.get("id"))[:200], "message": problem}
            for o in objects
            if (problem := limits.identifier_problem(o)) is not None
        ]
        good = [o for o in objects if limits.identifier_problem(o) is None]
        return TaxiiResponse(store.add(c.id, good, failures), status_code=202)

    @app.get("/{root}/collections/{collection_id}/objects/{object_id}/")
    def get_object(root: str, collection_id: str, object_id: str, who: Caller, request: Request) -> Response:
        c = visible(root, collection_id, who, "read")
        entries = [e for e in store.entries(c.id) if e.id == object_id]
        if not entries:
            raise _error(404, "object not found")
        page, more, cursor = _page(config, entries, request)
        body: dict[str, Any] = {"more": more, "objects": [e.obj for e in page]}
        if cursor:
            body["next"] = cursor
        return TaxiiResponse(body, headers=_added_headers(page))

    @app.delete("/{root}/collections/{collection_id}/objects/{object_id}/")
    def delete_object(root: str, collection_id: str, object_id: str, who: Caller, request: Request) -> Response:
        c = visible(root, collection_id, who, "write")
        wanted = request.query_params.get("match[version]")
        versions = set(wanted.split(",")) if wanted and wanted not in ("all", "first", "last") else None
        if not store.delete(c.id, object_id, versions):
            raise _error(404, "object not found")
        return Response(status_code=200, media_type=MEDIA_TAXII)

    @app.get("/{root}/collections/{collection_id}/objects/{object_id}/versions/")
    def versions(root: str, collection_id: str, object_id: str, who: Caller) -> Response:
        c = visible(root, collection_id, who, "read")
        entries = [e for e in store.entries(c.id) if e.id == object_id]
        if not entries:
            raise _error(404, "object not found")
        return TaxiiResponse({"more": False, "versions": sorted({e.version for e in entries})})

    @app.get("/{root}/collections/{collection_id}/manifest/")
    def manifest(root: str, collection_id: str, who: Caller, request: Request) -> Response:
        c = visible(root, collection_id, who, "read")
        page, more, cursor = _page(config, store.entries(c.id), request)
        records = [
            {"id": e.id, "date_added": taxii_time(e.date_added), "version": e.version, "media_type": MEDIA_STIX}
            for e in page
        ]
        body: dict[str, Any] = {"more": more, "objects": records}
        if cursor:
            body["next"] = cursor
        return TaxiiResponse(body, headers=_added_headers(page))

    return app


def _caller(request: Request) -> TokenConfig:
    return _authenticate(request.app.state.taxii_config, request)


Caller = Annotated[TokenConfig, Depends(_caller)]


def _authenticate(config: TaxiiConfig, request: Request) -> TokenConfig:
    header = request.headers.get("authorization", "")
    scheme, _, credential = header.partition(" ")
    token = credential.strip()
    if scheme.lower() == "basic":
        try:
            token = base64.b64decode(token).decode().partition(":")[2]
        except (binascii.Error, UnicodeDecodeError):
            token = ""
    elif scheme.lower() not in ("bearer", "token"):
        token = ""
    found = config.token(token) if token else None
    if found is None:
        raise _error(401, "authentication required", "send Authorization: Bearer <token>")
    if "application/taxii+json" not in request.headers.get("accept", "application/taxii+json"):
        raise _error(406, "not acceptable", f"this server answers {MEDIA_TAXII}")
    return found


def _root(config: TaxiiConfig, name: str) -> ApiRootConfig:
    found = config.api_root(name)
    if found is None:
        raise _error(404, "API root not found")
    return found


def _collection(c: CollectionConfig, who: TokenConfig) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": c.id,
        "title": c.title,
        "can_read": who.can("read", c.id),
        "can_write": who.can("write", c.id),
        "media_types": [MEDIA_STIX],
    }
    if c.description:
        body["description"] = c.description
    return body


def _envelope_objects(raw: bytes) -> list[dict[str, Any]]:
    try:
        body = limits.load_bundle(raw, Location(Path("<request body>")))
    except InputError as exc:
        raise _error(400, "body is not JSON within the size and depth limits", exc.reason) from exc
    objects = body.get("objects") if isinstance(body, dict) else None
    if not isinstance(objects, list) or not all(isinstance(o, dict) and "id" in o and "type" in o for o in objects):
        raise _error(400, 'expected an envelope {"objects": [...]} of STIX objects')
    return objects


def _page(config: TaxiiConfig, entries: list[Entry], request: Request) -> tuple[list[Entry], bool, str | None]:
    """Filter per the TAXII match[] parameters, then cut one page after the cursor."""
    params = request.query_params
    entries = _filtered(entries, params)
    entries.sort(key=lambda e: (e.date_added, e.id, e.version))
    if params.get("added_after"):
        after = _time_param(params["added_after"], "added_after")
        entries = [e for e in entries if e.date_added > after]
    if params.get("next"):
        cursor = _decode_cursor(params["next"])
        entries = [e for e in entries if (taxii_time(e.date_added), e.id, e.version) > cursor]
    limit = min(_int_param(params.get("limit"), config.max_page_size), config.max_page_size)
    page, more = entries[:limit], len(entries) > limit
    last = page[-1] if page and more else None
    token = _encode_cursor((taxii_time(last.date_added), last.id, last.version)) if last else None
    return page, more, token


def _filtered(entries: list[Entry], params: Any) -> list[Entry]:
    ids = _multi(params, "match[id]")
    types = _multi(params, "match[type]")
    specs = _multi(params, "match[spec_version]")
    kept = [
        e
        for e in entries
        if (not ids or e.id in ids)
        and (not types or e.obj.get("type") in types)
        and (not specs or str(e.obj.get("spec_version", "2.1")) in specs)
    ]
    return _versions(kept, _multi(params, "match[version]") or {"last"})


def _versions(entries: list[Entry], wanted: set[str]) -> list[Entry]:
    if "all" in wanted:
        return entries
    by_id: dict[str, list[Entry]] = defaultdict(list)
    for e in entries:
        by_id[e.id].append(e)
    kept = []
    for versions in by_id.values():
        ordered = sorted(versions, key=lambda e: _version_time(e.version))
        if "last" in wanted:
            kept.append(ordered[-1])
        if "first" in wanted:
            kept.append(ordered[0])
        kept += [e for e in ordered if e.version in wanted]
    return list({(e.id, e.version): e for e in kept}.values())


def _version_time(version: str) -> datetime:
    try:
        return parse_time(version)
    except ValueError:
        return datetime.min.replace(tzinfo=parse_time("1970-01-01T00:00:00Z").tzinfo)


def _multi(params: Any, name: str) -> set[str]:
    return {v for raw in params.getlist(name) for v in raw.split(",") if v}


def _time_param(text: str, name: str) -> datetime:
    try:
        return parse_time(text)
    except ValueError as exc:
        raise _error(400, f"{name} is not a timestamp", text) from exc


def _int_param(text: str | None, default: int) -> int:
    if text is None:
        return default
    if not text.isdigit() or int(text) < 1:
        raise _error(400, "limit must be a positive integer", text)
    return int(text)


def _encode_cursor(cursor: tuple[str, str, str]) -> str:
    return base64.urlsafe_b64encode("\x1f".join(cursor).encode()).decode()


def _decode_cursor(token: str) -> tuple[str, str, str]:
    try:
        a, b, c = base64.urlsafe_b64decode(token.encode()).decode().split("\x1f")
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise _error(400, "next is not a cursor this server issued", token) from exc
    return a, b, c


def _added_headers(page: list[Entry]) -> dict[str, str]:
    if not page:
        return {}
    return {
        "X-TAXII-Date-Added-First": taxii_time(min(e.date_added for e in page)),
        "X-TAXII-Date-Added-Last": taxii_time(max(e.date_added for e in page)),
    }
