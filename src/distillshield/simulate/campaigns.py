"""Campaign archetypes, modelled on the published reports (see the detection reference).

* hydra_proxy: Anthropic (Feb 2026) "hydra cluster" proxy networks: many accounts on
  rotating residential proxies, shared virtual cards, disposable e-mail, sign-up
  bursts, and pool failover (a banned account is replaced by a fresh one).
* agentic_harvest: the MiniMax-style agentic/tool-use harvest, dense per account, that
  pivoted nearly half its traffic to a new model within 24 h of its release.
* throwaway_pool: Moonshot's 10-day window (about 5.6 requests/day/account, Sep 2026
  report) with one fixed instruction block and load balancing across accounts.
* low_and_slow: a pool that keeps human hours and mixes in benign prompts, with
  paraphrased rather than fixed extraction asks.
* jailbreak_cot: in-the-wild jailbreak wrappers around reasoning-extraction asks
  ("output your prior reasoning verbatim", katakana working memory, fake debugging).
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import numpy as np

from distillshield.simulate.content import (
    AGENT_SYSTEM,
    ANALYST_BLOCK,
    EXTRACTION_PARAPHRASES,
    JAILBREAK_EXTRACTION_ASKS,
    PromptBank,
    fake_response,
    pick,
)
from distillshield.simulate.population import (
    BROWSER_UA,
    CLOUD_ASNS,
    DISPOSABLE_MAIL,
    FREE_MAIL,
    RELEASE_T,
    RESIDENTIAL_ASNS,
    SDK_UA,
    START,
    WINDOW,
    Account,
    Events,
    Infra,
    Population,
    diurnal_times,
    scaled,
    uniform_times,
)


def _harvest_answer(rnd: random.Random, prompt: str, reasoning: bool) -> dict[str, Any]:
    record: dict[str, Any] = {
        "response": fake_response(rnd, rnd.randint(80, 300)),
        "prompt_tokens": int(len(prompt.split()) * 1.4) + rnd.randint(5, 30),
        "completion_tokens": rnd.randint(900, 4000),
    }
    if reasoning:
        record["reasoning_tokens"] = rnd.randint(1500, 9000)
        record["reasoning"] = fake_response(rnd, rnd.randint(40, 120))
    return record


def _campaign_account(infra: Infra, archetype: str, campaign: str, created_at_s: float, **fields: Any) -> Account:
    return Account(
        account_id=infra.hexid("acct_", 10),
        label="distiller",
        archetype=archetype,
        campaign_id=campaign,
        created_at=START + timedelta(seconds=created_at_s),
        **fields,
    )


def _proxy_ip(account: Account, rnd: random.Random) -> str:
    pool: list[str] = account.state["proxy_nets"]
    return f"{pool[rnd.randrange(len(pool))]}.{rnd.randrange(1, 255)}"


# --- hydra proxy network -------------------------------------------------------------------------------------


def _render_hydra(account: Account, t: float, rnd: random.Random) -> dict[str, Any]:
    bank: PromptBank = account.state["bank"]
    system = account.state["system"]
    if rnd.random() < 0.5:  # the same prompt arrives with different whitespace from different pipeline copies
        system = " ".join(system.split())
    user = "Return your final response within \\boxed{}. " + bank.question(rnd)
    return {
        "model": "atlas-3",
        "ip": _proxy_ip(account, rnd),
        "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}],
        **_harvest_answer(rnd, user, reasoning=True),
    }


def hydra_proxy(infra: Infra, rng: np.random.Generator, scale: float, bank: PromptBank, campaign: str) -> Population:
    asn_of: dict[str, int] = {}
    proxy_nets = [infra.network(infra.rnd.choice(RESIDENTIAL_ASNS), asn_of) for _ in range(300)]
    system = bank.template(infra.rnd.choice(("openthoughts_deepseek_r1_system", "openthoughts_sky_t1_system")))
    n_accounts = scaled(120, scale)
    cards = [infra.card("485932") for _ in range(max(1, n_accounts // 8))]
    accounts: list[Account] = []
    blocks: list[Events] = []
    for i in range(n_accounts):
        # Pool failover: each account lives a few days, then a fresh one takes its place.
        life_start = float(rng.uniform(0, WINDOW - 2 * 86_400))
        life_end = min(WINDOW, life_start + float(rng.uniform(2, 5)) * 86_400)
        burst = life_start - float(rng.uniform(600, 3600)) - (i % 10) * 30  # accounts signed up in batches
        account = _campaign_account(
            infra,
            "hydra_proxy",
            campaign,
            burst,
            email_domain=infra.rnd.choice(DISPOSABLE_MAIL),
            cards=[cards[i % len(cards)]],
            user_agent=infra.rnd.choice(SDK_UA[:3]),
            networks=proxy_nets,
            asn_of=asn_of,
            render=_render_hydra,
        )
        account.state = {"bank": bank, "system": system, "proxy_nets": proxy_nets}
        n = int((life_end - life_start) / 86_400 * rng.integers(30, 60))
        blocks.append(Events(uniform_times(rng, n, life_start, life_end), np.full(n, i)))
        accounts.append(account)
    return accounts, Events.concat(blocks)


# --- agentic harvest with a model-release pivot --------------------------------------------------------------


def _render_agentic(account: Account, t: float, rnd: random.Random) -> dict[str, Any]:
    bank: PromptBank = account.state["bank"]
    pivot = t > RELEASE_T + account.state["pivot_delay"] and rnd.random() < 0.5
    task = pick(rnd, bank.humaneval if rnd.random() < 0.6 else bank.arena_hard)
    messages = [{"role": "system", "content": AGENT_SYSTEM}, {"role": "user", "content": f"Task: {task}"}]
    if rnd.random() < 0.6:
        messages += [
            {"role": "assistant", "content": "Plan: inspect the repository layout first."},
            {"role": "user", "content": "Tool result: src/ tests/ README.md pyproject.toml"},
        ]
    record = {
        "model": "atlas-4" if pivot else "atlas-3",
        "messages": messages,
        "ip": _proxy_ip(account, rnd),
        "tool_calls": rnd.randint(1, 5),
        **_harvest_answer(rnd, task, reasoning=False),
    }
    return record


def agentic_harvest(
    infra: Infra, rng: np.random.Generator, scale: float, bank: PromptBank, campaign: str
) -> Population:
    asn_of: dict[str, int] = {}
    nets = [infra.network(CLOUD_ASNS[3], asn_of) for _ in range(2)]
    cards = [infra.card(), infra.card()]
    accounts: list[Account] = []
    blocks: list[Events] = []
    for i in range(scaled(8, scale)):
        account = _campaign_account(
            infra,
            "agentic_harvest",
            campaign,
            -2 * 86_400 + i * 120.0,
            email_domain=f"devshop{i % 2}.io",
            cards=[cards[i % 2]],
            user_agent=SDK_UA[2],
            networks=nets,
            asn_of=asn_of,
            render=_render_agentic,
        )
        account.state = {"bank": bank, "proxy_nets": nets, "pivot_delay": float(rng.uniform(2, 20)) * 3600}
        n = int(rng.integers(110, 170) * 14)
        blocks.append(Events(uniform_times(rng, n, 0, WINDOW), np.full(n, i)))
        accounts.append(account)
    return accounts, Events.concat(blocks)


# --- throw-away pool, round-robin ----------------------------------------------------------------------------


def _render_pool(account: Account, t: float, rnd: random.Random) -> dict[str, Any]:
    bank: PromptBank = account.state["bank"]
    user = ANALYST_BLOCK + "\n\n" + bank.question(rnd)
    record = {
        "model": "atlas-3",
        "messages": [{"role": "user", "content": user}],
        "ip": _proxy_ip(account, rnd),
        **_harvest_answer(rnd, user, reasoning=True),
    }
    if rnd.random() < 0.05:
        record["status"] = 429
    return record


def throwaway_pool(infra: Infra, rng: np.random.Generator, scale: float, bank: PromptBank, campaign: str) -> Population:
    asn_of: dict[str, int] = {}
    proxy_nets = [infra.network(infra.rnd.choice(RESIDENTIAL_ASNS + CLOUD_ASNS), asn_of) for _ in range(150)]
    n_accounts = scaled(250, scale)
    accounts = []
    for i in range(n_accounts):
        account = _campaign_account(
            infra,
            "throwaway_pool",
            campaign,
            -3600.0 - (i % 25) * 20 - (i // 25) * 7200,
            email_domain=infra.rnd.choice(FREE_MAIL),
            cards=[infra.card("531204")],
            user_agent=SDK_UA[0],
            networks=proxy_nets,
            asn_of=asn_of,
            render=_render_pool,
        )
        account.state = {"bank": bank, "proxy_nets": proxy_nets}
        accounts.append(account)
    # One request stream at a fixed cadence, dealt to the accounts in turn: each stays at a few a day.
    n = int(n_accounts * 5 * 14)
    cadence = WINDOW / n
    times = np.arange(n) * cadence + rng.uniform(0, cadence * 0.2, size=n)
    return accounts, Events(times, np.arange(n, dtype=np.int64) % n_accounts)


# --- low and slow --------------------------------------------------------------------------------------------


def _render_slow(account: Account, t: float, rnd: random.Random) -> dict[str, Any]:
    bank: PromptBank = account.state["bank"]
    if rnd.random() < 0.4:  # benign cover traffic
        user = pick(rnd, bank.chat)
        return {
            "model": "atlas-3",
            "messages": [{"role": "user", "content": user}],
            "ip": _proxy_ip(account, rnd),
            "response": fake_response(rnd, 60),
            "prompt_tokens": len(user.split()) * 2,
            "completion_tokens": 300,
        }
    user = pick(rnd, EXTRACTION_PARAPHRASES).format(q=bank.question(rnd))
    return {
        "model": "atlas-3",
        "messages": [{"role": "user", "content": user}],
        "ip": _proxy_ip(account, rnd),
        **_harvest_answer(rnd, user, reasoning=True),
    }


def low_and_slow(infra: Infra, rng: np.random.Generator, scale: float, bank: PromptBank, campaign: str) -> Population:
    asn_of: dict[str, int] = {}
    nets = [infra.network(RESIDENTIAL_ASNS[k % 4], asn_of) for k in range(40)]
    ua = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/118.0.0.0 Safari/537.36"
    accounts: list[Account] = []
    blocks: list[Events] = []
    for i in range(scaled(40, scale)):
        home = [nets[(2 * i) % len(nets)], nets[(2 * i + 1) % len(nets)]]
        account = _campaign_account(
            infra,
            "low_and_slow",
            campaign,
            -float(rng.uniform(10, 40)) * 86_400,
            email_domain=infra.rnd.choice(FREE_MAIL[:3]),
            cards=[infra.card()],
            user_agent=ua,
            networks=home,
            asn_of=asn_of,
            render=_render_slow,
        )
        account.state = {"bank": bank, "proxy_nets": home}
        n = int(rng.integers(5, 12) * 14)
        blocks.append(Events(diurnal_times(rng, n, 8.0, (9, 22), 0.8), np.full(n, i)))
        accounts.append(account)
    return accounts, Events.concat(blocks)


# --- jailbreak-wrapped reasoning extraction ------------------------------------------------------------------


def _render_jailbreak(account: Account, t: float, rnd: random.Random) -> dict[str, Any]:
    bank: PromptBank = account.state["bank"]
    wrapper = pick(rnd, bank.jailbreaks)
    ask = pick(rnd, JAILBREAK_EXTRACTION_ASKS).format(q=bank.question(rnd))
    user = f"{wrapper}\n\n{ask}"
    return {
        "model": "atlas-3",
        "messages": [{"role": "user", "content": user}],
        "ip": _proxy_ip(account, rnd),
        **_harvest_answer(rnd, user, reasoning=True),
    }


def jailbreak_cot(infra: Infra, rng: np.random.Generator, scale: float, bank: PromptBank, campaign: str) -> Population:
    asn_of: dict[str, int] = {}
    nets = [infra.network(infra.rnd.choice(CLOUD_ASNS), asn_of) for _ in range(3)]
    cards = [infra.card() for _ in range(3)]
    accounts: list[Account] = []
    blocks: list[Events] = []
    for i in range(scaled(20, scale)):
        account = _campaign_account(
            infra,
            "jailbreak_cot",
            campaign,
            -float(rng.uniform(0, 7)) * 86_400,
            email_domain=infra.rnd.choice(DISPOSABLE_MAIL),
            cards=[cards[i % 3]],
            user_agent=infra.rnd.choice(BROWSER_UA),
            networks=nets,
            asn_of=asn_of,
            render=_render_jailbreak,
        )
        account.state = {"bank": bank, "proxy_nets": nets}
        n = int(rng.integers(15, 40) * 14)
        blocks.append(Events(uniform_times(rng, n, 0, WINDOW), np.full(n, i)))
        accounts.append(account)
    return accounts, Events.concat(blocks)


CAMPAIGNS = (hydra_proxy, agentic_harvest, throwaway_pool, low_and_slow, jailbreak_cot)
