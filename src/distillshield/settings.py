"""Settings are declared once, here, and passed around as one frozen object.

Each :class:`Setting` has a name, a default and a help line; the CLI turns
``--set name=value`` pairs into a :class:`Settings` with :func:`settings_from`.
There is no global configuration: every stage takes the ``Settings`` it needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any

from distillshield.errors import ConfigError


@dataclass(frozen=True, slots=True)
class Setting:
    name: str
    default: Any
    help: str


def _setting(default: Any, help: str) -> Any:
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True, slots=True)
class Settings:
    chunk_rows: int = _setting(20_000, "Records parsed and written to DuckDB per batch while ingesting")
    max_record_bytes: int = _setting(
        16 * 1024 * 1024,
        "Longest accepted log line or CSV field; longer ones are quarantined as prefix, length and SHA-256",
    )
    max_decompressed_bytes: int = _setting(
        0, "Most bytes one compressed input may expand to; past it the rest of the file is quarantined (0: no cap)"
    )
    max_compression_ratio: int = _setting(
        100,
        "Most decompressed bytes per compressed byte (checked past 64 MiB): a decompression bomb beyond it is"
        " cut and the rest of the file quarantined (0: no cap)",
    )
    max_quarantine_bytes: int = _setting(
        1024 * 1024 * 1024, "Largest quarantine.jsonl a run may write; past it the run stops with exit status 3"
    )
    duckdb_memory_limit: str = _setting("1GB", "DuckDB memory_limit for a scan (bounds peak RSS)")
    duckdb_threads: int = _setting(2, "Threads DuckDB may use")
    suspicious_threshold: float = _setting(0.5, "Risk at or above which an account is watch-listed")
    distiller_threshold: float = _setting(0.8, "Risk at or above which an account is judged a distiller")
    template_min_accounts: int = _setting(5, "Distinct accounts sharing a prompt template before it links them")
    template_min_variants: int = _setting(
        20, "Distinct prompts a shared head or tail must open or close before it counts as a template"
    )
    template_min_variants_per_account: float = _setting(
        3.0, "Mean distinct prompts per account a shared head or tail must frame (shared questions have about 1)"
    )
    template_jaccard: float = _setting(
        0.5,
        "Least estimated Jaccard similarity (word shingles, MinHash) at which two system-prompt templates"
        " merge; above 1 keeps them exact (normalised hashes only)",
    )
    template_window_jaccard: float = _setting(
        0.8,
        "The same for the 100-character heads and tails of user prompts, where a popular benign wrapper"
        " followed by varying questions is already about 0.6 similar; above 1 keeps them exact",
    )
    template_shingle_words: int = _setting(2, "Words per shingle when comparing template pieces")
    template_lsh_bands: int = _setting(
        32, "LSH bands of 4 MinHash rows each; more bands find less similar candidate pairs, at more cost"
    )
    shared_infra_max_accounts: int = _setting(
        200, "Larger groups on one /24 or card are treated as shared infrastructure, not as a link"
    )
    template_max_accounts: int = _setting(
        20_000,
        "Largest group of accounts one shared instruction block may link (a throwaway pool is hundreds);"
        " above shared_infra_max_accounts each member links to the block's two first accounts, not to all",
    )
    corroboration_min_weight: float = _setting(
        0.3, "Combined weight inside one evidence family at which that family counts as strong evidence"
    )
    corroboration_families: int = _setting(
        2, "Evidence families with strong evidence a distiller verdict needs; fewer caps the risk below it"
    )
    fleet_min_members: int = _setting(
        3,
        "Fewest members a group of new accounts on one network, active round the clock, needs before that counts"
        " as a fleet (round_the_clock_fleet); a number above any group's size turns the signal off",
    )
    copyable_age_ratio: float = _setting(
        3.0,
        "Copyable content (templates, User-Agents) links two established accounts only when neither is"
        " this many times older than the other",
    )
    established_age_days: float = _setting(
        30.0,
        "Account age (days at its first request in the log) from which content an outsider can copy no"
        " longer links it to younger accounts, and online links alone never block it",
    )


#: Every setting, in declaration order, with its default and help line.
SETTINGS: tuple[Setting, ...] = tuple(Setting(f.name, f.default, f.metadata["help"]) for f in fields(Settings))


def settings_from(pairs: list[str] | None = None, base: Settings | None = None) -> Settings:
    """Apply ``name=value`` pairs (from ``--set``) to ``base``, converting by the default's type."""
    settings = base or Settings()
    declared = {f.name: f for f in fields(Settings)}
    changes: dict[str, Any] = {}
    for pair in pairs or []:
        name, sep, raw = pair.partition("=")
        if not sep or name not in declared:
            known = ", ".join(sorted(declared))
            raise ConfigError(f"--set {pair!r}: expected name=value with name one of: {known}")
        default = getattr(Settings(), name)
        try:
            changes[name] = type(default)(raw)
        except ValueError as exc:
            raise ConfigError(f"--set {name}: {raw!r} is not a valid {type(default).__name__}") from exc
    return replace(settings, **changes)
