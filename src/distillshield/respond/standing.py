"""An account's standing: what protects it from being blocked or challenged on links alone.

Content an outsider can copy (a customer's support-bot system prompt, its
User-Agent string) links the copier to the customer. The scan never lets such a
link join an established account to younger ones; the gateway adds this: links
alone never raise a protected account to a step-up or a block. An account is
protected when an analyst confirmed it benign, when it belongs to a known
organisation, when its tier is ``verified`` or ``enterprise``, or when it is at
least ``established_age_days`` old. Its own requests still count in full: a
protected account that starts harvesting is scored, throttled and blocked on its
own evidence like any other.
"""

from __future__ import annotations

from dataclasses import dataclass

from distillshield.orgs import PROTECTED_TIERS, KnownOrganisations
from distillshield.respond.identity import Identity
from distillshield.respond.policy import Policy

#: Actions that links alone never bring on a protected account.
ESCALATIONS = frozenset({"step_up", "block"})


@dataclass(frozen=True, slots=True)
class Standing:
    known: KnownOrganisations = KnownOrganisations()
    established_age_days: float = 30.0

    def protection(self, identity: Identity, now: float) -> str | None:
        """Why links alone must not escalate this account, or None."""
        account = identity.account_id
        if account in self.known.confirmed:
            return "confirmed benign by an analyst"
        org = self.known.organisation_of(account)
        if org is not None:
            return f"known organisation {org.name}"
        if identity.tier in PROTECTED_TIERS:
            return f"{identity.tier} tier"
        if identity.created_at is not None and now - identity.created_at >= self.established_age_days * 86400:
            return f"established account ({(now - identity.created_at) / 86400:.0f} days)"
        return None


def below_escalation(policy: Policy) -> float:
    """The highest risk that no step-up or block rule of ``policy`` reaches."""
    thresholds = [rule.min_risk for rule in policy.risk if rule.action in ESCALATIONS]
    return max(0.0, min(thresholds) - 1e-4) if thresholds else 1.0
