"""Actions the gateway takes on a request, and how one is chosen.

Three things can ask for an action: an administrator's override, the account's
risk (through the policy's risk rules) and the tier's budgets. The most severe
one wins, so a budget can never loosen what risk demands and vice versa. Every
decision carries its reason, which the gateway logs with the request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

Action = Literal["allow", "shadow", "withhold_reasoning", "throttle", "step_up", "block"]

#: Every action, least severe first (the order decides which of two actions wins).
ACTIONS: tuple[str, ...] = get_args(Action)

#: HTTP status, OpenAI error ``type`` and machine-readable ``code`` of each refusing action.
REFUSALS: dict[str, tuple[int, str, str]] = {
    "throttle": (429, "rate_limit_error", "rate_limit_exceeded"),
    "step_up": (403, "permission_error", "verification_required"),
    "block": (403, "permission_error", "account_blocked"),
}


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do with one request, and why."""

    action: Action
    reason: str
    risk: float = 0.0
    retry_after_s: int | None = None

    @property
    def refuses(self) -> bool:
        return self.action in REFUSALS

    @property
    def learns(self) -> bool:
        """Only traffic that was served normally may teach the account's running features."""
        return self.action in ("allow", "shadow")


ALLOW = Decision("allow", "no rule applies")


def severity(action: str) -> int:
    return ACTIONS.index(action)


def most_severe(*decisions: Decision | None) -> Decision:
    """The most severe of the candidate decisions (the first one on a tie); ALLOW when there are none."""
    best = ALLOW
    for decision in decisions:
        if decision is not None and severity(decision.action) > severity(best.action):
            best = decision
    return best
