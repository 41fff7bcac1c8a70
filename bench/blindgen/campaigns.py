"""Distillation campaigns modelled on the public reports; each function adds one campaign kind.

Sources (see ../shared/reference/detection.md, section 1): Anthropic, "Detecting and preventing distillation
attacks" (Feb 2026); Anthropic's Senate letter (Jun 2026); Anthropic's threat report (Sep 2026, pp.143-154);
Google GTIG AI Threat Tracker (Feb 2026); OpenAI's memo (Feb 2026); CISA/NSA/FBI AA26-251A; and issue 15 for the
low-and-slow, infrastructure-disjoint pool and framing scenarios.
"""

from __future__ import annotations

import base64
import random
from typing import Any

from . import nets, phrasing, tasks, timing, world
from .engine import Account, Ctx, Item, Message, reasoning_for, reply_for, reply_generic, tool_schema
from .phrasing import spin

DAY, HOUR, T0 = world.DAY, world.HOUR, world.T0
DISTILLER = "distiller"


class Campaigns:
    """Numbers campaigns in the order they are created."""

    def __init__(self) -> None:
        self.n = 0

    def new(self, kind: str) -> str:
        self.n += 1
        return f"cmp-{self.n:02d}-{kind}"


def _pivot(rng: random.Random, ts: float, share: float, lag_h: tuple[float, float] = (4, 20)) -> str:
    """The campaign's reasoning model, moving `share` of traffic to the new model within a day of its release."""
    if ts > world.NEW_MODEL_AT + rng.uniform(*lag_h) * HOUR and rng.random() < share:
        return world.NEW_REASONING_MODEL
    return world.REASONING_MODELS[0]


def _wants_reasoning(rng: random.Random) -> dict[str, Any]:
    """Harvesters ask for the most reasoning the API returns, mostly."""
    return {"reasoning": {"effort": "high", "summary": "detailed" if rng.random() < 0.7 else "auto"}}


def _retry_429(ctx: Ctx, acct: Account, rng: random.Random, ts: float, p: float, **kw: Any) -> float:
    """A throttled client: 429s, then the SDK's retry after a short back-off, then success."""
    while rng.random() < p:
        ctx.emit(
            acct,
            ts,
            rng,
            status=429,
            **{k: v for k, v in kw.items() if k in ("model", "messages", "prompt", "key", "extra", "tools")},
        )
        ts += rng.choice((0.5, 1.0, 2.0, 4.0)) * rng.uniform(0.75, 1.0)
        p *= 0.5
    ctx.emit(acct, ts, rng, **kw)
    return ts


def throwaway_pool(ctx: Ctx, ids: Campaigns) -> None:
    """Infrastructure-disjoint pool (issue 15): every account its own IP and card, one fixed instruction block on
    every request, round-robin seconds apart; a second sign-up cohort takes over a week later."""
    rng = ctx.rng("throwaway_pool")
    cid = ids.new("throwaway_pool")
    n = ctx.count(300, alpha=0.7, floor=20)
    ua = "OpenAI/Python 1.54.4"
    cohorts: list[list[Account]] = [[], []]
    for k in range(n):
        cohort = 0 if k < n // 2 else 1
        signup = T0 + (rng.uniform(-2.0, 0.3) if cohort == 0 else rng.uniform(7.0, 8.2)) * DAY
        net = rng.choice(world.RESIDENTIAL)
        email = rng.choice(world.DISPOSABLE) if rng.random() < 0.2 else world.pick_weighted(rng, world.WEBMAIL)
        bin6 = rng.choice(world.VIRTUAL_BINS) if rng.random() < 0.3 else None
        acct = ctx.account(
            rng,
            label=DISTILLER,
            campaign_id=cid,
            archetype="throwaway_pool_round_robin",
            created_at=signup,
            email_domain=email,
            payment=world.card(rng, bin6),
            utc_offset=0.0,
            addr=nets.home(rng, net, renumber_p=0.0),
            uas=[ua],
        )
        cohorts[cohort].append(acct)
    bank = tasks.task_bank(
        ctx.corpus, {"gsm8k": 1, "arena_math": 1, "arena_coding": 1, "humaneval": 1, "seed": 1, "mt_bench": 1}
    )
    sweep = tasks.Sweep(bank, rng)
    windows = ((T0 + 0.4 * DAY, T0 + 8.6 * DAY), (T0 + 8.3 * DAY, T0 + 16.5 * DAY))
    for members, (start, end) in zip(cohorts, windows, strict=True):
        _round_robin(ctx, rng, members, start, end, sweep)


def _round_robin(
    ctx: Ctx, rng: random.Random, members: list[Account], start: float, end: float, sweep: tasks.Sweep
) -> None:
    order = list(members)
    rng.shuffle(order)
    gap = 5400.0 / max(1, len(order)) / ctx.volume  # each account is reached about every 90 minutes
    ts, k = start, 0
    extra = {"temperature": 0.6, "max_tokens": 4096, **_wants_reasoning(rng)}
    while ts < end:
        if world.at_local(int((ts - T0) // DAY), 3.0, 0.0) <= ts < world.at_local(int((ts - T0) // DAY), 4.0, 0.0):
            ts += HOUR  # the operator's daily restart window
            continue
        acct = order[k % len(order)]
        item = sweep.next()
        text = phrasing.POOL_BLOCK + item.text
        answer = reply_for(item, rng, show_steps=True)
        response = f"1. Restated: {item.text[:160]}\n2. Facts noted.\n3. {answer}\nFINAL: {item.answer or 'see above'}"
        ctx.emit(
            acct,
            ts,
            rng,
            model=_pivot(rng, ts, 0.8),
            messages=[("user", text)],
            response=response,
            reasoning=reasoning_for(item, rng),
            extra=extra,
            status=500 if rng.random() < 0.003 else 200,
        )
        ts += gap * rng.uniform(0.6, 1.4)
        k += 1


_LOW_SLOW_TASKS = tasks.mix(
    [
        (tasks.gsm8k, 35),
        (tasks.arena_math, 15),
        (tasks.arena_coding, 15),
        (tasks.mt_reasoning, 15),
        (tasks.humaneval, 10),
        (tasks.arena, 10),
    ]
)
_COVER = tasks.mix([(tasks.chat_turn, 45), (tasks.oasst, 20), (tasks.vicuna, 15), (tasks.user_task, 20)])


def low_and_slow(ctx: Ctx, ids: Campaigns) -> None:
    """Aged accounts, each with its own card and home line, human hours, ~40% cover traffic, and elicitation asks
    paraphrased from a few unusual phrasings (issue 15). Most run on the operator's own clock (UTC+8) whatever the
    country of their address; the rest keep the hours of their address's country."""
    cid = ids.new("low_and_slow")
    for k in range(ctx.count(24, alpha=0.5, floor=6)):
        r = ctx.rng("low_and_slow", k)
        country = world.pick_country(r)
        offset = 8.0 if r.random() < 0.7 else country.utc_offset
        ua = r.choice((world.browser(r), world.openai_python(r), world.openai_js(r), world.browser(r)))
        acct = ctx.account(
            r,
            label=DISTILLER,
            campaign_id=cid,
            archetype="low_and_slow_cover",
            created_at=T0 - r.uniform(30, 240) * DAY,
            email_domain=r.choice(("gmail.com", "outlook.com", "icloud.com", "yahoo.com")),
            payment=world.card(r),
            utc_offset=offset,
            addr=nets.home(r, world.residential_for(r, country.code), v6=r.random() < 0.2, renumber_p=0.1),
            uas=[ua],
            parts=r.choice(("str", "str", "text")),
        )
        phrasings = r.sample(phrasing.LOW_SLOW_ASKS, r.randint(2, 3))
        target = ctx.vol(r.randint(100, 400))
        cover_share = r.uniform(0.35, 0.45)
        while acct.requests < target:
            ts = timing.session_start(r, r.randrange(timing.SPAN_DAYS), offset, world.HUMAN_HOURS)
            for _ in range(r.randint(2, 8)):
                if r.random() < cover_share:
                    _cover_request(ctx, acct, r, ts)
                else:
                    _low_slow_ask(ctx, acct, r, ts, phrasings)
                ts += timing.think_gap(r, 150)


def _cover_request(ctx: Ctx, acct: Account, rng: random.Random, ts: float) -> None:
    item = _COVER(ctx.corpus, rng)
    ctx.emit(
        acct,
        ts,
        rng,
        model=rng.choice(world.CHAT_MODELS),
        messages=[("user", item.text)],
        response=reply_generic(item.text, rng),
        extra={"stream": True} if rng.random() < 0.5 else None,
    )


def _low_slow_ask(ctx: Ctx, acct: Account, rng: random.Random, ts: float, phrasings: list[str]) -> None:
    item = _LOW_SLOW_TASKS(ctx.corpus, rng)
    ask = spin(rng.choice(phrasings), rng)
    where = rng.random()
    msgs: list[Message]
    if where < 0.5:
        msgs = [("user", f"{item.text}\n\n{ask}")]
    elif where < 0.8:
        msgs = [("user", f"{ask}\n\n{item.text}")]
    else:
        msgs = [("system", ask), ("user", item.text)]
    model = _pivot(rng, ts, 0.4, (6, 48)) if rng.random() < 0.7 else rng.choice(world.CHAT_MODELS)
    kwargs: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    if model not in world.CHAT_MODELS:
        returned = rng.random() < 0.6
        extra = _wants_reasoning(rng) if returned else {}
        kwargs = {"reasoning": reasoning_for(item, rng), "hidden_reasoning": not returned}
    ctx.emit(
        acct, ts, rng, model=model, messages=msgs, response=reply_for(item, rng, show_steps=True), extra=extra, **kwargs
    )


def framing(ctx: Ctx, ids: Campaigns) -> None:
    """New keys that copy an established customer's support-bot system prompt and add "show your reasoning" asks,
    so that prompt similarity would link the customer to them (issue 15)."""
    cid = ids.new("framing_copycat")
    harvest = tasks.mix([(tasks.gsm8k, 40), (tasks.arena_math, 20), (tasks.arena, 20), (tasks.mt_reasoning, 20)])
    for k in range(ctx.count(6, alpha=0.3, floor=6)):
        r = ctx.rng("framing", k)
        region = r.choice(("vultr", "digitalocean", "linode"))
        ips, asn = nets.cloud_ips(r, region, 1)
        signup = T0 + r.uniform(9.0, 11.0) * DAY
        acct = ctx.account(
            r,
            label=DISTILLER,
            campaign_id=cid,
            archetype="framing_copycat",
            created_at=signup,
            email_domain=r.choice(("proton.me", "gmail.com", "outlook.com")),
            payment=world.card(r, r.choice(world.VIRTUAL_BINS)),
            utc_offset=-7.0,
            addr=nets.fixed(ips, asn),
            uas=[r.choice(("OpenAI/Python 1.99.9", "OpenAI/JS 4.77.0"))],
        )
        system = phrasing.SUPPORT_SYSTEM + ("\n" if k == 3 else "")  # one copy picked up a stray newline
        end = min(timing.window_end(), signup + r.uniform(6, 9) * DAY)
        n = ctx.vol(r.randint(150, 300))
        times = timing.spread(r, n, signup + 0.1 * DAY, end, -7.0, world.FLAT_HOURS)
        for ts in times:
            if r.random() < 0.4:
                from .benign import support_question

                item = Item(support_question(r), "")
            else:
                item = harvest(ctx.corpus, r)
            text = f"{item.text}\n\n{r.choice(phrasing.FRAMING_ASKS)}"
            user = f"shopper_{r.randint(10_000_000, 99_999_999)}" if r.random() < 0.5 else None
            ctx.emit(
                acct,
                ts,
                r,
                model=_pivot(r, ts, 0.5),
                messages=[("system", system), ("user", text)],
                response=reply_for(item, r, show_steps=True),
                reasoning=reasoning_for(item, r),
                user_id=user,
                extra={"max_tokens": 4000, **_wants_reasoning(r)},
            )


_RELAY_USER = tasks.mix(
    [(tasks.chat_turn, 35), (tasks.oasst, 20), (tasks.arena, 20), (tasks.arena_coding, 15), (tasks.vicuna, 10)]
)
_ELICIT_TASKS = tasks.mix(
    [(tasks.gsm8k, 30), (tasks.arena_math, 20), (tasks.arena_coding, 20), (tasks.arena, 15), (tasks.mt_reasoning, 15)]
)


def hydra_relay(ctx: Ctx, ids: Campaigns) -> None:
    """Resale proxy networks ("hydra clusters", "transfer stations"): many short-lived accounts on shared virtual
    cards behind a residential proxy pool, each sparse (about 5-25 requests a day), relaying real end users'
    requests mixed with the operator's own elicitation and cross-session replay; banned accounts are replaced."""
    total = ctx.count(50, floor=8)
    networks = max(1, min(3, round(ctx.scale / 0.3)))
    for net_i in range(networks):
        rng = ctx.rng("hydra", net_i)
        cid = ids.new("hydra_proxy_relay")
        exits = nets.residential_exits(rng, 400, ("SG", "JP", "HK", "TW", "US-W", "KR"))
        cards = [
            world.card(rng, rng.choice(world.VIRTUAL_BINS) if rng.random() < 0.7 else None)
            for _ in range(max(2, total // networks // 5))
        ]
        ua = rng.choice(("Go-http-client/2.0", "axios/1.7.7", "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)"))
        for k in range(total // networks):
            r = ctx.rng("hydra", net_i, k)
            born = T0 + r.uniform(0.0, timing.SPAN_DAYS - 4.0) * DAY
            dies = min(timing.window_end(), born + r.uniform(3.0, 9.0) * DAY)
            email = (
                r.choice(world.DISPOSABLE)
                if r.random() < 0.5
                # Educational sign-ups were the most exploited path (Anthropic Feb 2026): bought or stolen student
                # addresses at large universities, which legitimate researchers there use too.
                else r.choice(("nus.edu.sg", "u-tokyo.ac.jp", "kaist.ac.kr", "gmail.com", "outlook.com", "hotmail.com"))
            )
            acct = ctx.account(
                r,
                label=DISTILLER,
                campaign_id=cid,
                archetype="hydra_proxy_relay",
                created_at=born - r.uniform(0.05, 1.0) * DAY,
                email_domain=email,
                payment=r.choice(cards),
                utc_offset=8.0,
                addr=nets.pool(exits),
                uas=[ua],
            )
            n = ctx.vol(max(3, round((dies - born) / DAY * r.uniform(5, 25))))
            for ts in timing.spread(r, n, born, dies, 8.0, world.APP_HOURS):
                _hydra_request(ctx, acct, r, ts)


def _hydra_request(ctx: Ctx, acct: Account, rng: random.Random, ts: float) -> None:
    roll = rng.random()
    if roll < 0.45:
        item = _RELAY_USER(ctx.corpus, rng)
        system = rng.choice(phrasing.RELAY_SYSTEMS)
        text = rng.choice(phrasing.RELAY_PREFIXES) + item.text
        msgs: list[Message] = ([("system", system)] if system else []) + [("user", text)]
        ctx.emit(
            acct,
            ts,
            rng,
            model=rng.choice((*world.CHAT_MODELS, _pivot(rng, ts, 0.5))),
            messages=msgs,
            response=reply_generic(item.text, rng),
            user_id=f"ru_{rng.getrandbits(32):08x}",
            extra={"stream": True},
        )
        return
    item = _ELICIT_TASKS(ctx.corpus, rng)
    if roll < 0.8:
        msgs = [("user", f"{item.text}\n\n{rng.choice(phrasing.COT_ASKS)}")]
    else:
        signature = base64.b64encode(rng.randbytes(rng.choice((48, 96, 144)))).decode()
        ask = rng.choice(phrasing.REVEAL_ASKS)
        tail = f"{ask}\n\nsignature: {signature}" if rng.random() < 0.6 else ask
        msgs = [("user", item.text), ("assistant", reply_for(item, rng)), ("user", tail)]
    ctx.emit(
        acct,
        ts,
        rng,
        model=_pivot(rng, ts, 0.5),
        messages=msgs,
        response=reply_for(item, rng, show_steps=True),
        reasoning=reasoning_for(item, rng),
        extra=_wants_reasoning(rng),
    )


def cot_template_pool(ctx: Ctx, ids: Campaigns) -> None:
    """One fixed system prompt forcing the reasoning into inline tags on every request (GTG-16005), from
    throwaway accounts on residential proxies, disposable e-mail and virtual cards; new accounts run at full load
    at once, in synchronised batches, hit rate limits, and a second pool takes over after the first is banned."""
    rng = ctx.rng("cot_template_pool")
    cid = ids.new("cot_fixed_prompt_pool")
    n = ctx.count(16, floor=4)
    exits = nets.residential_exits(rng, 600)
    bins = rng.sample(world.VIRTUAL_BINS, 2)
    pools: list[list[Account]] = [[], []]
    for k in range(n):
        p = 0 if k < n // 2 else 1
        signup = T0 + (rng.uniform(-1.0, 0.5) if p == 0 else rng.uniform(9.0, 9.8)) * DAY
        acct = ctx.account(
            rng,
            label=DISTILLER,
            campaign_id=cid,
            archetype="cot_fixed_prompt_pool",
            created_at=signup,
            email_domain=rng.choice(world.DISPOSABLE),
            payment=world.card(rng, rng.choice(bins)),
            utc_offset=8.0,
            addr=nets.pool(exits),
            uas=["python-httpx/0.27.2"],
        )
        pools[p].append(acct)
    bank = tasks.task_bank(ctx.corpus, {"arena_coding": 2, "humaneval": 2, "arena_math": 1, "gsm8k": 0.5, "arena": 1})
    sweep = tasks.Sweep(bank, rng)
    windows = ((T0 + 0.6 * DAY, T0 + 9.3 * DAY), (T0 + 9.9 * DAY, T0 + 20.5 * DAY))
    for members, (start, end) in zip(pools, windows, strict=True):
        _synchronised_batches(ctx, rng, members, start, end, sweep)


def _synchronised_batches(
    ctx: Ctx, rng: random.Random, members: list[Account], start: float, end: float, sweep: tasks.Sweep
) -> None:
    extra = {"temperature": 0.0, "max_tokens": 16000}
    tick = start
    while tick < end:
        for acct in members:
            ts = tick + rng.uniform(0, 4)
            for _ in range(rng.randint(4, 9)):
                item = sweep.next()
                response = (
                    f"<reasoning>\n{reasoning_for(item, rng)}\n</reasoning>\n<final>\n"
                    f"{reply_for(item, rng, show_steps=True)}\n</final>"
                )
                msgs: list[Message] = [("system", phrasing.TAGGED_COT_SYSTEM), ("user", item.text)]
                ts = _retry_429(
                    ctx, acct, rng, ts, 0.12, model=_pivot(rng, ts, 0.9), messages=msgs, response=response, extra=extra
                )
                ts += rng.uniform(0.3, 3.0)
        tick += rng.uniform(50, 80) * 60 / ctx.volume  # a scheduler tick: every account's batch at once


def agentic_harvest(ctx: Ctx, ids: Campaigns) -> None:
    """Agentic coding and tool-use transcripts (MiniMax, Moonshot; Anthropic Feb 2026) from a shell company's
    accounts on cloud hosts, with tool schemas and tool calls; about half the traffic moves to a new model within
    a day of its release."""
    rng = ctx.rng("agentic_harvest")
    cid = ids.new("agentic_tool_harvest")
    ips_sg, asn_sg = nets.cloud_ips(rng, "alibaba", 6)
    ips_ap, asn_ap = nets.cloud_ips(rng, "aws-ap", 4)
    cards = [world.card(rng) for _ in range(2)]
    tools = tool_schema(phrasing.AGENT_HARVEST_TOOLS)
    for k in range(ctx.count(10, floor=3)):
        r = ctx.rng("agentic_harvest", k)
        acct = ctx.account(
            r,
            n_keys=r.randint(1, 3),
            label=DISTILLER,
            campaign_id=cid,
            archetype="agentic_tool_harvest",
            created_at=T0 - r.uniform(10, 40) * DAY,
            email_domain="nimbusforge-tech.com",
            payment=r.choice(cards),
            utc_offset=8.0,
            addr=nets.mixed([(nets.fixed(ips_sg, asn_sg), 0.6), (nets.fixed(ips_ap, asn_ap), 0.4)]),
            uas=[r.choice(("OpenAI/Python 1.99.9", "AsyncOpenAI/Python 1.99.9"))],
        )
        target = ctx.vol(r.randint(700, 1300))
        ts = T0 + r.uniform(0, 1) * DAY
        # Episodes average about nine requests; spread them around the clock over the rest of the window.
        mean_gap = (timing.window_end() - ts) / max(1.0, target / 9.0)
        while acct.requests < target and ts < timing.window_end():
            ts = _agent_episode(ctx, acct, r, ts, tools)
            ts += r.expovariate(1.0 / mean_gap)


def _agent_episode(ctx: Ctx, acct: Account, rng: random.Random, ts: float, tools: list[dict[str, Any]]) -> float:
    c = ctx.corpus
    x = rng.choice(c.humaneval)
    task = rng.choice(phrasing.AGENT_HARVEST_TASKS).format(
        fn=x.entry_point, code=x.prompt, q=rng.choice(c.arena_coding)
    )
    msgs: list[Message] = [("system", rng.choice(phrasing.AGENT_HARVEST_SYSTEMS)), ("user", task)]
    model = _pivot(rng, ts, 0.5, (3, 20))
    key = rng.choice(acct.keys)
    extra = {"temperature": 0.7, "max_tokens": 8192, "tool_choice": "auto", **_wants_reasoning(rng)}
    item = Item(task, "", kind="code")
    for step in range(rng.randint(4, 15)):
        last = step >= 3 and rng.random() < 0.2
        calls = 0 if last else rng.randint(1, 3)
        thought = (
            f"THOUGHT: Step {step + 1}. I will inspect {x.entry_point} and the failing case, then "
            f"{'summarise the fix' if last else 'run the next command'}."
        )
        ts = _retry_429(
            ctx,
            acct,
            rng,
            ts,
            0.05,
            model=model,
            messages=list(msgs),
            response=thought,
            reasoning=reasoning_for(item, rng),
            tool_calls=calls,
            tools=tools,
            extra=extra,
            key=key,
        )
        if last:
            break
        msgs += [
            ("assistant", thought),
            (
                "tool",
                f"$ pytest -q\n{rng.randint(1, 9)} failed, {rng.randint(5, 60)} passed in {rng.uniform(0.3, 9):.2f}s",
            ),
        ]
        ts += rng.uniform(1.5, 12)
    return ts


def judge_harvest(ctx: Ctx, ids: Campaigns) -> None:
    """Rubric grading and preference judgements to build reward data (DeepSeek used the model as a reward model,
    Anthropic Feb 2026): shared cards, accounts taking turns in lockstep ("load balancing")."""
    rng = ctx.rng("judge_harvest")
    cid = ids.new("judge_preference_harvest")
    cards = [world.card(rng, rng.choice(world.VIRTUAL_BINS)) for _ in range(2)]
    ips, asn = nets.cloud_ips(rng, "tencent", 4)
    exits = nets.residential_exits(rng, 80, ("HK", "TW", "SG"))
    members = [
        ctx.account(
            rng,
            label=DISTILLER,
            campaign_id=cid,
            archetype="judge_preference_harvest",
            created_at=T0 - rng.uniform(3, 25) * DAY,
            email_domain=rng.choice(("163.com", "qq.com", "foxmail.com", "gmail.com")),
            payment=rng.choice(cards),
            utc_offset=8.0,
            addr=nets.mixed([(nets.fixed(ips, asn), 0.5), (nets.pool(exits), 0.5)]),
            uas=["OpenAI/Python 1.68.2"],
        )
        for _ in range(ctx.count(8, floor=3))
    ]
    per_account = ctx.vol(rng.randint(600, 800))
    _lockstep(ctx, rng, members, per_account, _judge_text)


def _judge_text(ctx: Ctx, rng: random.Random) -> tuple[str, Item, str]:
    c = ctx.corpus
    if rng.random() < 0.4:
        m = rng.choice(c.gsm8k)
        wrong = m.solution.replace(m.final, str(rng.randint(1, 999))) if m.final in m.solution else m.solution
        q, a, b = m.question, m.solution, wrong
    else:
        q = rng.choice(c.arena_v01 + c.vicuna + [t[0] for _, t in c.mt_bench])
        a, b = reply_generic(q, rng), reply_generic(q, rng)
    text = rng.choice(phrasing.JUDGE_RUBRICS).format(q=q, a=a, b=b, c=reply_generic(q, rng))
    item = Item(q, "")
    return text, item, _judgement(rng, item)


def _lockstep(ctx: Ctx, rng: random.Random, members: list[Account], per_account: int, make: Any) -> None:
    """Batch jobs spread over the accounts in turn, seconds apart: one or two blocks of one to three hours on most
    days, in the operator's day (UTC+8, 10:00-23:00), until the work is done."""
    total = per_account * len(members)
    k = 0
    day = rng.randint(0, 2)
    while k < total and day < timing.SPAN_DAYS:
        blocks = 0 if rng.random() < 0.25 else rng.randint(1, 2)
        for start_h in sorted(rng.uniform(10, 20) for _ in range(blocks)):
            ts = world.at_local(day, start_h, 8.0)
            stop = ts + rng.uniform(1, 3) * HOUR
            while ts < stop and k < total:
                _lockstep_request(ctx, rng, members[k % len(members)], ts, make)
                ts += rng.uniform(4, 20)
                k += 1
        day += 1


def _lockstep_request(ctx: Ctx, rng: random.Random, acct: Account, ts: float, make: Any) -> None:
    text, item, response = make(ctx, rng)
    model = world.CHAT_MODELS[0] if rng.random() < 0.5 else _pivot(rng, ts, 0.5)
    kwargs: dict[str, Any] = {}
    if model not in world.CHAT_MODELS:
        kwargs = {"reasoning": reasoning_for(item, rng)}
    ctx.emit(
        acct,
        ts,
        rng,
        model=model,
        messages=[("user", text)],
        response=response,
        extra={"temperature": 0.0, "max_tokens": 2048, **_wants_reasoning(rng)},
        **kwargs,
    )


def _judgement(rng: random.Random, item: Item) -> str:
    return (
        f"Analysis: the first response addresses {item.text[:60].strip()!r} directly and its steps check out; "
        f"the second skips a step. Score: {rng.randint(3, 9)}. Preferred: {rng.choice('12')}"
    )


def rationale_backfill(ctx: Ctx, ids: Campaigns) -> None:
    """ "Imagine and articulate the internal reasoning behind a completed response" (Anthropic Feb 2026, DeepSeek):
    question plus final answer in, step-by-step rationale out; shared cards and synchronised timing."""
    rng = ctx.rng("rationale_backfill")
    cid = ids.new("rationale_backfill")
    cards = [world.card(rng) for _ in range(2)]
    exits = nets.residential_exits(rng, 150, ("HK", "TW", "SG", "JP"))
    members = [
        ctx.account(
            rng,
            label=DISTILLER,
            campaign_id=cid,
            archetype="rationale_backfill",
            created_at=T0 - rng.uniform(1, 30) * DAY,
            email_domain=world.pick_weighted(rng, world.WEBMAIL),
            payment=rng.choice(cards),
            utc_offset=8.0,
            addr=nets.pool(exits),
            uas=["OpenAI/Python 1.68.2"],
        )
        for _ in range(ctx.count(8, floor=3))
    ]
    _lockstep(ctx, rng, members, ctx.vol(rng.randint(700, 900)), _backfill_text)


def _backfill_text(ctx: Ctx, rng: random.Random) -> tuple[str, Item, str]:
    c = ctx.corpus
    r = rng.random()
    if r < 0.5:
        m = rng.choice(c.gsm8k)
        item = Item(m.question, m.final, m.solution, "math")
    elif r < 0.75:
        x = rng.choice(c.humaneval)
        item = Item(x.prompt, x.solution, "", "code")
    else:
        q = rng.choice(c.arena_v01)
        item = Item(q, reply_generic(q, rng))
    text = rng.choice(phrasing.BACKFILL_ASKS).format(q=item.text, a=item.answer)
    if item.kind == "math":
        steps = [line for line in item.steps.splitlines() if line.strip()]
        rationale = "\n".join(f"Step {i + 1}: {line}" for i, line in enumerate(steps))
    else:
        rationale = "Step 1: " + reasoning_for(item, rng).replace(". ", ".\nStep 2: ", 1)
    return text, item, f"{rationale}\nTherefore the answer is {item.answer[:200]}"


def instruction_synthesis(ctx: Ctx, ids: Campaigns) -> None:
    """Self-instruct and evol-style synthesis: seed tasks in, batches of new tasks or harder rewrites out, from a
    start-up programme sign-up on one hosting /24, with no-back-off retries."""
    rng = ctx.rng("instruction_synthesis")
    cid = ids.new("instruction_synthesis")
    block = world.subnet24(rng, rng.choice(world.CLOUD["hetzner"].v4))
    for k in range(ctx.count(6, floor=2)):
        r = ctx.rng("instruction_synthesis", k)
        acct = ctx.account(
            r,
            label=DISTILLER,
            campaign_id=cid,
            archetype="instruction_synthesis",
            created_at=T0 - r.uniform(5, 20) * DAY,
            email_domain="tensorleaf.ai",
            payment=world.card(r),
            utc_offset=2.0,
            addr=nets.fixed([world.host_in24(r, block) for _ in range(2)], world.CLOUD["hetzner"].asn),
            uas=["Python/3.11 aiohttp/3.9.5"],
        )
        target = ctx.vol(r.randint(450, 750))
        ts = T0 + r.uniform(1, 4) * DAY
        while acct.requests < target and ts < timing.window_end():
            for _ in range(r.randint(20, 60)):  # a batch job
                text = _synth_text(ctx, r)
                extra = {"temperature": 1.0, "top_p": 0.95, "max_tokens": 2048}
                # Alpaca-style generation went through the completions endpoint; evol rewrites through chat.
                shape: dict[str, Any] = (
                    {"model": world.LEGACY_COMPLETION_MODEL, "prompt": text}
                    if r.random() < 0.3
                    else {"model": r.choice(world.CHAT_MODELS), "messages": [("user", text)]}
                )
                ts = _retry_429(ctx, acct, r, ts, 0.08, response=_synth_reply(ctx, r), extra=extra, **shape)
                ts += r.uniform(0.5, 6)
            ts += r.uniform(2, 20) * HOUR


def _synth_text(ctx: Ctx, rng: random.Random) -> str:
    c = ctx.corpus
    seeds = rng.sample(c.seed_tasks, rng.randint(3, 5))
    examples = "\n".join(f"Instruction: {i}\nInput: {x or '<noinput>'}\nOutput: {o[:200]}\n" for i, x, o in seeds)
    q = rng.choice([s[0] for s in c.seed_tasks] + [m.question for m in c.gsm8k[:400]] + c.arena_v01[:200])
    return rng.choice(phrasing.SYNTH_ASKS).format(examples=examples, n=rng.choice((10, 15, 20)), q=q)


def _synth_reply(ctx: Ctx, rng: random.Random) -> str:
    picks = rng.sample(ctx.corpus.seed_tasks, rng.randint(3, 8))
    return "\n".join(
        f"{i + 1}. {instr.rstrip('?.')} for a different audience." for i, (instr, _, _) in enumerate(picks)
    )


_LANG_REPLY = {
    "es": "Vamos paso a paso. Primero identificamos los datos, luego calculamos y comprobamos el resultado.",
    "de": "Gehen wir Schritt für Schritt vor: Daten sammeln, rechnen, Ergebnis prüfen.",
    "fr": "Procédons étape par étape : relever les données, calculer, vérifier le résultat.",
    "ja": "順番に考えます。まずデータを整理し、次に計算し、最後に確認します。",
    "ko": "단계별로 생각해 봅시다. 먼저 조건을 정리하고, 계산한 뒤, 결과를 확인합니다.",
    "zh": "我们一步一步来：先整理条件，再计算，最后检查结果。",
    "pt": "Vamos passo a passo: organizar os dados, calcular e verificar o resultado.",
    "ru": "Давайте по шагам: выпишем данные, посчитаем и проверим результат.",
    "id": "Mari kita kerjakan langkah demi langkah: catat data, hitung, lalu periksa hasilnya.",
    "vi": "Hãy làm từng bước: ghi lại dữ kiện, tính toán, rồi kiểm tra kết quả.",
    "tr": "Adım adım ilerleyelim: verileri yaz, hesapla ve sonucu kontrol et.",
}


def multilingual_coercion(ctx: Ctx, ids: Campaigns) -> None:
    """Reasoning-trace coercion in many languages (GTIG Feb 2026): the thinking must be in the question's language,
    across a wide range of tasks, from hosting providers' addresses."""
    rng = ctx.rng("multilingual_coercion")
    cid = ids.new("multilingual_trace_coercion")
    blocks = [(world.subnet24(rng, rng.choice(world.CLOUD[p].v4)), world.CLOUD[p].asn) for p in ("ovh", "linode")]
    for k in range(ctx.count(8, floor=3)):
        r = ctx.rng("multilingual_coercion", k)
        block, asn = r.choice(blocks)
        acct = ctx.account(
            r,
            label=DISTILLER,
            campaign_id=cid,
            archetype="multilingual_trace_coercion",
            created_at=T0 + r.uniform(-5, 3) * DAY,
            email_domain=world.pick_weighted(r, world.WEBMAIL),
            payment=world.card(r),
            utc_offset=0.0,
            addr=nets.fixed([world.host_in24(r, block)], asn),
            uas=["OpenAI/Python 1.76.0"],
            parts="input_text" if k % 2 == 0 else "str",  # half the pool uses a Responses-style client
        )
        start = max(T0, acct.created_at) + r.uniform(0.1, 1) * DAY
        for ts in timing.spread(r, ctx.vol(r.randint(450, 750)), start, timing.window_end(), 0.0, world.FLAT_HOURS):
            lang, asks, questions = r.choice(phrasing.MULTILINGUAL)
            q = r.choice(questions).format(a=r.randint(3, 90), b=r.randint(2, 40), c=r.randint(2, 60))
            ask = r.choice(asks)
            text = f"{ask}\n\n{q}" if r.random() < 0.5 else f"{q}\n\n{ask}"
            msgs: list[Message] = [("user", text)]
            ctx.emit(
                acct,
                ts,
                r,
                model=_pivot(r, ts, 0.6),
                messages=msgs,
                response=_LANG_REPLY[lang],
                reasoning=_LANG_REPLY[lang],
                extra={"max_tokens": 8000, **_wants_reasoning(r)},
            )


def roleplay_extraction(ctx: Ctx, ids: Campaigns) -> None:
    """Jailbreak and role wrappers around reasoning-extraction asks, with replay follow-ups, from VPN exits shared
    by the campaign's new accounts, at an operator's working hours."""
    rng = ctx.rng("roleplay_extraction")
    cid = ids.new("roleplay_wrapper_extraction")
    vpn = [world.VPN["m247"], world.VPN["datacamp"]]
    exits = [(world.v4_in(rng, v), v.asn) for v in vpn for _ in range(5)]
    picker = tasks.mix([(tasks.gsm8k, 30), (tasks.arena_math, 20), (tasks.arena, 25), (tasks.mt_reasoning, 25)])
    for k in range(ctx.count(8, floor=3)):
        r = ctx.rng("roleplay_extraction", k)
        signup = T0 + r.uniform(0, 12) * DAY
        acct = ctx.account(
            r,
            label=DISTILLER,
            campaign_id=cid,
            archetype="roleplay_wrapper_extraction",
            created_at=signup,
            email_domain=r.choice(("proton.me", *world.DISPOSABLE[:4])),
            payment=world.card(r, r.choice(world.VIRTUAL_BINS)),
            utc_offset=3.0,
            addr=nets.pool(exits),
            uas=[r.choice((world.browser(r), world.openai_python(r)))],
        )
        target = ctx.vol(r.randint(200, 400))
        while acct.requests < target:
            day = r.randint(int((signup - T0) // DAY) + 1, timing.SPAN_DAYS - 1)
            ts = timing.session_start(r, day, 3.0, world.OFFICE_HOURS)
            for _ in range(r.randint(4, 15)):
                item = picker(ctx.corpus, r)
                wrapped = r.choice(phrasing.ROLE_WRAPPERS).format(q=item.text)
                msgs: list[Message] = [("user", wrapped)]
                reply = reply_for(item, r, show_steps=True)
                ctx.emit(
                    acct,
                    ts,
                    r,
                    model=_pivot(r, ts, 0.5),
                    messages=msgs,
                    response=reply,
                    reasoning=reasoning_for(item, r),
                    extra=_wants_reasoning(r),
                )
                if r.random() < 0.3:
                    ts += r.uniform(10, 60)
                    follow = [*msgs, ("assistant", reply), ("user", r.choice(phrasing.REVEAL_ASKS))]
                    ctx.emit(
                        acct,
                        ts,
                        r,
                        model=_pivot(r, ts, 0.5),
                        messages=follow,
                        response="I can't share my internal reasoning verbatim, but here is a summary of the "
                        "approach: " + reasoning_for(item, r)[:200],
                        extra=_wants_reasoning(r),
                    )
                ts += r.uniform(20, 240)


def everyone(ctx: Ctx) -> None:
    ids = Campaigns()
    throwaway_pool(ctx, ids)
    low_and_slow(ctx, ids)
    framing(ctx, ids)
    hydra_relay(ctx, ids)
    cot_template_pool(ctx, ids)
    agentic_harvest(ctx, ids)
    judge_harvest(ctx, ids)
    rationale_backfill(ctx, ids)
    instruction_synthesis(ctx, ids)
    multilingual_coercion(ctx, ids)
    roleplay_extraction(ctx, ids)
