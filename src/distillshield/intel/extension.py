"""Our one STIX property extension: its fixed id, its extension-definition and its JSON Schema.

Everything STIX has no property for (volumes, capabilities targeted, template fingerprints,
the hashing scheme) sits in this extension, keyed by an id that never changes, so a stock
``stix2.parse(..., allow_custom=False)`` consumer still loads our bundles. The schema ships
in ``schemas/`` named after the id, which is what ``stix2-validator --schemas DIR`` looks for.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import jsonschema

EXTENSION_ID = "extension-definition--54cdd689-1921-49f2-996b-8e4fe5cc9e49"
EXTENSION_VERSION = "1.0.0"
#: The project's own identity, which publishes the extension-definition.
PROJECT_IDENTITY_ID = "identity--b1968494-7af8-4592-8ae1-2ece3e376d3f"
_PUBLISHED = "2026-11-24T00:00:00.000Z"


def schema_dir() -> Path:
    """The directory to hand ``stix2-validator --schemas``."""
    return Path(str(resources.files("distillshield.intel").joinpath("schemas")))


@cache
def extension_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((schema_dir() / f"{EXTENSION_ID}.json").read_text(encoding="utf-8"))
    return schema


@cache
def _payload_validator() -> jsonschema.protocols.Validator:
    # Imported here: its format checkers take over a second to import, which every
    # distillshield command paid at start-up while only exports validate payloads.
    import jsonschema

    schema = extension_schema()
    payload_schema = schema["$defs"]["payload"] | {"$defs": schema["$defs"]}
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(payload_schema)
    return validator_class(payload_schema)


def payload(**properties: Any) -> dict[str, Any]:
    """An extension payload, checked against the shipped schema (a bad one raises ValidationError)."""
    body = {"extension_type": "property-extension", **{k: v for k, v in properties.items() if v is not None}}
    _payload_validator().validate(body)
    return body


def project_identity() -> dict[str, Any]:
    return {
        "type": "identity",
        "spec_version": "2.1",
        "id": PROJECT_IDENTITY_ID,
        "created": _PUBLISHED,
        "modified": _PUBLISHED,
        "name": "distillshield project",
        "description": "Publisher of the distillshield STIX extension for AI distillation campaigns.",
        "identity_class": "organization",
    }


def extension_definition(marking: str) -> dict[str, Any]:
    return {
        "type": "extension-definition",
        "spec_version": "2.1",
        "id": EXTENSION_ID,
        "created_by_ref": PROJECT_IDENTITY_ID,
        "created": _PUBLISHED,
        "modified": _PUBLISHED,
        "name": "distillshield-ai-distillation",
        "description": "Volumes, targeted capabilities, template fingerprints and the pseudonymisation scheme of "
        "AI model distillation campaigns.",
        "schema": f"JSON Schema shipped in the distillshield package: distillshield/intel/schemas/{EXTENSION_ID}.json",
        "version": EXTENSION_VERSION,
        "extension_types": ["property-extension"],
        "object_marking_refs": [marking],
    }
