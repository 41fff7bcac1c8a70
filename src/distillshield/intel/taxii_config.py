"""Configuration of ``distillshield intel serve``: API roots, collections and tokens, in YAML.

::

    title: Example consortium TAXII
    max_page_size: 100
    api_roots:
      - name: intel                       # served at /intel/
        title: Distillation intelligence
        collections:
          - id: 91a7b528-80eb-42ed-a74d-c6fbd5a26116
            title: distillation-campaigns
    tokens:
      - name: partner-a
        token_sha256: 4f2c...             # sha256 hex of the bearer token (or `token:` in clear)
        read: ["*"]                       # collection ids, or "*"
        write: [91a7b528-80eb-42ed-a74d-c6fbd5a26116]
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from distillshield.errors import InputError, Location


@dataclass(frozen=True, slots=True)
class CollectionConfig:
    id: str
    title: str
    description: str = ""


@dataclass(frozen=True, slots=True)
class ApiRootConfig:
    name: str
    title: str
    collections: tuple[CollectionConfig, ...]


@dataclass(frozen=True, slots=True)
class TokenConfig:
    name: str
    token_sha256: str
    read: frozenset[str]
    write: frozenset[str]

    def matches(self, token: str) -> bool:
        return hmac.compare_digest(hashlib.sha256(token.encode()).hexdigest(), self.token_sha256)

    def can(self, access: str, collection_id: str) -> bool:
        allowed = self.read if access == "read" else self.write
        return "*" in allowed or collection_id in allowed


@dataclass(frozen=True, slots=True)
class TaxiiConfig:
    title: str
    api_roots: tuple[ApiRootConfig, ...]
    tokens: tuple[TokenConfig, ...]
    max_page_size: int = 100
    max_content_length: int = 10 * 1024 * 1024

    def token(self, presented: str) -> TokenConfig | None:
        return next((t for t in self.tokens if t.matches(presented)), None)

    def api_root(self, name: str) -> ApiRootConfig | None:
        return next((r for r in self.api_roots if r.name == name), None)


def load_taxii_config(path: Path) -> TaxiiConfig:
    """Read the server configuration; raise :class:`InputError` naming the bad field."""
    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", Location(path)) from exc
    except yaml.YAMLError as exc:
        raise InputError(f"not valid YAML: {exc}", Location(path)) from exc
    return taxii_config_from(data, path)


def taxii_config_from(data: Any, path: Path = Path("<taxii config>")) -> TaxiiConfig:
    if not isinstance(data, dict):
        raise InputError("expected a mapping", Location(path, 1))
    roots = tuple(_root(path, i, r) for i, r in enumerate(_list(data, "api_roots", path)))
    tokens = tuple(_token(path, i, t) for i, t in enumerate(_list(data, "tokens", path)))
    page = data.get("max_page_size", 100)
    if not isinstance(page, int) or page < 1:
        raise InputError("must be a positive integer", Location(path, 0, "max_page_size"))
    limit = data.get("max_content_length", 10 * 1024 * 1024)
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
        raise InputError("must be a positive integer (bytes)", Location(path, 0, "max_content_length"))
    return TaxiiConfig(str(data.get("title", "distillshield TAXII")), roots, tokens, page, limit)


def _list(data: dict[str, Any], key: str, path: Path) -> list[Any]:
    value = data.get(key)
    if not isinstance(value, list) or not value:
        raise InputError("must be a non-empty list", Location(path, 0, key))
    return value


def _root(path: Path, i: int, raw: Any) -> ApiRootConfig:
    where = f"api_roots[{i}]"
    if not isinstance(raw, dict) or not str(raw.get("name", "")).isidentifier():
        raise InputError("needs a name made of letters, digits and '_'", Location(path, 0, f"{where}.name"))
    collections = []
    for j, c in enumerate(raw.get("collections") or []):
        try:
            cid = str(uuid.UUID(str(c["id"])))
        except (KeyError, ValueError, TypeError) as exc:
            raise InputError("needs an id that is a UUID", Location(path, 0, f"{where}.collections[{j}].id")) from exc
        collections.append(CollectionConfig(cid, str(c.get("title", cid)), str(c.get("description", ""))))
    return ApiRootConfig(str(raw["name"]), str(raw.get("title", raw["name"])), tuple(collections))


def _token(path: Path, i: int, raw: Any) -> TokenConfig:
    where = f"tokens[{i}]"
    if not isinstance(raw, dict):
        raise InputError("must be a mapping", Location(path, 0, where))
    if "token_sha256" in raw:
        digest = str(raw["token_sha256"]).lower()
    elif "token" in raw:
        digest = hashlib.sha256(str(raw["token"]).encode()).hexdigest()
    else:
        raise InputError("needs token_sha256 (or token)", Location(path, 0, f"{where}.token_sha256"))
    return TokenConfig(
        str(raw.get("name", f"token-{i}")),
        digest,
        frozenset(str(x) for x in raw.get("read") or []),
        frozenset(str(x) for x in raw.get("write") or []),
    )
