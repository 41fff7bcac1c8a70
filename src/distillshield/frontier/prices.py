"""List prices and the attacker's overheads, read from a YAML config, that turn a harvest into dollars."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from distillshield.errors import ConfigError
from distillshield.yamlfile import load_yaml


@dataclass(frozen=True, slots=True)
class Prices:
    """Dollars per million tokens at list price, and what each account, card and network costs the attacker."""

    input_per_mtok: float = 1.10  # prompt tokens
    output_per_mtok: float = 4.40  # completion tokens (reasoning billed as output)
    reasoning_per_mtok: float = 4.40
    per_account: float = 0.50  # a throw-away sign-up (phone or e-mail verification)
    per_card: float = 2.00  # a virtual card
    per_network_day: float = 0.10  # one residential proxy /24 exit for a day

    def cost(self, campaign: dict[str, Any], days: float, networks: int, cards: int) -> float:
        tokens = (
            campaign.get("prompt_tokens", 0) * self.input_per_mtok
            + campaign.get("completion_tokens", 0) * self.output_per_mtok
            + campaign.get("reasoning_tokens", 0) * self.reasoning_per_mtok
        ) / 1e6
        infra = int(campaign.get("accounts", 0)) * self.per_account + cards * self.per_card
        return float(tokens + infra + networks * self.per_network_day * days)


def load_prices(path: Path | None) -> Prices:
    """Prices from ``path`` (a mapping of the field names above); unknown or non-numeric keys are errors."""
    if path is None:
        return Prices()
    data = load_yaml(path)
    if not isinstance(data, Mapping):
        raise ConfigError(f"{path}: expected a mapping of prices")
    known = {f.name for f in fields(Prices)}
    unknown = set(data) - known
    if unknown:
        raise ConfigError(f"{path}: unknown price field(s) {sorted(unknown)}; known: {sorted(known)}")
    bad = [k for k, v in data.items() if not isinstance(v, int | float) or v < 0]
    if bad:
        raise ConfigError(f"{path}: price field(s) {bad} must be non-negative numbers")
    return Prices(**{k: float(v) for k, v in data.items()})
