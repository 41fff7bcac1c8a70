"""Benign populations, including the hard negatives real providers see.

Templated app backends run 24/7 from shared cloud ranges; research labs run
benchmark sweeps with step-by-step prompts, lab mates sharing a card and a /24;
enterprises put many end users behind one egress and one corporate card;
students ask for step-by-step explanations from a shared university /24.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import numpy as np

from distillshield.simulate.content import LAB_WRAPPERS, STUDENT_ASKS, PromptBank, fake_response, pick
from distillshield.simulate.population import (
    BROWSER_UA,
    CLOUD_ASNS,
    FREE_MAIL,
    RELEASE_T,
    RESIDENTIAL_ASNS,
    SDK_UA,
    START,
    UNIVERSITY_ASNS,
    WINDOW,
    Account,
    Events,
    Infra,
    Population,
    diurnal_times,
    scaled,
    uniform_times,
)


def _model(rnd: random.Random, t: float, adopt_days: float = 3.0) -> str:
    """Benign users drift to the new model over a few days after its release."""
    if t > RELEASE_T and rnd.random() < min(0.6, (t - RELEASE_T) / (adopt_days * 86_400)):
        return "atlas-4"
    return "atlas-3-mini" if rnd.random() < 0.3 else "atlas-3"


def _answer(rnd: random.Random, prompt_words: int, long: bool = False) -> dict[str, Any]:
    words = rnd.randint(60, 400) if long else rnd.randint(20, 220)
    return {
        "response": fake_response(rnd, words // 4),
        "prompt_tokens": int(prompt_words * 1.4) + rnd.randint(5, 30),
        "completion_tokens": int(words * 1.3),
    }


def _account(infra: Infra, archetype: str, days_old: tuple[int, int], **fields: Any) -> Account:
    rnd = infra.rnd
    created = START - timedelta(days=rnd.randint(*days_old), seconds=rnd.randrange(86_400))
    fields.setdefault("cards", [infra.card()])
    fields.setdefault("asn_of", {})
    return Account(
        account_id=infra.hexid("acct_", 10),
        label="benign",
        archetype=archetype,
        campaign_id="",
        created_at=created,
        **fields,
    )


# --- casual chat ---------------------------------------------------------------------------------------------


def _render_casual(account: Account, t: float, rnd: random.Random) -> dict[str, Any]:
    bank: PromptBank = account.state["bank"]
    turns = rnd.choice((1, 1, 1, 2, 3, 4))
    messages: list[dict[str, Any]] = []
    for _ in range(turns - 1):
        messages += [
            {"role": "user", "content": pick(rnd, bank.chat)},
            {"role": "assistant", "content": fake_response(rnd, rnd.randint(10, 40))},
        ]
    ask = pick(rnd, bank.chat)
    if rnd.random() < 0.04:
        ask += " Can you explain your reasoning step by step?"
    messages.append({"role": "user", "content": ask})
    net = rnd.choice(account.networks)
    return {
        "model": _model(rnd, t),
        "messages": messages,
        "ip": f"{net}.{account.state['host'][net]}",
        **_answer(rnd, len(ask.split()) * turns),
    }


def casual_chat(infra: Infra, rng: np.random.Generator, scale: float, bank: PromptBank) -> Population:
    accounts: list[Account] = []
    blocks: list[Events] = []
    for i in range(scaled(900, scale, 10)):
        asn_of: dict[str, int] = {}
        nets = [infra.network(infra.rnd.choice(RESIDENTIAL_ASNS), asn_of) for _ in range(infra.rnd.randint(1, 3))]
        account = _account(
            infra,
            "casual_chat",
            (20, 900),
            email_domain=infra.rnd.choice(FREE_MAIL),
            asn_of=asn_of,
            user_agent=infra.rnd.choice(BROWSER_UA + SDK_UA[:1]),
            networks=nets,
            render=_render_casual,
        )
        account.state = {"bank": bank, "host": {n: infra.rnd.randrange(2, 250) for n in nets}}
        n = max(1, int(rng.lognormal(2.6, 0.8)))
        tz = infra.rnd.choice((-8.0, -5.0, 0.0, 1.0, 2.0, 5.5, 8.0, 9.0))
        blocks.append(Events(diurnal_times(rng, n, tz, (9, 23), 1.2), np.full(n, i)))
        accounts.append(account)
    return accounts, Events.concat(blocks)


# --- templated app backends ----------------------------------------------------------------------------------

_APPS = (
    "support desk",
    "recipe planner",
    "travel concierge",
    "legal intake",
    "code review bot",
    "tutoring app",
    "CRM summariser",
    "e-commerce search",
    "HR handbook bot",
    "marketing copy tool",
)


def _render_app(account: Account, t: float, rnd: random.Random) -> dict[str, Any]:
    bank: PromptBank = account.state["bank"]
    content = pick(rnd, bank.chat)
    user = account.state["template"].format(content=content)
    record = {
        "model": account.state["model"],
        "ip": infra_ip(account, rnd),
        "user_id": f"u{rnd.randrange(5000)}",
        "messages": [{"role": "system", "content": account.state["system"]}, {"role": "user", "content": user}],
        **_answer(rnd, len(user.split())),
    }
    if rnd.random() < 0.01:
        record["status"] = 429
    return record


def infra_ip(account: Account, rnd: random.Random) -> str:
    return f"{rnd.choice(account.networks)}.{rnd.randrange(1, 255)}"


def app_backend(infra: Infra, rng: np.random.Generator, scale: float, bank: PromptBank) -> Population:
    # Several unrelated backends share each cloud /24, as on real shared hosting.
    cloud_asn_of: dict[str, int] = {}
    cloud_nets = [infra.network(infra.rnd.choice(CLOUD_ASNS), cloud_asn_of) for _ in range(6)]
    accounts: list[Account] = []
    blocks: list[Events] = []
    for i in range(scaled(20, scale)):
        app = _APPS[i % len(_APPS)]
        system = (
            f"You are the assistant inside a {app} product (tenant {i}). Be concise, friendly and accurate. "
            f"Never reveal internal notes. Reply in plain text under 150 words. Product version 3.{i}."
        )
        net = infra.rnd.choice(cloud_nets)
        account = _account(
            infra,
            "app_backend",
            (60, 900),
            email_domain=f"{app.split()[0]}{i}.io",
            user_agent=infra.rnd.choice(SDK_UA[:3]),
            networks=[net],
            asn_of=dict(cloud_asn_of),
            render=_render_app,
        )
        account.state = {
            "bank": bank,
            "system": system,
            "template": f"[{app}] customer message: {{content}}",
            "model": infra.rnd.choice(("atlas-3", "atlas-3-mini")),
        }
        n = int(rng.integers(40, 120) * 14)
        blocks.append(Events(uniform_times(rng, n, 0, WINDOW), np.full(n, i)))
        accounts.append(account)
    return accounts, Events.concat(blocks)


# --- research labs -------------------------------------------------------------------------------------------


def _render_lab(account: Account, t: float, rnd: random.Random) -> dict[str, Any]:
    bank: PromptBank = account.state["bank"]
    pool = bank.gsm8k if rnd.random() < 0.7 else bank.humaneval
    user = pick(rnd, LAB_WRAPPERS).format(q=pick(rnd, pool))
    record = {
        "model": account.state["model"],
        "messages": [{"role": "user", "content": user}],
        "ip": infra_ip(account, rnd),
        **_answer(rnd, len(user.split()), long=True),
    }
    record["reasoning_tokens"] = rnd.randint(200, 2500)
    return record


def research_lab(infra: Infra, rng: np.random.Generator, scale: float, bank: PromptBank) -> Population:
    accounts: list[Account] = []
    blocks: list[Events] = []
    for lab in range(scaled(8, scale, 2)):
        asn_of: dict[str, int] = {}
        net = infra.network(infra.rnd.choice(UNIVERSITY_ASNS), asn_of)
        card = infra.card()
        domain = f"cs.univ{lab}.edu"
        for _ in range(infra.rnd.randint(3, 6)):
            index = len(accounts)
            account = _account(
                infra,
                "research_lab",
                (30, 700),
                email_domain=domain,
                cards=[card],
                asn_of=asn_of,
                user_agent=infra.rnd.choice(SDK_UA[1:4]),
                networks=[net],
                render=_render_lab,
            )
            account.state = {"bank": bank, "model": infra.rnd.choice(("atlas-3", "atlas-3", "atlas-3-mini"))}
            for _ in range(infra.rnd.randint(2, 5)):  # benchmark sweeps: hundreds of requests in a few hours
                start = float(rng.uniform(0, WINDOW - 8 * 3600))
                n = int(rng.integers(100, 500))
                blocks.append(Events(uniform_times(rng, n, start, start + rng.uniform(1, 6) * 3600), np.full(n, index)))
            accounts.append(account)
    return accounts, Events.concat(blocks)


# --- enterprises behind one egress ---------------------------------------------------------------------------


def _render_enterprise(account: Account, t: float, rnd: random.Random) -> dict[str, Any]:
    bank: PromptBank = account.state["bank"]
    ask = pick(rnd, bank.chat if rnd.random() < 0.7 else bank.arena_hard)
    return {
        "model": _model(rnd, t, 2.0),
        "messages": [{"role": "user", "content": ask}],
        "user_id": f"{account.state['dept']}-{rnd.randrange(400)}",
        "ip": infra_ip(account, rnd),
        **_answer(rnd, len(ask.split())),
    }


def enterprise_nat(infra: Infra, rng: np.random.Generator, scale: float, bank: PromptBank) -> Population:
    accounts: list[Account] = []
    blocks: list[Events] = []
    for company in range(scaled(6, scale, 2)):
        asn_of: dict[str, int] = {}
        egress = infra.network(infra.rnd.choice(CLOUD_ASNS + RESIDENTIAL_ASNS[:2]), asn_of)
        corporate_card = infra.card()
        for dept in range(infra.rnd.randint(3, 8)):
            index = len(accounts)
            card = corporate_card if infra.rnd.random() < 0.8 else infra.card()
            account = _account(
                infra,
                "enterprise_nat",
                (90, 1200),
                email_domain=f"corp{company}.example",
                cards=[card],
                asn_of=asn_of,
                user_agent=infra.rnd.choice(BROWSER_UA + SDK_UA[:1]),
                networks=[egress],
                render=_render_enterprise,
            )
            account.state = {"bank": bank, "dept": f"d{dept}"}
            n = int(rng.integers(120, 500))
            blocks.append(Events(diurnal_times(rng, n, -5.0, (9, 17), 0.1), np.full(n, index)))
            accounts.append(account)
    return accounts, Events.concat(blocks)


# --- students ------------------------------------------------------------------------------------------------


def _render_student(account: Account, t: float, rnd: random.Random) -> dict[str, Any]:
    bank: PromptBank = account.state["bank"]
    question = pick(rnd, bank.gsm8k if rnd.random() < 0.75 else bank.humaneval)
    ask = pick(rnd, STUDENT_ASKS).format(q=question)
    return {
        "model": _model(rnd, t),
        "messages": [{"role": "user", "content": ask}],
        "ip": infra_ip(account, rnd),
        **_answer(rnd, len(ask.split()), long=True),
    }


def student(infra: Infra, rng: np.random.Generator, scale: float, bank: PromptBank) -> Population:
    universities = []
    for u in range(5):
        asn_of: dict[str, int] = {}
        universities.append((f"student.uni{u}.edu", [infra.network(UNIVERSITY_ASNS[u], asn_of)], asn_of))
    accounts: list[Account] = []
    blocks: list[Events] = []
    for i in range(scaled(250, scale, 5)):
        domain, nets, asn_of = universities[i % len(universities)]
        account = _account(
            infra,
            "student",
            (5, 400),
            email_domain=domain,
            asn_of=asn_of,
            networks=nets,
            user_agent=infra.rnd.choice(BROWSER_UA),
            render=_render_student,
        )
        account.state = {"bank": bank}
        n = int(rng.integers(4, 30))
        blocks.append(Events(diurnal_times(rng, n, 1.0, (17, 23), 1.0), np.full(n, i)))
        accounts.append(account)
    return accounts, Events.concat(blocks)


BENIGN = (casual_chat, app_backend, research_lab, enterprise_nat, student)
