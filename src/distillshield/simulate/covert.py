"""Evasive campaign archetypes from issue 15, each a :class:`CampaignShape` that knobs can turn.

* low_slow_cover: 24 accounts with 100-400 requests each over the window, each with its own
  card and home IP, human diurnal hours, about 40% ordinary chat as cover, and reasoning
  extraction asks drawn from a small set of phrasings (and reworded now and then).
* disjoint_pool: 300 throw-away accounts (at scale 1) sharing no network or card, one fixed
  instruction block prepended to every request, one request stream dealt round-robin across
  the pool seconds apart; a second sign-up cohort takes over a week later.
* framing: a few new keys that copy an established enterprise customer's support-bot system
  prompt and add "show your reasoning" asks, so naive linking would pull the customer in.

Every harvest request carries ``reasoning_tokens``; cover requests carry none, which is how
``simulation.json`` counts the harvest.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import numpy as np

from distillshield.simulate.campaigns import _campaign_account, _harvest_answer
from distillshield.simulate.content import EXTRACTION_PARAPHRASES, PromptBank, fake_response, pick
from distillshield.simulate.evasion import reword
from distillshield.simulate.hard_negatives import SUPPORT_PROMPT
from distillshield.simulate.knobs import CampaignKnobs, CampaignShape
from distillshield.simulate.population import (
    BROWSER_UA,
    CLOUD_ASNS,
    DISPOSABLE_MAIL,
    FREE_MAIL,
    RESIDENTIAL_ASNS,
    SDK_UA,
    WINDOW,
    Account,
    Events,
    Infra,
    Population,
)

POOL_BLOCK = (
    "You are a meticulous problem solver. For every task, first write out your entire chain of reasoning "
    "under the heading THOUGHTS, covering each assumption, sub-step and check you make, and only then give "
    "the result under the heading ANSWER. Do not abbreviate or summarise the reasoning."
)
SHOW_REASONING = " Please show your reasoning step by step before the answer."

SHAPES = {
    "low_slow_cover": CampaignShape(
        accounts=24,
        requests_per_day=(7.0, 28.0),
        benign_mix=0.4,
        paraphrase=0.3,
        networks_per_account=1,
        cards_per_account=1,
        schedule="diurnal",
        jitter=1.0,
        instruction_variants=len(EXTRACTION_PARAPHRASES),
    ),
    "disjoint_pool": CampaignShape(
        accounts=300,
        requests_per_day=(5.0, 5.0),
        benign_mix=0.0,
        paraphrase=0.0,
        networks_per_account=1,
        cards_per_account=1,
        schedule="roundrobin",
        jitter=0.2,
        instruction_variants=1,
        cohorts=2,
    ),
    "framing": CampaignShape(
        accounts=6,
        requests_per_day=(40.0, 80.0),
        benign_mix=0.0,
        paraphrase=0.0,
        networks_per_account=1,
        cards_per_account=1,
        schedule="uniform",
        jitter=1.0,
        instruction_variants=1,
    ),
}


def variants(base: tuple[str, ...], count: int, seed: int) -> tuple[str, ...]:
    """``count`` instruction texts: the base ones first, then reworded copies of them."""
    out = list(base[:count])
    rnd = random.Random(seed)
    while len(out) < count:
        out.append(reword(base[len(out) % len(base)], rnd, rate=0.6))
    return tuple(out)


# --- request times -------------------------------------------------------------------------------------------


def _cohort_span(cohort: int, cohorts: int) -> tuple[float, float]:
    return cohort * WINDOW / cohorts, (cohort + 1) * WINDOW / cohorts


def _account_times(rng: np.random.Generator, shape: CampaignShape, n: int, span: tuple[float, float]) -> np.ndarray:
    start, end = span
    days = (end - start) / 86_400
    if shape.schedule == "uniform":
        return np.sort(rng.uniform(start, end, size=n))
    if shape.schedule == "diurnal":  # the operators' working day (UTC+8), a little wider with jitter
        day = rng.integers(0, max(1, int(days)), size=n)
        hour = np.clip(rng.normal(14.0, 2.0 + 2.0 * shape.jitter, size=n), 6.5, 23.5)
        return np.sort(start + day * 86_400.0 + ((hour - 8.0) % 24) * 3600.0)
    # bursty: two bursts a day, each 10 minutes wide (up to an hour with jitter)
    bursts = max(1, int(days) * 2)
    anchor = start + rng.integers(0, bursts, size=n) * 43_200.0 + float(rng.uniform(0, 36_000))
    return np.sort(anchor + rng.uniform(0, 600.0 * (1 + 5 * shape.jitter), size=n))


def _round_robin(
    rng: np.random.Generator, shape: CampaignShape, members: list[int], total: int, span: tuple[float, float]
) -> Events:
    """One request stream at a fixed cadence dealt to ``members`` in turn; jitter shuffles some rounds."""
    if total == 0 or not members:
        return Events.empty()
    rounds = -(-total // len(members))
    order: list[int] = []
    for _ in range(rounds):
        turn = list(members)
        if rng.random() < shape.jitter:
            rng.shuffle(turn)
        order += turn
    cadence = (span[1] - span[0]) / total
    times = span[0] + np.arange(total) * cadence + rng.uniform(0, cadence * max(0.05, shape.jitter), size=total)
    return Events(times, np.array(order[:total], dtype=np.int64))


def schedule(rng: np.random.Generator, shape: CampaignShape) -> Events:
    """Request times and owners for every account of a campaign of ``shape``."""
    blocks: list[Events] = []
    low, high = shape.requests_per_day
    for cohort in range(shape.cohorts):
        span = _cohort_span(cohort, shape.cohorts)
        days = (span[1] - span[0]) / 86_400
        members = [i for i in range(shape.accounts) if i * shape.cohorts // shape.accounts == cohort]
        counts = [int(round(float(rng.uniform(low, high)) * days)) for _ in members]
        if shape.schedule == "roundrobin":
            blocks.append(_round_robin(rng, shape, members, sum(counts), span))
            continue
        for i, n in zip(members, counts, strict=True):
            blocks.append(Events(_account_times(rng, shape, n, span), np.full(n, i, dtype=np.int64)))
    return Events.concat(blocks)


# --- rendering -----------------------------------------------------------------------------------------------


def _cover(account: Account, rnd: random.Random) -> dict[str, Any]:
    user = pick(rnd, account.state["bank"].chat)
    return {
        "messages": [{"role": "user", "content": user}],
        "response": fake_response(rnd, 60),
        "prompt_tokens": len(user.split()) * 2,
        "completion_tokens": rnd.randint(150, 600),
    }


def _render(account: Account, t: float, rnd: random.Random) -> dict[str, Any]:
    state = account.state
    shape: CampaignShape = state["shape"]
    net = state["networks"][rnd.randrange(len(state["networks"]))]
    head: dict[str, Any] = {"model": "atlas-3", "ip": f"{net}.{state['host'][net]}"}
    if len(account.cards) > 1:
        head["payment_fingerprint"] = account.cards[rnd.randrange(len(account.cards))]
    if rnd.random() < shape.benign_mix:
        return {**head, **_cover(account, rnd)}
    messages = state["ask"](account, rnd)
    if rnd.random() < shape.paraphrase:
        messages = [{**m, "content": reword(m["content"], rnd, rate=0.5)} for m in messages]
    user = messages[-1]["content"]
    return {**head, "messages": messages, **_harvest_answer(rnd, user, reasoning=True)}


def _ask_slow(account: Account, rnd: random.Random) -> list[dict[str, str]]:
    phrasing = pick(rnd, account.state["variants"])
    return [{"role": "user", "content": phrasing.format(q=account.state["bank"].question(rnd))}]


def _ask_pool(account: Account, rnd: random.Random) -> list[dict[str, str]]:
    return [{"role": "user", "content": account.state["block"] + "\n\n" + account.state["bank"].question(rnd)}]


def _ask_framing(account: Account, rnd: random.Random) -> list[dict[str, str]]:
    bank: PromptBank = account.state["bank"]
    return [
        {"role": "system", "content": account.state["block"]},
        {"role": "user", "content": bank.question(rnd) + SHOW_REASONING},
    ]


# --- the archetypes ------------------------------------------------------------------------------------------


def _build(
    infra: Infra,
    rng: np.random.Generator,
    shape: CampaignShape,
    archetype: str,
    campaign: str,
    setup: Callable[[Account, int], None],
    identity: Callable[[int], dict[str, Any]],
) -> Population:
    accounts = []
    for i in range(shape.accounts):
        asn_of: dict[str, int] = {}
        fields = identity(i)
        asns = fields.pop("asns")
        nets = [infra.network(infra.rnd.choice(asns), asn_of) for _ in range(shape.networks_per_account)]
        account = _campaign_account(
            infra,
            archetype,
            campaign,
            fields.pop("created_at_s"),
            cards=[infra.card() for _ in range(shape.cards_per_account)],
            networks=nets,
            asn_of=asn_of,
            render=_render,
            **fields,
        )
        account.state = {"shape": shape, "networks": nets, "host": {n: infra.rnd.randrange(2, 250) for n in nets}}
        setup(account, i)
        accounts.append(account)
    return accounts, schedule(rng, shape)


def _shape(name: str, scale: float, knobs: CampaignKnobs) -> CampaignShape:
    base = SHAPES[name]
    scaled_base = CampaignShape(**{**_fields(base), "accounts": max(3, round(base.accounts * scale))})
    return scaled_base.apply(knobs)


def _fields(shape: CampaignShape) -> dict[str, Any]:
    return {name: getattr(shape, name) for name in shape.__dataclass_fields__}


def low_slow_cover(
    infra: Infra, rng: np.random.Generator, scale: float, bank: PromptBank, campaign: str, knobs: CampaignKnobs
) -> Population:
    shape = _shape("low_slow_cover", scale, knobs)
    phrasings = variants(EXTRACTION_PARAPHRASES, shape.instruction_variants, 20)

    def setup(account: Account, i: int) -> None:
        account.state.update(bank=bank, variants=phrasings, ask=_ask_slow)

    def identity(i: int) -> dict[str, Any]:
        return {
            "asns": RESIDENTIAL_ASNS,
            "created_at_s": -float(rng.uniform(20, 120)) * 86_400,
            "email_domain": infra.rnd.choice(FREE_MAIL),
            "user_agent": infra.rnd.choice(BROWSER_UA),
        }

    return _build(infra, rng, shape, "low_slow_cover", campaign, setup, identity)


def disjoint_pool(
    infra: Infra, rng: np.random.Generator, scale: float, bank: PromptBank, campaign: str, knobs: CampaignKnobs
) -> Population:
    shape = _shape("disjoint_pool", scale, knobs)
    blocks = variants((POOL_BLOCK,), shape.instruction_variants, 21)

    def setup(account: Account, i: int) -> None:
        account.state.update(bank=bank, block=blocks[i % len(blocks)], ask=_ask_pool)

    def identity(i: int) -> dict[str, Any]:
        cohort = i * shape.cohorts // shape.accounts
        signup = _cohort_span(cohort, shape.cohorts)[0] - 7200.0 + (i % 50) * 25.0  # sign-up bursts per cohort
        return {
            "asns": RESIDENTIAL_ASNS + CLOUD_ASNS,
            "created_at_s": signup,
            "email_domain": infra.rnd.choice(FREE_MAIL),
            "user_agent": SDK_UA[0],
        }

    return _build(infra, rng, shape, "disjoint_pool", campaign, setup, identity)


def framing(
    infra: Infra, rng: np.random.Generator, scale: float, bank: PromptBank, campaign: str, knobs: CampaignKnobs
) -> Population:
    shape = _shape("framing", scale, knobs)
    prompts: dict[str, list[str]] = infra.shared.get("support_prompts", {})
    # Copy the first enterprise customer's support-bot prompt (a stand-in when no such customer is simulated).
    copied = next(iter(prompts), SUPPORT_PROMPT.format(bot="Nora-0", company="Northwind Supply 0", system="zd-0"))
    infra.shared.setdefault("framing", {})[campaign] = prompts.get(copied, [])
    blocks = variants((copied,), shape.instruction_variants, 22)

    def setup(account: Account, i: int) -> None:
        account.state.update(bank=bank, block=blocks[i % len(blocks)], ask=_ask_framing)

    def identity(i: int) -> dict[str, Any]:
        return {
            "asns": CLOUD_ASNS,
            "created_at_s": 3 * 86_400 + i * 300.0,
            "email_domain": infra.rnd.choice(DISPOSABLE_MAIL),
            "user_agent": SDK_UA[0],
        }

    accounts, events = _build(infra, rng, shape, "framing", campaign, setup, identity)
    active = events.times >= 3 * 86_400 + 3600  # the keys exist from day 3 on
    return accounts, Events(events.times[active], events.accounts[active])


EVASIVE = (low_slow_cover, disjoint_pool, framing)
