"""Known organisations and analyst-confirmed benign accounts: what the provider already knows about its customers.

A shared card, /24 or e-mail domain is what a farm looks like, and also what one
legitimate organisation looks like. A provider knows many of its organisations
(contracts, verified tiers, university agreements); this file tells ``scan``,
``watch`` and ``serve`` so, and they honour it:

* accounts of one organisation are never linked to each other (their shared card is
  their own business), and the trace says ``known_organisation``;
* links alone never raise a member of a ``verified`` or ``enterprise`` organisation
  to ``distiller``, nor make the gateway block it or ask it to step up;
* an account an analyst confirmed benign stays below ``suspicious`` until its own
  risk rises past the risk it had when it was confirmed: its behaviour changed.

YAML (``--known-orgs orgs.yaml``)::

    organisations:
      - name: Example University NLP lab
        tier: verified          # standard | verified | enterprise
        accounts: [acct-17, acct-18]
        domains: [nlp.example.edu]
        cards: [card-3f2a]
        networks: [192.0.2.0/24]
    confirmed_benign:
      - account: acct-99
        risk: 0.62              # risk when confirmed (optional, default 0.8)
        note: eval vendor, contract 2026-114

or CSV with the header ``kind,value,organisation,tier`` where ``kind`` is ``account``,
``domain``, ``card``, ``network`` or ``confirmed`` (``value`` an account id; ``tier``
then holds the confirmed risk).
"""

from __future__ import annotations

import csv
import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from distillshield.errors import InputError, Location
from distillshield.yamlfile import Fields, load_yaml

TIERS = ("standard", "verified", "enterprise")
#: Tiers whose members links alone never escalate.
PROTECTED_TIERS = frozenset({"verified", "enterprise"})
_CSV_KINDS = ("account", "domain", "card", "network", "confirmed")
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class Organisation:
    name: str
    tier: str = "standard"
    accounts: frozenset[str] = frozenset()
    domains: frozenset[str] = frozenset()
    cards: frozenset[str] = frozenset()
    networks: tuple[IpNetwork, ...] = ()

    @property
    def protected(self) -> bool:
        return self.tier in PROTECTED_TIERS


@dataclass(frozen=True, slots=True)
class ConfirmedBenign:
    account: str
    risk: float = 0.8
    note: str = ""


@dataclass(frozen=True, slots=True)
class AccountFacts:
    """What the log says about one account, for matching it to an organisation."""

    domains: frozenset[str] = frozenset()
    cards: frozenset[str] = frozenset()
    ips: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class KnownOrganisations:
    organisations: tuple[Organisation, ...] = ()
    confirmed: Mapping[str, ConfirmedBenign] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.organisations or self.confirmed)

    def with_confirmed(self, dismissed: Mapping[str, float]) -> KnownOrganisations:
        """These organisations with ``dismissed`` accounts (account -> risk when dismissed, a learned model's)
        added as confirmed benign; an account the file confirms keeps the file's entry."""
        added = {a: ConfirmedBenign(a, risk, "dismissed (learned model)") for a, risk in dismissed.items()}
        return replace(self, confirmed={**added, **self.confirmed})

    def organisation_of(self, account_id: str, facts: AccountFacts | None = None) -> Organisation | None:
        """The first organisation that lists the account, or whose domain, card or network it uses."""
        for org in self.organisations:
            if account_id in org.accounts:
                return org
        if facts is None:
            return None
        for org in self.organisations:
            if facts.domains & org.domains or facts.cards & org.cards or _in_networks(facts.ips, org.networks):
                return org
        return None

    def members(self, facts: Mapping[str, AccountFacts]) -> dict[str, Organisation]:
        """Account id -> organisation for every account of ``facts`` that belongs to one."""
        found = {}
        for account_id, account_facts in facts.items():
            org = self.organisation_of(account_id, account_facts)
            if org is not None:
                found[account_id] = org
        return found


def _in_networks(ips: Iterable[str], networks: tuple[IpNetwork, ...]) -> bool:
    if not networks:
        return False
    for text in ips:
        try:
            address = ipaddress.ip_address(text)
        except ValueError:
            continue
        if any(address in net for net in networks if net.version == address.version):
            return True
    return False


def load_known_organisations(path: Path) -> KnownOrganisations:
    """Read a YAML or CSV known-organisations file; every mistake names the file, line and field."""
    if not path.is_file():
        raise InputError("known-organisations file does not exist", Location(path))
    if path.suffix.lower() == ".csv":
        return _from_csv(path)
    return _from_yaml(path)


def _from_yaml(path: Path) -> KnownOrganisations:
    top = Fields(load_yaml(path), path, "known organisations", {"organisations", "confirmed_benign"}, line=1)
    orgs = [_organisation(path, item, i) for i, item in enumerate(_list(top, "organisations"))]
    confirmed = [_confirmed(path, item, i) for i, item in enumerate(_list(top, "confirmed_benign"))]
    return KnownOrganisations(tuple(orgs), {c.account: c for c in confirmed})


def _list(top: Fields, key: str) -> list[object]:
    value = top.raw(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise top.error(key, f"{key} must be a list")
    return value


def _organisation(path: Path, item: object, index: int) -> Organisation:
    keys = {"name", "tier", "accounts", "domains", "cards", "networks"}
    f = Fields(item, path, f"organisations[{index}]", keys, line=1)
    name = f.string("name")
    if not name or not name.strip():
        raise f.error("name", "name must be a non-empty string")
    return Organisation(
        name=name.strip(),
        tier=f.string("tier", "standard", choices=TIERS) or "standard",
        accounts=frozenset(_strings(f, "accounts")),
        domains=frozenset(d.lower() for d in _strings(f, "domains")),
        cards=frozenset(_strings(f, "cards")),
        networks=tuple(_network(f, "networks", text) for text in _strings(f, "networks")),
    )


def _strings(f: Fields, key: str) -> list[str]:
    value = f.raw(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str | int) and str(v).strip() for v in value):
        raise f.error(key, f"{key} must be a list of non-empty strings")
    return [str(v).strip() for v in value]


def _network(f: Fields, key: str, text: str) -> IpNetwork:
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError as exc:
        raise f.error(key, f"{text!r} is not an IP network (e.g. 192.0.2.0/24): {exc}") from exc


def _confirmed(path: Path, item: object, index: int) -> ConfirmedBenign:
    f = Fields(item, path, f"confirmed_benign[{index}]", {"account", "risk", "note"}, line=1)
    account = f.string("account")
    if not account or not account.strip():
        raise f.error("account", "account must be a non-empty string")
    risk = f.number("risk", 0.8, low=0.0, high=1.0)
    return ConfirmedBenign(account.strip(), 0.8 if risk is None else risk, f.string("note", "") or "")


def _from_csv(path: Path) -> KnownOrganisations:
    parts: dict[str, dict[str, set[str]]] = {}
    tiers: dict[str, str] = {}
    confirmed: dict[str, ConfirmedBenign] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None or set(reader.fieldnames) != {"kind", "value", "organisation", "tier"}:
            raise InputError("header must be kind,value,organisation,tier", Location(path, 1))
        for line, row in enumerate(reader, start=2):
            kind, value = (row.get("kind") or "").strip(), (row.get("value") or "").strip()
            org, tier = (row.get("organisation") or "").strip(), (row.get("tier") or "").strip()
            if kind not in _CSV_KINDS:
                raise InputError(
                    f"kind must be one of {', '.join(_CSV_KINDS)}, not {kind!r}", Location(path, line, "kind")
                )
            if not value:
                raise InputError("value must not be empty", Location(path, line, "value"))
            if kind == "confirmed":
                confirmed[value] = ConfirmedBenign(value, _csv_risk(path, line, tier), org)
                continue
            if not org:
                raise InputError("organisation must not be empty", Location(path, line, "organisation"))
            if tier and tier not in TIERS:
                raise InputError(f"tier must be one of {', '.join(TIERS)}", Location(path, line, "tier"))
            if kind == "network":
                try:
                    ipaddress.ip_network(value, strict=False)
                except ValueError as exc:
                    raise InputError(f"{value!r} is not an IP network", Location(path, line, "value")) from exc
            parts.setdefault(org, {k: set() for k in _CSV_KINDS})[kind].add(value)
            if tier:
                tiers[org] = tier
    orgs = tuple(
        Organisation(
            name,
            tiers.get(name, "standard"),
            frozenset(p["account"]),
            frozenset(d.lower() for d in p["domain"]),
            frozenset(p["card"]),
            tuple(ipaddress.ip_network(n, strict=False) for n in sorted(p["network"])),
        )
        for name, p in parts.items()
    )
    return KnownOrganisations(orgs, confirmed)


def _csv_risk(path: Path, line: int, text: str) -> float:
    if not text:
        return 0.8
    try:
        risk = float(text)
    except ValueError:
        risk = -1.0
    if not 0.0 <= risk <= 1.0:
        raise InputError(f"confirmed risk must be a number in [0, 1], not {text!r}", Location(path, line, "tier"))
    return risk
