"""MISP events for MISP-first partners: one event per campaign container of a STIX bundle.

Built from the already pseudonymised bundle, so the MISP JSON can carry nothing the bundle
did not. Pseudonyms become ``user-account`` objects (``user-id``), never hash attributes:
misp-stix would turn a ``sha256`` attribute into a STIX file hash. ATLAS techniques become
``mitre-atlas-attack-pattern`` galaxy tags looked up by ATLAS id in the vendored table,
since the MISP galaxy still uses the old technique names.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pymisp import MISPEvent, MISPObject, MISPOrganisation

from distillshield.errors import PrivacyLeakError
from distillshield.intel import atlas
from distillshield.intel.extension import EXTENSION_ID
from distillshield.intel.privacy import scan_text
from distillshield.intel.store import object_tlp

#: MISP distribution per TLP level: 0 your organisation, 1 this community, 2 connected, 3 all.
DISTRIBUTION = {"red": 0, "amber+strict": 0, "amber": 1, "green": 2, "clear": 3}
MODEL_STEALING_TAG = 'failure-mode-in-machine-learning:intentionally-motivated-failures-summary="5-model-stealing"'


def misp_events(bundle: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One MISP event (``{"Event": ...}`` feed form) per report or grouping in ``bundle``.

    Each event passes the privacy check too; a find raises :class:`PrivacyLeakError`.
    """
    objects = {o["id"]: o for o in bundle["objects"]}
    definitions = {k: v for k, v in objects.items() if v["type"] == "marking-definition"}
    containers = [o for o in objects.values() if o["type"] in ("report", "grouping")]
    events = [_event(c, objects, definitions).to_feed(with_meta=False) for c in containers]
    for event in events:
        findings = scan_text(json.dumps(event))
        if findings:
            raise PrivacyLeakError(f"MISP event {event['Event']['info']!r} would leak: {findings[0]}")
    return events


def _event(container: dict[str, Any], objects: dict[str, dict[str, Any]], definitions: dict[str, Any]) -> MISPEvent:
    members = [objects[r] for r in container["object_refs"] if r in objects]
    campaign = next((m for m in members if m["type"] == "campaign"), {})
    producer = objects.get(container.get("created_by_ref", ""), {"name": "unknown", "id": "identity--unknown"})
    tlp = object_tlp(container, definitions) or "amber"
    event = MISPEvent()
    event.uuid = container["id"].split("--", 1)[1]
    event.info = container["name"]
    event.date = (campaign.get("first_seen") or container["created"])[:10]
    event.distribution = DISTRIBUTION[tlp]
    event.threat_level_id = 2
    event.analysis = 2 if container["type"] == "report" else 1
    org = MISPOrganisation()
    org.name = producer["name"]
    org.uuid = producer["id"].split("--", 1)[1]
    event.Orgc = org
    event.add_tag(f"tlp:{tlp}")
    event.add_tag(MODEL_STEALING_TAG)
    for tag in _galaxy_tags(members):
        event.add_tag(tag)
    for indicator in (m for m in members if m["type"] == "indicator"):
        _add_indicator(event, indicator)
    if campaign.get("description"):
        event.add_attribute("text", campaign["description"], comment="campaign summary", to_ids=False)
    return event


def _galaxy_tags(members: list[dict[str, Any]]) -> list[str]:
    table = atlas.load_atlas()
    tags = []
    for m in members:
        technique = table.by_stix_id(m["id"]) if m["type"] == "attack-pattern" else None
        if technique and technique.misp_galaxy:
            tags.append(f'misp-galaxy:mitre-atlas-attack-pattern="{technique.misp_galaxy}"')
    return sorted(set(tags))


def _add_indicator(event: MISPEvent, indicator: dict[str, Any]) -> None:
    value = indicator["pattern"].split("'")[1]
    ext = (indicator.get("extensions") or {}).get(EXTENSION_ID) or {}
    if indicator["pattern"].startswith("[ipv4-addr:"):
        event.add_attribute("ip-src", value, to_ids=True, comment=indicator["name"])
        return
    account = MISPObject("user-account")
    account.comment = (
        f"{ext.get('identifier_kind', 'identifier')} pseudonym, {ext.get('hash_scheme')} key {ext.get('key_id')}"
    )
    account.add_attribute("user-id", value=value, to_ids=True)
    event.add_object(account)
