"""Scan results -> one STIX 2.1 bundle that partners' tools accept and that names no customer.

Order of work: read the campaign facts, pseudonymise every identifier with the consortium
key, and only then build STIX objects, since STIX derives an SCO's id from its value and a
raw value would survive in the id. The finished bundle is parsed with
``stix2.parse(allow_custom=False)`` and passed through :mod:`~distillshield.intel.privacy`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import stix2

from distillshield.errors import PrivacyLeakError
from distillshield.intel import atlas, extension, markings
from distillshield.intel.fingerprints import keyed_template_hash, minhash_signature
from distillshield.intel.keys import HASH_SCHEME, Keyring
from distillshield.intel.privacy import scan_text
from distillshield.intel.scan_facts import CampaignFacts, campaign_facts
from distillshield.intel.state import ExportState, stable_id, timestamp

IpPolicy = Literal["net24", "none"]
Container = Literal["report", "grouping"]
_KIND_LABEL = {
    "account_id": "account",
    "api_key_id": "API key",
    "payment_fingerprint": "payment instrument",
    "email": "e-mail address",
}


@dataclass(frozen=True, slots=True)
class ExportOptions:
    """What to share and how. Defaults share the least that still lets partners match."""

    producer: str = "distillshield operator"
    tlp: str = "amber"
    ip_policy: IpPolicy = "net24"
    container: Container = "report"
    share_template_text: bool = False
    attribution: Mapping[str, str] = field(default_factory=dict)  # campaign_id -> intrusion-set name
    max_networks: int = 50
    # Model names shared in clear. Clients choose the model string, so any other (a typo, a customer's
    # fine-tune, an e-mail address) is shared as a keyed pseudonym: partners holding the keyring can
    # still match it, nobody else can read it, and it can never trip the privacy check and stop the export.
    share_models: tuple[str, ...] = ()


def export_scan(
    scan_dir: Path,
    keyring: Keyring,
    options: ExportOptions | None = None,
    *,
    db_path: Path | None = None,
    state_path: Path | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The STIX 2.1 bundle for a scan directory; raise :class:`PrivacyLeakError` if it would leak."""
    options = options or ExportOptions()
    if options.tlp not in markings.TLP2_IDS:
        raise ValueError(f"tlp must be one of {', '.join(markings.LEVELS)}, not {options.tlp!r}")
    moment = (now or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None)
    facts = campaign_facts(scan_dir, db_path, options.max_networks if options.ip_policy == "net24" else 0)
    state = ExportState.load(state_path)
    builder = _Builder(keyring, options, state, moment)
    for campaign in facts:
        builder.add_campaign(campaign)
    bundle = builder.bundle()
    check_privacy(bundle, raw_identifiers=[v for f in facts for _, v in f.identifiers])
    stix2.parse(bundle, allow_custom=False)
    state.save()
    return bundle


def check_privacy(bundle: Mapping[str, Any], raw_identifiers: list[str] | None = None) -> None:
    findings = scan_text(json.dumps(bundle), raw_identifiers=raw_identifiers or ())
    if findings:
        shown = "; ".join(str(f) for f in findings[:5])
        raise PrivacyLeakError(f"the export would leak {len(findings)} value(s): {shown}")


def write_bundle(bundle: Mapping[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(bundle, indent=2, sort_keys=True) + "\n", encoding="utf-8")


class _Builder:
    """Accumulates the bundle's objects; shared ones (identity, markings, ATLAS) appear once."""

    def __init__(self, keyring: Keyring, options: ExportOptions, state: ExportState, now: datetime) -> None:
        self.keyring, self.options, self.state, self.now = keyring, options, state, now
        self.marking = markings.TLP2_IDS[options.tlp]
        self.clear = markings.TLP2_IDS["clear"]
        self.objects: dict[str, dict[str, Any]] = {}
        self.atlas = atlas.load_atlas()
        self.producer = self._sdo(
            {"type": "identity", "name": options.producer, "identity_class": "organization"},
            stable_id("identity", options.producer),
        )
        for obj in (
            markings.tlp2_marking(options.tlp),
            markings.tlp2_marking("clear"),
            extension.project_identity(),
            extension.extension_definition(self.clear),
        ):
            self.objects[obj["id"]] = obj

    def bundle(self) -> dict[str, Any]:
        objects = sorted(self.objects.values(), key=lambda o: (o["type"], o["id"]))
        return {"type": "bundle", "id": stable_id("bundle", *(o["id"] for o in objects)), "objects": objects}

    def _sdo(self, body: dict[str, Any], stix_id: str, marking: str | None = None) -> dict[str, Any]:
        obj = {
            "spec_version": "2.1",
            "id": stix_id,
            "created_by_ref": stable_id("identity", self.options.producer),
            "object_marking_refs": [marking or self.marking],
            **body,
        }
        self.state.stamp(obj, self.now)
        self.objects[stix_id] = obj
        return obj

    def _relationship(self, source: str, kind: str, target: str) -> str:
        rel_id = stable_id("relationship", source, kind, target)
        self._sdo(
            {"type": "relationship", "relationship_type": kind, "source_ref": source, "target_ref": target}, rel_id
        )
        return rel_id

    def _ext(self, **properties: Any) -> dict[str, Any]:
        return {extension.EXTENSION_ID: extension.payload(**properties)}

    def add_campaign(self, c: CampaignFacts) -> None:
        pseudonyms = [(kind, self.keyring.pseudonym(kind, raw)) for kind, raw in c.identifiers]
        members = [p for kind, p in pseudonyms if kind == "account_id"]
        campaign_id = self.state.campaign_id(self.producer["id"], members)
        refs = [campaign_id]
        self._campaign(c, campaign_id)
        refs += self._attribution(c, campaign_id)
        refs += self._techniques(c, campaign_id)
        accounts = [self._user_account(p) for _, p in pseudonyms]
        networks = [self._network(n) for n in c.networks]
        observed = self._observed_data(c, campaign_id, accounts + networks)
        refs += [observed, *accounts, *networks]
        for kind, pseudonym in pseudonyms:
            refs += self._indicator(c, campaign_id, observed, f"[user-account:user_id = '{pseudonym}']", kind)
        for network in c.networks:
            refs += self._indicator(c, campaign_id, observed, f"[ipv4-addr:value = '{network}']", "network")
        refs.append(self._sighting(c, campaign_id, observed))
        self._container(c, campaign_id, refs)

    def _campaign(self, c: CampaignFacts, campaign_id: str) -> None:
        evidence = c.evidence
        self._sdo(
            {
                "type": "campaign",
                "name": f"{c.campaign_id} ({self.options.producer})",
                "description": f"Distillation campaign over {len(c.accounts)} linked accounts and {c.requests} "
                f"requests, judged at risk {c.risk:.2f}.",
                "objective": "Harvest model outputs through the API to train a copy of the model (model extraction).",
                "first_seen": timestamp(c.first_seen),
                "last_seen": timestamp(c.last_seen),
                "confidence": round(c.risk * 100),
                "extensions": self._ext(
                    hash_scheme=HASH_SCHEME,
                    key_id=self.keyring.active,
                    ip_policy=self.options.ip_policy,
                    risk=round(c.risk, 4),
                    query_count=c.requests,
                    account_count=len(c.accounts),
                    prompt_tokens=_int(evidence.get("prompt_tokens")),
                    completion_tokens=_int(evidence.get("completion_tokens")),
                    reasoning_tokens=_int(evidence.get("reasoning_tokens")),
                    targeted_models=sorted({self._model(str(m)) for m in evidence.get("models") or []}) or None,
                    targeted_capabilities=_capabilities(c) or None,
                    link_kinds=sorted((evidence.get("links") or {}).keys()) or None,
                    template_fingerprints=self._fingerprints(c) or None,
                ),
            },
            campaign_id,
        )

    def _model(self, name: str) -> str:
        if name in self.options.share_models:
            return name
        secret = self.keyring.secret(self.keyring.active) or b""
        return "hmac-sha256:" + hmac.new(secret, b"model\x00" + name.encode(), hashlib.sha256).hexdigest()[:32]

    def _fingerprints(self, c: CampaignFacts) -> list[dict[str, Any]]:
        out = []
        for kind, key, sample, n_accounts in c.templates:
            item: dict[str, Any] = {
                "kind": kind,
                "keyed_hash": keyed_template_hash(self.keyring, kind, key),
                "minhash": minhash_signature(self.keyring, sample),
                "n_accounts": n_accounts,
            }
            if self.options.share_template_text:
                item["text"] = sample
            out.append(item)
        return out

    def _attribution(self, c: CampaignFacts, campaign_id: str) -> list[str]:
        name = self.options.attribution.get(c.campaign_id)
        if not name:
            return []
        intrusion_set = stable_id("intrusion-set", self.options.producer, name)
        self._sdo({"type": "intrusion-set", "name": name}, intrusion_set)
        return [intrusion_set, self._relationship(campaign_id, "attributed-to", intrusion_set)]

    def _techniques(self, c: CampaignFacts, campaign_id: str) -> list[str]:
        refs = []
        for atlas_id in techniques_for(c):
            technique = self.atlas.technique(atlas_id)
            self.objects[technique.stix_id] = atlas.attack_pattern(technique, self.atlas.version, self.clear)
            refs += [technique.stix_id, self._relationship(campaign_id, "uses", technique.stix_id)]
        return refs

    def _user_account(self, pseudonym: str) -> str:
        sco = json.loads(stix2.UserAccount(user_id=pseudonym, object_marking_refs=[self.marking]).serialize())
        self.objects[sco["id"]] = sco
        return str(sco["id"])

    def _network(self, network: str) -> str:
        sco = json.loads(stix2.IPv4Address(value=network, object_marking_refs=[self.marking]).serialize())
        self.objects[sco["id"]] = sco
        return str(sco["id"])

    def _observed_data(self, c: CampaignFacts, campaign_id: str, scos: list[str]) -> str:
        stix_id = stable_id("observed-data", campaign_id)
        body = {
            "type": "observed-data",
            "first_observed": timestamp(c.first_seen),
            "last_observed": timestamp(c.last_seen),
            "number_observed": max(1, min(c.requests, 999_999_999)),
            "object_refs": scos or [self.producer["id"]],
        }
        self._sdo(body, stix_id)
        return stix_id

    def _indicator(self, c: CampaignFacts, campaign_id: str, observed: str, pattern: str, kind: str) -> list[str]:
        stix_id = stable_id("indicator", self.producer["id"], pattern)
        label = _KIND_LABEL.get(kind, "/24 network")
        ext = (
            self._ext(hash_scheme=HASH_SCHEME, key_id=self.keyring.active, identifier_kind=kind)
            if kind != "network"
            else self._ext(ip_policy=self.options.ip_policy)
        )
        self._sdo(
            {
                "type": "indicator",
                "name": f"{label.capitalize()} used by campaign {c.campaign_id}",
                "description": f"A {label} of distillation campaign {c.campaign_id}"
                + (", pseudonymised with the consortium key." if kind != "network" else "."),
                "indicator_types": ["malicious-activity" if kind != "network" else "anonymization"],
                "pattern": pattern,
                "pattern_type": "stix",
                "valid_from": timestamp(c.first_seen),
                "confidence": round(c.risk * 100),
                "extensions": ext,
            },
            stix_id,
        )
        return [
            stix_id,
            self._relationship(stix_id, "indicates", campaign_id),
            self._relationship(stix_id, "based-on", observed),
        ]

    def _sighting(self, c: CampaignFacts, campaign_id: str, observed: str) -> str:
        stix_id = stable_id("sighting", campaign_id, self.producer["id"])
        body = {
            "type": "sighting",
            "sighting_of_ref": campaign_id,
            "first_seen": timestamp(c.first_seen),
            "last_seen": timestamp(c.last_seen),
            "count": max(1, min(c.requests, 999_999_999)),
            "observed_data_refs": [observed],
            "where_sighted_refs": [self.producer["id"]],
        }
        self._sdo(body, stix_id)
        return stix_id

    def _container(self, c: CampaignFacts, campaign_id: str, refs: list[str]) -> None:
        common = {
            "name": f"Distillation campaign {c.campaign_id} ({self.options.producer})",
            "description": f"Accounts, infrastructure and techniques of distillation campaign {c.campaign_id}.",
            "object_refs": list(dict.fromkeys(refs)),
        }
        kind = self.options.container
        extra = {"report_types": ["campaign"]} if kind == "report" else {"context": "suspicious-activity"}
        self._sdo({"type": kind, **extra, **common}, stable_id(kind, campaign_id))


def techniques_for(c: CampaignFacts) -> list[str]:
    """The ATLAS techniques a campaign's evidence supports, in id order."""
    links = set((c.evidence.get("links") or {}).keys())
    chosen = {"AML.T0040", "AML.T0024", "AML.T0024.002", "AML.T0005", "AML.T0005.001", "AML.T0048.004"}
    if len(c.accounts) > 1:
        chosen.add("AML.T0021")
    if "network" in links or len(c.networks) >= 3:
        chosen |= {"AML.T0008", "AML.T0008.005"}
    if "safety-bypass" in _capabilities(c):
        chosen.add("AML.T0054")
    if "template" in links or c.templates:
        chosen.add("AML.T0065")
    if c.requests >= 1000:
        chosen |= {"AML.T0034", "AML.T0034.000"}
    return sorted(chosen)


def _capabilities(c: CampaignFacts) -> list[str]:
    names = " ".join(str(s.get("name", "")) for s in c.evidence.get("signals") or [] if isinstance(s, dict))
    found = {"bulk-generation"} if c.requests >= 1000 else set()
    for needle, capability in (
        ("elicitation", "reasoning-traces"),
        ("reasoning", "reasoning-traces"),
        ("jailbreak", "safety-bypass"),
        ("tool", "tool-use"),
        ("completion", "long-form-output"),
    ):
        if needle in names:
            found.add(capability)
    return sorted(found)


def _int(value: object) -> int | None:
    return int(value) if isinstance(value, int | float) and value >= 0 else None
