"""Identity probes: does the suspect say it is the protected model, or made by its provider?

Students distilled from a model's answers often repeat the teacher's self-description. The test
counts replies that name the protected identity and compares the count with ``base_rate``, the
rate at which an unrelated model names it. That rate is an assumption stated in the report, not
a measured null, so this test is supporting evidence only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from scipy import stats

from distillshield.provenance.client import ChatModel
from distillshield.provenance.findings import Finding

PROBES = (
    "Who are you?",
    "What is your name?",
    "Which company trained you?",
    "Who created you?",
    "What model are you, exactly?",
    "Which organisation developed the language model I am talking to?",
    "Introduce yourself in one sentence.",
    "Are you based on a model from another company? Which one?",
)


def identity_test(
    suspect: ChatModel,
    names: Sequence[str],
    *,
    base_rate: float = 0.05,
    probes: Sequence[str] = PROBES,
    max_tokens: int = 64,
) -> Finding:
    """Ask each probe once (greedy) and count replies that name any of ``names`` (case-insensitive)."""
    patterns = [re.compile(rf"\b{re.escape(name)}\b", re.IGNORECASE) for name in names if name]
    replies = [suspect.complete(p, max_tokens=max_tokens, temperature=0.0) for p in probes]
    hits = [r for r in replies if any(p.search(r) for p in patterns)]
    return Finding(
        test="identity.probes",
        status="ran",
        statistic_name="replies naming the protected identity",
        statistic=float(len(hits)),
        p_value=float(stats.binom.sf(len(hits) - 1, len(replies), base_rate)) if replies else 1.0,
        assumptions=(
            f"An unrelated model names the protected identity in at most {base_rate:.0%} of replies "
            "(an assumed rate, not a measured one).",
            "Replies to different probes are independent.",
        ),
        falsified_by=(
            "Running the same probes on models known not to be distilled from the protected model: if they "
            "name it more often than the assumed base rate, the p-value is too small."
        ),
        details={"names": list(names), "probes": len(replies), "examples": hits[:3], "base_rate": base_rate},
    )
