"""From signals to a risk and a verdict: noisy-OR inside evidence families, corroboration across them.

Risk is a noisy-OR of signal weights, ``risk = 1 - prod(1 - w)``. Alone that lets
one kind of evidence make a distiller: a student who asks "explain step by step"
in a quarter of fifty homework questions piles up content evidence, and a lab
whose members share a card piles up infrastructure evidence. Neither is what a
campaign looks like. So the verdict asks for **corroboration**: ``distiller``
needs strong evidence (family weight at least ``corroboration_min_weight``) from
at least ``corroboration_families`` independent families
(:data:`~distillshield.records.FAMILIES`). Coordination across accounts is a
family of its own, so "coordination plus one more" is the same rule. A risk that
reaches the distiller threshold without corroboration is capped just below it and
the trace says so; the account stays ``suspicious`` and watched.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from distillshield.records import FAMILIES, META_FAMILY, Signal
from distillshield.settings import Settings

VERDICT_SOURCE = "detect.verdict"


def noisy_or(weights: Iterable[float]) -> float:
    """``1 - prod(1 - w)``: 0 with no signal, near 1 with one strong or many weak signals."""
    keep = 1.0
    for w in weights:
        keep *= 1.0 - min(max(w, 0.0), 1.0)
    return 1.0 - keep


def note(source: str, name: str, value: float | str, detail: str) -> Signal:
    """A weightless trace entry saying how a verdict was reached (:data:`META_FAMILY`, listed first in reasons)."""
    return Signal(source, name, value, 0.0, observed=False, detail=detail, family=META_FAMILY)


def risk_of(signals: Sequence[Signal]) -> float:
    return noisy_or(s.weight for s in signals)


def verdict_for(risk: float, settings: Settings) -> str:
    if risk >= settings.distiller_threshold:
        return "distiller"
    if risk >= settings.suspicious_threshold:
        return "suspicious"
    return "benign"


def family_weights(signals: Iterable[Signal]) -> dict[str, float]:
    """Noisy-OR of the weights inside each evidence family (meta notes excluded)."""
    grouped: dict[str, list[float]] = defaultdict(list)
    for signal in signals:
        if signal.family != META_FAMILY:
            grouped[signal.family].append(signal.weight)
    return {family: noisy_or(weights) for family, weights in grouped.items()}


def strong_families(signals: Iterable[Signal], settings: Settings) -> tuple[str, ...]:
    """Families whose combined weight counts as strong evidence, in :data:`FAMILIES` order."""
    weights = family_weights(signals)
    return tuple(f for f in FAMILIES if weights.get(f, 0.0) >= settings.corroboration_min_weight)


def below_distiller(settings: Settings) -> float:
    """The highest risk an uncorroborated account may carry: just under the distiller threshold."""
    return max(settings.suspicious_threshold, settings.distiller_threshold - 1e-4)


def corroborate(signals: Sequence[Signal], settings: Settings) -> tuple[float, list[Signal]]:
    """Risk and trace after the corroboration rule; the trace gains a note when the risk was capped."""
    risk = risk_of(signals)
    if risk < settings.distiller_threshold:
        return risk, list(signals)
    strong = strong_families(signals, settings)
    if len(strong) >= settings.corroboration_families:
        return risk, list(signals)
    named = ", ".join(strong) or "none"
    why = (
        f"risk {risk:.2f} capped below distiller: strong evidence from {len(strong)} family ({named}), "
        f"{settings.corroboration_families} needed"
    )
    return min(risk, below_distiller(settings)), [*signals, note(VERDICT_SOURCE, "uncorroborated", named, why)]


def families_note(signals: Sequence[Signal], settings: Settings) -> Signal | None:
    """A weightless trace entry naming the strong families behind a distiller verdict."""
    strong = strong_families(signals, settings)
    if not strong:
        return None
    return note(VERDICT_SOURCE, "families", "+".join(strong), "evidence families with strong evidence")
