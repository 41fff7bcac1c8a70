"""Detection rules as frozen records: what a YAML rule file says, validated.

A rule is correlation-style, like a Sigma correlation rule: select requests with
``filter``, group them by ``group-by`` fields into tumbling windows of
``timespan``, measure each group (``event_count``: requests; ``value_count``:
distinct values of ``field``), and fire when the measure meets ``condition``.
Every account with a request in a firing group gets a signal of ``weight``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

#: Request-level fields a rule may filter or group on: the spec's columns, the derived
#: ``network`` (/24 or /48) and ``account_age_hours``, and each content detector's score.
FIELDS = frozenset(
    {
        "account_id",
        "api_key_id",
        "user_id",
        "ip",
        "network",
        "user_agent",
        "asn",
        "payment_fingerprint",
        "email_domain",
        "model",
        "prompt_tokens",
        "completion_tokens",
        "reasoning_tokens",
        "tool_calls",
        "status",
        "n_user_turns",
        "account_age_hours",
    }
)
#: Comparison operators, in YAML and in SQL.
OPERATORS = {"eq": "=", "ne": "<>", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}
RULE_TYPES = ("event_count", "value_count")


@dataclass(frozen=True, slots=True)
class Filter:
    """``field op value``, or ``field in [values]`` when ``op`` is ``in``."""

    field: str
    op: str
    value: str | float | tuple[str | float, ...]


@dataclass(frozen=True, slots=True)
class Rule:
    """One detection rule; ``path`` and ``line`` say where it was defined."""

    id: str
    title: str
    description: str
    type: str
    filters: tuple[Filter, ...]
    group_by: tuple[str, ...]
    timespan_s: int
    field: str | None
    condition_op: str
    condition_value: float
    weight: float
    references: tuple[str, ...]
    path: Path
    #: Evidence family of the rule's signal (see :data:`distillshield.records.FAMILIES`).
    family: str = "custom"
    line: int = 1

    @property
    def source(self) -> str:
        """The trace id a fired rule carries in verdicts and campaigns.json."""
        return f"rule.{self.id}"
