"""Standing: links alone never escalate a protected account; its own evidence still does."""

from __future__ import annotations

from distillshield.orgs import ConfirmedBenign, KnownOrganisations, Organisation
from distillshield.respond.decide import judge
from distillshield.respond.identity import Identity
from distillshield.respond.online import Score, Snapshot
from distillshield.respond.policy import DEFAULT_POLICY
from distillshield.respond.standing import Standing, below_escalation
from distillshield.respond.state import AccountView

NOW = 1_800_000_000.0
KNOWN = KnownOrganisations(
    (Organisation("Example lab", "standard", frozenset({"lab-1"})),), {"vendor": ConfirmedBenign("vendor", 0.9)}
)


def test_why_an_account_is_protected() -> None:
    standing = Standing(KNOWN, established_age_days=30)
    assert standing.protection(Identity("vendor", "k"), NOW) == "confirmed benign by an analyst"
    assert standing.protection(Identity("lab-1", "k"), NOW) == "known organisation Example lab"
    assert standing.protection(Identity("x", "k", tier="enterprise"), NOW) == "enterprise tier"
    assert "established" in str(standing.protection(Identity("x", "k", created_at=NOW - 40 * 86400), NOW))
    assert standing.protection(Identity("x", "k", tier="new", created_at=NOW - 3600), NOW) is None
    assert standing.protection(Identity("x", "k"), NOW) is None, "unknown age is not established"


def test_a_campaign_cannot_escalate_a_protected_account_but_its_own_score_can() -> None:
    view = AccountView(0, 0, Snapshot(), campaign_id="C1", campaign_risk=0.99)
    quiet, loud = Score(0.0, ()), Score(0.97, ())
    identity = Identity("acct", "k", tier="verified")
    unprotected = judge(DEFAULT_POLICY, identity, view, quiet, NOW)
    assert unprotected.decision.action == "block"
    protected = judge(DEFAULT_POLICY, identity, view, quiet, NOW, protected="verified tier")
    assert protected.risk == below_escalation(DEFAULT_POLICY)
    assert protected.decision.action not in ("block", "step_up")
    assert "capped: verified tier" in protected.decision.reason
    own = judge(DEFAULT_POLICY, identity, view, loud, NOW, protected="verified tier")
    assert own.decision.action == "block", "its own requests still count in full"
