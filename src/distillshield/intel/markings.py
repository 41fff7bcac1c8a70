"""Traffic Light Protocol markings: the TLP 2.0 objects we ship, and every variant importers meet.

stix2 ships only the TLP 1.0 constants, and TLP 2.0 is defined outside the STIX 2.1 spec
as a property extension by the OASIS CTI TC, so the five canonical TLP 2.0
``marking-definition`` objects are reproduced here value for value (ids, ``created`` and
extension payload as published in oasis-open/cti-stix-common-objects,
``extension-definition-specifications/tlp-2.0/``).

Importers meet three spellings of one level: the TLP 2.0 objects, the TLP 1.0 objects
(misp-stix still writes ``tlp:amber``/``green``/``red`` with the 1.0 ids) and OpenCTI's own
objects (its AMBER+STRICT id, ``x_opencti_definition``). :func:`tlp_level` reads them all.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import stix2

#: The TC's TLP 2.0 property extension.
TLP2_EXTENSION_ID = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
TLP2_CREATED = "2022-10-01T00:00:00.000Z"
#: Level -> canonical TLP 2.0 marking-definition id.
TLP2_IDS: dict[str, str] = {
    "clear": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "green": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "amber": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "amber+strict": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    "red": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
#: TLP 1.0 ids (stix2's constants); WHITE is TLP 2.0's CLEAR.
TLP1_IDS: dict[str, str] = {
    str(stix2.TLP_WHITE.id): "clear",
    str(stix2.TLP_GREEN.id): "green",
    str(stix2.TLP_AMBER.id): "amber",
    str(stix2.TLP_RED.id): "red",
}
#: OpenCTI's AMBER+STRICT, made by pycti (quoted in OpenCTI-Platform/connectors PR #4637).
OPENCTI_IDS: dict[str, str] = {"marking-definition--826578e1-40ad-459f-bc73-ede076f81f37": "amber+strict"}
#: Levels from most to least shareable; a set of markings means the most restrictive one.
LEVELS = ("clear", "green", "amber", "amber+strict", "red")
KNOWN_IDS: dict[str, str] = {**{v: k for k, v in TLP2_IDS.items()}, **TLP1_IDS, **OPENCTI_IDS}


def tlp2_marking(level: str) -> dict[str, Any]:
    """The canonical TLP 2.0 marking-definition object for ``level``, as a dict."""
    if level not in TLP2_IDS:
        raise ValueError(f"TLP level must be one of {', '.join(LEVELS)}, not {level!r}")
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": TLP2_IDS[level],
        "created": TLP2_CREATED,
        "name": f"TLP:{level.upper()}",
        "extensions": {TLP2_EXTENSION_ID: {"extension_type": "property-extension", "tlp_2_0": level}},
    }


def tlp_level(marking_id: str, definitions: Mapping[str, Mapping[str, Any]] | None = None) -> str | None:
    """The TLP level a marking id stands for, or None when it is not a TLP marking.

    Known ids are looked up first; otherwise the marking object (from ``definitions``) is read:
    the TLP 2.0 extension value, a TLP 1.0 ``definition.tlp``, OpenCTI's ``x_opencti_definition``
    or a ``TLP:`` name.
    """
    if marking_id in KNOWN_IDS:
        return KNOWN_IDS[marking_id]
    obj = (definitions or {}).get(marking_id)
    return _level_of(obj) if obj is not None else None


def most_restrictive(levels: list[str]) -> str | None:
    return max(levels, key=LEVELS.index) if levels else None


def _level_of(obj: Mapping[str, Any]) -> str | None:
    ext = (obj.get("extensions") or {}).get(TLP2_EXTENSION_ID) or {}
    candidates = [
        ext.get("tlp_2_0"),
        (obj.get("definition") or {}).get("tlp") if obj.get("definition_type") == "tlp" else None,
        obj.get("x_opencti_definition"),
        obj.get("name"),
    ]
    for raw in candidates:
        level = _parse(raw)
        if level:
            return level
    return None


def _parse(raw: object) -> str | None:
    if not isinstance(raw, str):
        return None
    text = raw.strip().lower().removeprefix("tlp:").strip()
    text = "clear" if text == "white" else text
    return text if text in LEVELS else None
