"""distillshield: detect, resist, attribute and report distillation attacks on LLM APIs.

The data flows through one folder per stage: ``ingest`` (logs to the requests
table), ``features`` (per-account numbers in DuckDB SQL), ``detect`` (scorers,
linkers and verdicts, all registered plugins), ``report`` (the scan output
contract and the HTML report). ``simulate`` and ``evaluate`` make and score
benchmark data. The CLI sits thin on top.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from distillshield.errors import (
    ConfigError,
    DistillshieldError,
    InputError,
    Location,
    PluginError,
    RecordError,
    UnreadableFileError,
)
from distillshield.settings import Settings

if TYPE_CHECKING:
    from distillshield.records import Campaign, Signal, Verdict

__version__ = "0.1.0"

__all__ = [
    "Campaign",
    "ConfigError",
    "DistillshieldError",
    "InputError",
    "Location",
    "PluginError",
    "RecordError",
    "Settings",
    "Signal",
    "UnreadableFileError",
    "Verdict",
    "__version__",
]


def __getattr__(name: str) -> Any:
    """The record types, imported on first use: they need pyarrow, which the CLI's start-up must not pay for."""
    if name in {"Campaign", "Signal", "Verdict"}:
        from distillshield import records

        return getattr(records, name)
    raise AttributeError(f"module 'distillshield' has no attribute {name!r}")
