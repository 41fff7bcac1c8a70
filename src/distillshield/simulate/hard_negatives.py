"""Benign hard negatives from issue 15: customers a detector built on the classic archetypes misjudged.

* university_group: 3-8 lab mates with months-old accounts on one university /24, most
  sharing one card, running benchmark suites (hundreds of questions in a burst, with
  "Let's think step by step" or ``\\boxed{}`` wrappers) at human hours.
* learner: one person at one home IP asking homework questions at human hours; about a
  quarter of them ask to "explain step by step".
* tutor_app: an app backend whose fixed template asks for worked, step-by-step solutions for
  its end users, 24/7 from a cloud /24.
* enterprise_support: many accounts of one company behind one NAT egress IP, all running the
  same support-bot system prompt, business hours, one corporate card.
* sharegpt_chat: chat users whose text is real ShareGPT user turns (see :mod:`.realtext`).
"""

from __future__ import annotations

import random
from typing import Any

import numpy as np

from distillshield.simulate.benign import _account, _answer, _model, infra_ip
from distillshield.simulate.content import LAB_WRAPPERS, STUDENT_ASKS, PromptBank, pick
from distillshield.simulate.population import (
    BROWSER_UA,
    CLOUD_ASNS,
    DAYS,
    FREE_MAIL,
    RESIDENTIAL_ASNS,
    SDK_UA,
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
from distillshield.simulate.realtext import sharegpt_turns

SUPPORT_PROMPT = (
    "You are {bot}, the customer support assistant of {company}. Answer questions about orders, invoices, "
    "deliveries and returns politely and in at most 120 words. If a customer asks about something outside "
    "{company}'s products, say you can only help with {company} orders. Never promise refunds; hand those "
    "to a human agent with the tag [ESCALATE]. Ticket system: {system}."
)
TUTOR_TEMPLATE = (
    "You are the tutor inside {app}. For the student's problem below, give a worked solution: explain each "
    "step so the student can follow it, then state the answer on its own line.\n\nProblem: {q}"
)


def _home(infra: Infra, asns: tuple[int, ...]) -> tuple[list[str], dict[str, int]]:
    asn_of: dict[str, int] = {}
    return [infra.network(infra.rnd.choice(asns), asn_of)], asn_of


# --- university research groups ------------------------------------------------------------------------------


def _render_group(account: Account, t: float, rnd: random.Random) -> dict[str, Any]:
    bank: PromptBank = account.state["bank"]
    pool = bank.gsm8k if rnd.random() < 0.7 else bank.humaneval
    user = pick(rnd, LAB_WRAPPERS).format(q=pick(rnd, pool))
    return {
        "model": account.state["model"],
        "messages": [{"role": "user", "content": user}],
        "ip": infra_ip(account, rnd),
        "extra": {"max_tokens": account.state["max_tokens"]},
        "reasoning_tokens": rnd.randint(200, 2500),
        **_answer(rnd, len(user.split()), long=True),
    }


def _suite_bursts(rng: np.random.Generator, tz: float) -> list[tuple[float, int, float]]:
    """A few benchmark-suite runs (start, size, hours) started at working hours on weekdays."""
    runs = []
    for _ in range(int(rng.integers(2, 5))):
        day = int(rng.choice([d for d in range(DAYS) if d % 7 < 5]))
        local = float(rng.uniform(9, 20))
        start = day * 86_400.0 + ((local - tz) % 24) * 3600
        runs.append((start, int(rng.integers(100, 400)), float(rng.uniform(1, 4))))
    return runs


def university_group(infra: Infra, rng: np.random.Generator, scale: float, bank: PromptBank) -> Population:
    accounts: list[Account] = []
    blocks: list[Events] = []
    for group in range(scaled(10, scale, 2)):
        nets, asn_of = _home(infra, UNIVERSITY_ASNS)
        group_card, tz = infra.card(), infra.rnd.choice((-5.0, 0.0, 1.0, 8.0))
        for _ in range(infra.rnd.randint(3, 8)):
            index = len(accounts)
            account = _account(
                infra,
                "university_group",
                (90, 900),
                email_domain=f"lab{group}.uni-research{group}.edu",
                cards=[group_card if infra.rnd.random() < 0.75 else infra.card()],
                asn_of=asn_of,
                user_agent=infra.rnd.choice(SDK_UA[:3]),
                networks=nets,
                render=_render_group,
            )
            account.state = {"bank": bank, "model": "atlas-3", "max_tokens": infra.rnd.choice((1024, 2048, 4096))}
            for start, n, hours in _suite_bursts(rng, tz):
                blocks.append(Events(uniform_times(rng, n, start, start + hours * 3600), np.full(n, index)))
            accounts.append(account)
    return accounts, Events.concat(blocks)


# --- learners asking for explanations ------------------------------------------------------------------------


def _render_learner(account: Account, t: float, rnd: random.Random) -> dict[str, Any]:
    bank: PromptBank = account.state["bank"]
    question = pick(rnd, bank.gsm8k if rnd.random() < 0.7 else bank.humaneval)
    ask = pick(rnd, STUDENT_ASKS).format(q=question) if rnd.random() < 0.25 else question
    return {
        "model": _model(rnd, t),
        "messages": [{"role": "user", "content": ask}],
        "ip": account.state["ip"],
        **_answer(rnd, len(ask.split()), long=True),
    }


def learner(infra: Infra, rng: np.random.Generator, scale: float, bank: PromptBank) -> Population:
    accounts: list[Account] = []
    blocks: list[Events] = []
    for i in range(scaled(60, scale, 5)):
        nets, asn_of = _home(infra, RESIDENTIAL_ASNS)
        account = _account(
            infra,
            "learner",
            (30, 600),
            email_domain=infra.rnd.choice(FREE_MAIL),
            asn_of=asn_of,
            networks=nets,
            user_agent=infra.rnd.choice(BROWSER_UA),
            render=_render_learner,
        )
        account.state = {"bank": bank, "ip": infra.ip(nets[0])}  # one home IP
        n = int(rng.integers(80, 250))
        tz = infra.rnd.choice((-8.0, -5.0, 0.0, 1.0, 5.5, 8.0))
        blocks.append(Events(diurnal_times(rng, n, tz, (15, 23), 1.3), np.full(n, i)))
        accounts.append(account)
    return accounts, Events.concat(blocks)


# --- app backends whose template asks for worked solutions ---------------------------------------------------


def _render_tutor(account: Account, t: float, rnd: random.Random) -> dict[str, Any]:
    bank: PromptBank = account.state["bank"]
    user = TUTOR_TEMPLATE.format(app=account.state["app"], q=pick(rnd, bank.gsm8k))
    return {
        "model": "atlas-3",
        "messages": [{"role": "user", "content": user}],
        "user_id": f"s{rnd.randrange(20_000)}",
        "ip": infra_ip(account, rnd),
        "extra": {"max_tokens": 1500},
        **_answer(rnd, len(user.split()), long=True),
    }


def tutor_app(infra: Infra, rng: np.random.Generator, scale: float, bank: PromptBank) -> Population:
    accounts: list[Account] = []
    blocks: list[Events] = []
    for i in range(scaled(6, scale, 2)):
        nets, asn_of = _home(infra, CLOUD_ASNS)
        account = _account(
            infra,
            "tutor_app",
            (120, 1000),
            email_domain=f"mathbuddy{i}.app",
            asn_of=asn_of,
            networks=nets,
            user_agent=infra.rnd.choice(SDK_UA[:3]),
            render=_render_tutor,
        )
        account.state = {"bank": bank, "app": f"MathBuddy {i} (homework helper)"}
        n = int(rng.integers(60, 200) * DAYS)
        blocks.append(Events(uniform_times(rng, n, 0, WINDOW), np.full(n, i)))
        accounts.append(account)
    return accounts, Events.concat(blocks)


# --- enterprises behind NAT with one support bot -------------------------------------------------------------


def _render_support(account: Account, t: float, rnd: random.Random) -> dict[str, Any]:
    bank: PromptBank = account.state["bank"]
    ask = pick(rnd, bank.chat)
    return {
        "model": "atlas-3",
        "messages": [{"role": "system", "content": account.state["system"]}, {"role": "user", "content": ask}],
        "user_id": f"cust-{rnd.randrange(50_000)}",
        "ip": account.state["ip"],
        **_answer(rnd, len(ask.split())),
    }


def enterprise_support(infra: Infra, rng: np.random.Generator, scale: float, bank: PromptBank) -> Population:
    accounts: list[Account] = []
    blocks: list[Events] = []
    prompts: dict[str, list[str]] = {}
    for company in range(scaled(4, scale, 2)):
        nets, asn_of = _home(infra, CLOUD_ASNS[:2] + RESIDENTIAL_ASNS[:2])
        egress, card = infra.ip(nets[0]), infra.card()  # one NAT egress address for the whole company
        name = f"Northwind Supply {company}"
        system = SUPPORT_PROMPT.format(bot=f"Nora-{company}", company=name, system=f"zd-{company}")
        for _ in range(infra.rnd.randint(5, 15)):
            index = len(accounts)
            account = _account(
                infra,
                "enterprise_support",
                (120, 1500),
                email_domain=f"northwind{company}.example",
                cards=[card],
                asn_of=asn_of,
                user_agent=SDK_UA[0],
                networks=nets,
                render=_render_support,
            )
            account.state = {"bank": bank, "system": system, "ip": egress}
            prompts.setdefault(system, []).append(account.account_id)
            n = int(rng.integers(15, 50) * DAYS * 5 / 7)
            blocks.append(Events(diurnal_times(rng, n, -5.0, (9, 17), 0.05), np.full(n, index)))
            accounts.append(account)
    infra.shared["support_prompts"] = prompts  # what a framing campaign can copy
    return accounts, Events.concat(blocks)


# --- chat users with real text -------------------------------------------------------------------------------


def _render_realtext(account: Account, t: float, rnd: random.Random) -> dict[str, Any]:
    texts: tuple[str, ...] = account.state["texts"]
    ask = pick(rnd, texts)
    return {
        "model": _model(rnd, t),
        "messages": [{"role": "user", "content": ask}],
        "ip": infra_ip(account, rnd),
        **_answer(rnd, len(ask.split())),
    }


def sharegpt_chat(infra: Infra, rng: np.random.Generator, scale: float, bank: PromptBank) -> Population:
    texts = sharegpt_turns()[0] or bank.chat
    accounts: list[Account] = []
    blocks: list[Events] = []
    for i in range(scaled(200, scale, 10)):
        nets, asn_of = _home(infra, RESIDENTIAL_ASNS)
        account = _account(
            infra,
            "sharegpt_chat",
            (10, 700),
            email_domain=infra.rnd.choice(FREE_MAIL),
            asn_of=asn_of,
            networks=nets,
            user_agent=infra.rnd.choice(BROWSER_UA),
            render=_render_realtext,
        )
        account.state = {"texts": texts}
        n = max(1, int(rng.lognormal(2.8, 0.9)))
        tz = infra.rnd.choice((-8.0, -5.0, 0.0, 1.0, 5.5, 8.0, 9.0))
        blocks.append(Events(diurnal_times(rng, n, tz, (9, 23), 1.2), np.full(n, i)))
        accounts.append(account)
    return accounts, Events.concat(blocks)


HARD_NEGATIVES = (university_group, learner, tutor_app, enterprise_support, sharegpt_chat)
