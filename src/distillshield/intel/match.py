"""Partners' intelligence -> detections on our own logs: sightings, and account links for the linker.

Partners share identifiers only as HMAC pseudonyms, so matching recomputes the pseudonyms of
our own identifiers under each key id the intelligence names (and that our keyring holds),
then looks them up. Template fingerprints match exactly (keyed hash of the features stage's
template key) or approximately (keyed MinHash). Networks (/24) are weak evidence on their
own: an account is linked to a partner's campaign on one strong match (account, API key,
payment instrument, e-mail, exact template) or on two kinds of weak match.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import stix2
from stix2patterns.pattern import Pattern

from distillshield.errors import Location, UnreadableFileError
from distillshield.intel import limits
from distillshield.intel.extension import EXTENSION_ID
from distillshield.intel.fingerprints import keyed_template_hash, minhash_signature, similarity
from distillshield.intel.keys import Keyring
from distillshield.intel.state import stable_id, timestamp
from distillshield.intel.store import IntelStore, object_tlp, open_intel
from distillshield.private import write_private_text

STRONG = frozenset({"account_id", "api_key_id", "payment_fingerprint", "email", "template"})
MIN_SIMILARITY = 0.6
_KIND_SQL = {
    "account_id": "account_id",
    "api_key_id": "api_key_id",
    "payment_fingerprint": "payment_fingerprint",
    "email": "json_extract_string(extra, '$.email')",
}


@dataclass(frozen=True, slots=True)
class AccountLink:
    """One of our accounts tied to a partner's campaign, with what matched."""

    account_id: str
    campaign_ref: str
    campaign_name: str
    kinds: tuple[str, ...]
    indicator_refs: tuple[str, ...]
    strong: bool
    tlp: str | None


@dataclass
class MatchResult:
    """Sightings (STIX, shareable back) and account links (local: they name our accounts)."""

    identity: dict[str, Any]
    sightings: list[dict[str, Any]] = field(default_factory=list)
    links: list[AccountLink] = field(default_factory=list)
    unknown_key_ids: list[str] = field(default_factory=list)
    #: Indicators left out, each {"indicator": id, "problem": why}: one hostile pattern never stops a match.
    skipped_indicators: list[dict[str, str]] = field(default_factory=list)

    def campaign_accounts(self) -> dict[str, list[str]]:
        """Linked accounts per partner campaign: the groups the linker should join."""
        groups: dict[str, list[str]] = defaultdict(list)
        for link in self.links:
            groups[link.campaign_ref].append(link.account_id)
        return {k: sorted(v) for k, v in sorted(groups.items())}

    def as_dict(self) -> dict[str, Any]:
        objects = [self.identity, *self.sightings] if self.sightings else []
        return {
            "sightings": {"type": "bundle", "id": stable_id("bundle", *(o["id"] for o in objects)), "objects": objects}
            if objects
            else None,
            "links": [
                {
                    "account_id": x.account_id,
                    "campaign_ref": x.campaign_ref,
                    "campaign_name": x.campaign_name,
                    "kinds": list(x.kinds),
                    "indicator_refs": list(x.indicator_refs),
                    "strong": x.strong,
                    "tlp": x.tlp,
                }
                for x in self.links
            ],
            "unknown_key_ids": self.unknown_key_ids,
            "skipped_indicators": self.skipped_indicators,
        }


class PatternProblem(ValueError):
    """A partner's pattern that is too large, too deep or malformed to match; its indicator is skipped."""


@dataclass(frozen=True, slots=True)
class _Needle:
    """One thing to look for: an identifier pseudonym, a network or a template fingerprint."""

    kind: str
    value: str
    key_id: str | None
    indicator: str | None
    campaign: str


def match_scan(
    scan_dir: Path,
    store: IntelStore,
    keyring: Keyring,
    *,
    producer: str = "distillshield operator",
    db_path: Path | None = None,
    now: datetime | None = None,
) -> MatchResult:
    """Match the intelligence in ``store`` against a scan directory's database."""
    db = db_path or scan_dir / "scan.duckdb"
    if not db.exists():
        raise UnreadableFileError("scan database not found", Location(db))
    con = _connect(db)
    try:
        return match_database(con, store, keyring, producer=producer, now=now)
    finally:
        con.close()


def match_intel(
    con: duckdb.DuckDBPyConnection,
    intel_dir: Path,
    keyring: Keyring,
    *,
    producer: str = "distillshield operator",
    now: datetime | None = None,
) -> MatchResult:
    """The scan pipeline's hook: match a store, or a folder of bundles, against an open scan database."""
    with open_intel(intel_dir) as store:
        return match_database(con, store, keyring, producer=producer, now=now)


def write_matches(result: MatchResult, path: Path) -> None:
    """matches.json: the sightings bundle to share back, and the account links (keep those in house)."""
    write_private_text(path, json.dumps(result.as_dict(), indent=2) + "\n")  # it names our accounts


def match_database(
    con: duckdb.DuckDBPyConnection,
    store: IntelStore,
    keyring: Keyring,
    *,
    producer: str = "distillshield operator",
    now: datetime | None = None,
) -> MatchResult:
    """Match the intelligence in ``store`` against the ``requests`` (and templates) tables of ``con``."""
    moment = (now or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None)
    campaigns = {c["id"]: c for c in store.latest("campaign")}
    definitions = store.marking_definitions()
    skipped: list[dict[str, str]] = []
    needles = list(_indicator_needles(store, campaigns, skipped)) + list(_template_needles(campaigns.values()))
    wanted_keys = {n.key_id for n in needles if n.key_id}
    unknown = sorted(k for k in wanted_keys if keyring.secret(k) is None)
    hits = _hits(con, keyring, [n for n in needles if n.key_id is None or n.key_id not in unknown])
    identity = {
        "type": "identity",
        "spec_version": "2.1",
        "id": stable_id("identity", producer),
        "created": timestamp(moment),
        "modified": timestamp(moment),
        "name": producer,
        "identity_class": "organization",
    }
    result = MatchResult(identity, unknown_key_ids=unknown, skipped_indicators=skipped)
    result.links = _links(hits, campaigns, definitions)
    result.sightings = _sightings(con, hits, identity["id"], moment)
    return result


def _indicator_needles(
    store: IntelStore, campaigns: dict[str, dict[str, Any]], skipped: list[dict[str, str]]
) -> Iterable[_Needle]:
    indicates = defaultdict(set)
    for rel in store.latest("relationship"):
        if rel.get("relationship_type") == "indicates" and rel.get("target_ref") in campaigns:
            indicates[rel["source_ref"]].add(rel["target_ref"])
    for ind in store.latest("indicator"):
        if ind.get("pattern_type") != "stix" or ind["id"] not in indicates:
            continue
        ext = (ind.get("extensions") or {}).get(EXTENSION_ID) or {}
        try:
            equalities = _equalities(ind["pattern"], ext.get("identifier_kind"))
        except PatternProblem as exc:
            skipped.append({"indicator": ind["id"], "problem": str(exc)})
            continue
        for kind, value in equalities:
            for campaign in sorted(indicates[ind["id"]]):
                yield _Needle(kind, value, ext.get("key_id") if kind != "network" else None, ind["id"], campaign)


def _equalities(pattern: str, kind: str | None) -> list[tuple[str, str]]:
    """(kind, value) for each equality on a pseudonymised account or an IPv4 value; others are skipped."""
    problem = limits.pattern_problem(pattern)
    if problem:
        raise PatternProblem(problem)
    try:
        inspected = Pattern(pattern).inspect()
    except RecursionError as exc:
        raise PatternProblem("pattern nested too deeply to parse") from exc
    except Exception as exc:  # noqa: BLE001 - the pattern library raises bare Exception subclasses of its own
        raise PatternProblem(f"pattern does not parse: {str(exc)[:200]}") from exc
    found = []
    for sco_type, comparisons in inspected.comparisons.items():
        for path, op, raw in comparisons:
            value = str(raw).strip("'")
            if op != "=":
                continue
            if sco_type == "user-account" and path == ["user_id"]:
                found.append((kind or "any", value))
            elif sco_type == "ipv4-addr" and path == ["value"]:
                found.append(("network", value if "/" in value else f"{value}/32"))
    return found


def _template_needles(campaigns: Iterable[dict[str, Any]]) -> Iterable[_Needle]:
    for campaign in campaigns:
        ext = (campaign.get("extensions") or {}).get(EXTENSION_ID) or {}
        for fp in ext.get("template_fingerprints") or []:
            yield _Needle("template", f"{fp['kind']}:{fp['keyed_hash']}", ext.get("key_id"), None, campaign["id"])
            yield _Needle("template-similar", f"{fp['kind']}:{fp['minhash']}", ext.get("key_id"), None, campaign["id"])


@dataclass(frozen=True, slots=True)
class _Hit:
    needle: _Needle
    account_id: str


def _hits(con: duckdb.DuckDBPyConnection, keyring: Keyring, needles: list[_Needle]) -> list[_Hit]:
    hits: list[_Hit] = []
    tables = {row[0] for row in con.execute("SHOW TABLES").fetchall()}
    for key_id in sorted({n.key_id or keyring.active for n in needles}):
        mine = [n for n in needles if (n.key_id or keyring.active) == key_id]
        hits += _identifier_hits(con, keyring, key_id, [n for n in mine if n.kind in (*_KIND_SQL, "any")])
        if "request_templates" in tables:
            hits += _template_hits(con, keyring, key_id, [n for n in mine if n.kind == "template"])
        if "templates" in tables:
            hits += _similar_hits(con, keyring, key_id, [n for n in mine if n.kind == "template-similar"])
    hits += _network_hits(con, [n for n in needles if n.kind == "network"])
    return hits


def _identifier_hits(
    con: duckdb.DuckDBPyConnection, keyring: Keyring, key_id: str, needles: list[_Needle]
) -> list[_Hit]:
    if not needles:
        return []
    by_value = defaultdict(list)
    for n in needles:
        by_value[n.value].append(n)
    hits = []
    for kind, column in _KIND_SQL.items():
        rows = con.execute(f"SELECT DISTINCT {column}, account_id FROM requests WHERE {column} IS NOT NULL").fetchall()
        for raw, account in rows:
            for n in by_value.get(keyring.pseudonym(kind, str(raw), key_id), []):
                if n.kind in (kind, "any"):
                    hits.append(_Hit(_Needle(kind, n.value, n.key_id, n.indicator, n.campaign), str(account)))
    return hits


def _template_hits(con: duckdb.DuckDBPyConnection, keyring: Keyring, key_id: str, needles: list[_Needle]) -> list[_Hit]:
    if not needles:
        return []
    wanted = defaultdict(list)
    for n in needles:
        wanted[n.value].append(n)
    rows = con.execute("SELECT DISTINCT kind, template_key, account_id FROM request_templates").fetchall()
    hits = []
    for kind, key, account in rows:
        value = f"{kind}:{keyed_template_hash(keyring, str(kind), str(key), key_id)}"
        hits += [_Hit(n, str(account)) for n in wanted.get(value, [])]
    return hits


def _similar_hits(con: duckdb.DuckDBPyConnection, keyring: Keyring, key_id: str, needles: list[_Needle]) -> list[_Hit]:
    if not needles:
        return []
    rows = con.execute("""
        SELECT t.kind, t.template_key, any_value(t.sample), list(DISTINCT a.account_id)
        FROM templates t JOIN account_templates a USING (kind, template_key) GROUP BY ALL
    """).fetchall()
    hits = []
    for kind, _, sample, accounts in rows:
        signature = minhash_signature(keyring, str(sample), key_id)
        for n in needles:
            n_kind, _, theirs = n.value.partition(":")
            if n_kind == kind and similarity(signature, theirs) >= MIN_SIMILARITY:
                hits += [_Hit(n, str(a)) for a in accounts]
    return hits


def _network_hits(con: duckdb.DuckDBPyConnection, needles: list[_Needle]) -> list[_Hit]:
    if not needles:
        return []
    wanted = defaultdict(list)
    for n in needles:
        wanted[n.value].append(n)
    rows = con.execute("""
        SELECT DISTINCT regexp_extract(ip, '^([0-9]+\\.[0-9]+\\.[0-9]+)\\.[0-9]+$', 1) || '.0/24', account_id
        FROM requests WHERE ip IS NOT NULL AND NOT contains(ip, ':')
    """).fetchall()
    return [_Hit(n, str(account)) for net, account in rows for n in wanted.get(str(net), [])]


def _links(hits: list[_Hit], campaigns: dict[str, dict[str, Any]], definitions: dict[str, Any]) -> list[AccountLink]:
    grouped: dict[tuple[str, str], list[_Hit]] = defaultdict(list)
    for hit in hits:
        grouped[(hit.account_id, hit.needle.campaign)].append(hit)
    links = []
    for (account, campaign), found in sorted(grouped.items()):
        kinds = sorted({h.needle.kind for h in found})
        strong = bool(STRONG & set(kinds))
        if not strong and len(kinds) < 2:
            continue
        indicators = sorted({h.needle.indicator for h in found if h.needle.indicator})
        obj = campaigns[campaign]
        tlp = object_tlp(obj, definitions)
        links.append(
            AccountLink(account, campaign, str(obj.get("name", "")), tuple(kinds), tuple(indicators), strong, tlp)
        )
    return links


def _sightings(con: duckdb.DuckDBPyConnection, hits: list[_Hit], identity: str, now: datetime) -> list[dict[str, Any]]:
    """One sighting per matched indicator or campaign: counts and times only, no account of ours."""
    accounts_of: dict[str, set[str]] = defaultdict(set)
    for hit in hits:
        accounts_of[hit.needle.indicator or hit.needle.campaign].add(hit.account_id)
    sightings = []
    for ref, accounts in sorted(accounts_of.items()):
        first, last, count = con.execute(
            "SELECT min(ts), max(ts), count(*) FROM requests WHERE account_id IN (SELECT unnest($a))",
            {"a": sorted(accounts)},
        ).fetchone() or (now, now, 0)
        sighting = stix2.Sighting(
            id=stable_id("sighting", identity, ref),
            created_by_ref=identity,
            created=now,
            modified=now,
            sighting_of_ref=ref,
            count=max(1, min(int(count), 999_999_999)),
            first_seen=first or now,
            last_seen=last or now,
            where_sighted_refs=[identity],
        )
        sightings.append(json.loads(sighting.serialize()))
    return sightings


def _connect(db: Path) -> duckdb.DuckDBPyConnection:
    try:
        return duckdb.connect(str(db), read_only=True)
    except duckdb.Error as exc:  # locked by a running scan, or not a DuckDB file
        raise UnreadableFileError(f"cannot open the scan database: {exc}", Location(db)) from exc
