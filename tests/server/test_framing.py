"""Framing through the gateway: copycat keys of a customer's system prompt are refused, the customer is served."""

from __future__ import annotations

import time
from collections import Counter

import openai

from distillshield.respond.policy import Policy, RiskRule, Tier
from distillshield.server.app import GatewayConfig
from tests.detect.test_framing import ASK, SUPPORT

from .helpers import gateway_server, keyring, stub_server

COPYCATS = [f"copy{a}" for a in range(6)]
#: Blocks a corroborated campaign early: six fresh keys behind one system prompt are coordination plus
#: infrastructure evidence (about 0.6) before their content is counted.
POLICY = Policy(
    tiers={t: Tier(t, 1000, None) for t in ("new", "enterprise")},
    risk=(RiskRule(0.55, "block"),),
    default_tier="new",
)


def test_the_customer_keeps_being_served_and_the_copycats_are_refused() -> None:
    now = time.time()
    accounts = {"customer": {"tier": "enterprise", "created_at": now - 400 * 86400, "payment_fingerprint": "c-cust"}}
    accounts |= {c: {"tier": "new", "created_at": now - 3600, "payment_fingerprint": f"c-{c}"} for c in COPYCATS}
    outcomes: dict[str, Counter[int]] = {a: Counter() for a in accounts}
    late: dict[str, list[int]] = {a: [] for a in accounts}
    with (
        stub_server(delay_s=0.0) as (stub_url, _),
        gateway_server(GatewayConfig(upstream_url=stub_url, keys=keyring(accounts), policy=POLICY)) as gw,
    ):
        clients = {a: openai.OpenAI(base_url=f"{gw.url}/v1", api_key=f"sk-{a}", max_retries=0) for a in accounts}
        rounds = 12
        for n in range(rounds):
            for account, client in clients.items():
                ask = f"Where is my order {1000 + n}?" if account == "customer" else f"{ASK} Question {n}: why?"
                status = _send(client, ask)
                outcomes[account][status] += 1
                if n >= rounds - 3:
                    late[account].append(status)
            gw.drain()
    assert outcomes["customer"] == Counter({200: rounds}), outcomes
    for copycat in COPYCATS:
        assert all(status == 403 for status in late[copycat]), (copycat, outcomes[copycat])


def _send(client: openai.OpenAI, question: str) -> int:
    messages = [{"role": "system", "content": SUPPORT}, {"role": "user", "content": question}]
    try:
        client.chat.completions.create(model="stub-model", messages=messages)  # type: ignore[arg-type]
    except openai.APIStatusError as error:
        return error.status_code
    return 200
