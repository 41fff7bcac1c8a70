"""A learned overlay on the shipped weights and thresholds: ``learn`` writes it, ``scan --model`` reads it.

The overlay keeps every scorer and rule as it is and changes three things only:

* **family scales**: each signal's weight ``w`` in evidence family ``f`` becomes
  ``1 - (1 - w) ** scale[f]``. In noisy-OR terms ``-log(1 - w)`` is the signal's
  evidence, so the scale multiplies a family's evidence: 1 keeps the shipped
  weight, 0 silences the family, 2 counts it twice. Scales are never negative, so
  more evidence never lowers a risk (the model is monotone);
* the ``suspicious`` and ``distiller`` **thresholds**;
* **dismissed accounts**: accounts analysts dismissed, with the own risk each had
  under the model when dismissed. They stay below ``suspicious`` until their own
  risk rises past it (their behaviour changed), exactly as ``confirmed_benign`` in
  the known-organisations file.

The file is YAML (see docs/learn.md)::

    version: 1
    families: {content: 0.7, coordination: 1.3}
    thresholds: {suspicious: 0.55, distiller: 0.8}
    dismissed:
      - {account: acct-17, risk: 0.41, analyst: alice}
    fit: {...}            # how it was learned; read by people, not by scan

A model file is input like any other: unknown keys, repeated keys, out-of-range
numbers and unknown families are errors naming the file, line and key. Its SHA-256
(:attr:`DetectionModel.digest`) goes into run.json and every trace.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from distillshield.errors import InputError, Location
from distillshield.records import FAMILIES, META_FAMILY, Signal
from distillshield.settings import Settings
from distillshield.yamlfile import Fields, load_yaml

MODEL_VERSION = 1
#: Largest family scale a model may carry: past it one weak signal alone would read as certain.
MAX_SCALE = 8.0
MODEL_SOURCE = "detect.model"
#: Largest model file read: a million dismissed accounts take about 60 MB of YAML.
MAX_MODEL_BYTES = 128 * 1024 * 1024
#: Weights this close to 1 are treated as 1 - _EPS, so a scale below 1 can still lower them.
_EPS = 1e-6


@dataclass(frozen=True, slots=True)
class DetectionModel:
    """Family scales, thresholds and dismissed accounts learned from analysts' labels."""

    family_scale: Mapping[str, float] = field(default_factory=dict)
    suspicious_threshold: float | None = None
    distiller_threshold: float | None = None
    #: Dismissed account -> its own risk (under this model) when dismissed.
    dismissed: Mapping[str, float] = field(default_factory=dict)
    #: SHA-256 of the model file's bytes ("" for a model built in memory).
    digest: str = ""

    def weigh(self, signal: Signal) -> Signal:
        """``signal`` with its weight scaled by its family's scale (meta notes and zero weights unchanged)."""
        scale = self.family_scale.get(signal.family, 1.0)
        if scale == 1.0 or signal.weight <= 0.0 or signal.family == META_FAMILY:
            return signal
        keep = 1.0 - min(signal.weight, 1.0 - _EPS)
        return replace(signal, weight=1.0 - keep**scale)

    def settings(self, base: Settings) -> Settings:
        """``base`` with the model's thresholds."""
        suspicious = self.suspicious_threshold
        distiller = self.distiller_threshold
        return replace(
            base,
            suspicious_threshold=base.suspicious_threshold if suspicious is None else suspicious,
            distiller_threshold=base.distiller_threshold if distiller is None else distiller,
        )

    def note(self) -> Signal:
        """The weightless trace entry that names the model behind a verdict."""
        return Signal(
            MODEL_SOURCE,
            "model",
            self.digest[:12] or "in-memory",
            0.0,
            observed=False,
            detail="weights and thresholds from a learned model (sha256 in run.json)",
            family=META_FAMILY,
        )


#: The shipped weights and thresholds: what a scan without --model uses.
SHIPPED = DetectionModel()


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_model(path: Path) -> DetectionModel:
    """Read a model file; every mistake raises :class:`InputError` naming the file, line and key."""
    if not path.is_file():
        raise InputError("model file does not exist", Location(path))
    if path.stat().st_size > MAX_MODEL_BYTES:
        raise InputError(f"model file is larger than {MAX_MODEL_BYTES:,} bytes", Location(path))
    top = Fields(load_yaml(path), path, "model", {"version", "families", "thresholds", "dismissed", "fit"}, line=1)
    version = top.number("version", None, low=1)
    if version != MODEL_VERSION:
        raise top.error("version", f"version must be {MODEL_VERSION}, not {top.raw('version')!r}")
    suspicious, distiller = _thresholds(top, path)
    return DetectionModel(
        family_scale=_families(top, path),
        suspicious_threshold=suspicious,
        distiller_threshold=distiller,
        dismissed=_dismissed(top, path),
        digest=file_digest(path),
    )


def _families(top: Fields, path: Path) -> dict[str, float]:
    if not top.has("families"):
        return {}
    f = Fields(top.raw("families"), path, "families", set(FAMILIES), line=top.line)
    scales = {}
    for family in FAMILIES:
        value = f.number(family, None, low=0.0, high=MAX_SCALE)
        if value is not None:
            scales[family] = value
    return scales


def _thresholds(top: Fields, path: Path) -> tuple[float | None, float | None]:
    if not top.has("thresholds"):
        return None, None
    f = Fields(top.raw("thresholds"), path, "thresholds", {"suspicious", "distiller"}, line=top.line)
    suspicious = f.number("suspicious", None, low=0.01, high=0.99)
    distiller = f.number("distiller", None, low=0.01, high=0.99)
    low = suspicious if suspicious is not None else Settings().suspicious_threshold
    high = distiller if distiller is not None else Settings().distiller_threshold
    if low >= high:
        raise f.error("suspicious", f"suspicious threshold {low} must be below the distiller threshold {high}")
    return suspicious, distiller


def _dismissed(top: Fields, path: Path) -> dict[str, float]:
    items = top.raw("dismissed")
    if items is None:
        return {}
    if not isinstance(items, list):
        raise top.error("dismissed", "dismissed must be a list")
    found: dict[str, float] = {}
    for index, item in enumerate(items):
        f = Fields(item, path, f"dismissed[{index}]", {"account", "risk", "analyst", "note"}, line=top.line)
        account = f.string("account")
        if not account or not account.strip():
            raise f.error("account", "account must be a non-empty string")
        if account in found:
            raise f.error("account", f"account {account!r} is dismissed twice")
        risk = f.number("risk", None, low=0.0, high=1.0)
        if risk is None:
            raise f.error("risk", "risk is required: the own risk the account had when dismissed")
        f.string("analyst")
        f.string("note")
        found[account] = risk
    return found
