"""Benign customers, hard negatives included: each function adds one archetype's accounts and traffic.

The hard negatives are the ones the detection reference (section 6, "Hard negatives as the labs frame them") and
issue 15 name: batch evaluation (research groups, evaluation companies), templated app backends, heavy step-by-step
users, learners, and organisations behind one NAT egress with a shared card and e-mail domain.
"""

from __future__ import annotations

import random
from typing import Any

from . import nets, phrasing, tasks, timing, world
from .engine import Account, Ctx, Item, Message, perturb, reasoning_for, reply_for, reply_generic, tool_schema

DAY, HOUR, T0 = world.DAY, world.HOUR, world.T0
BENIGN = "benign"


def _created(rng: random.Random, lo_days: float, hi_days: float) -> float:
    return T0 - rng.uniform(lo_days, hi_days) * DAY


def _signup(rng: random.Random, new_p: float, lo_days: float, hi_days: float) -> tuple[float, int]:
    """When the account was made and the first day it can be active: a share of customers sign up inside the
    window (new accounts are not a sign of abuse on their own)."""
    if rng.random() < new_p:
        created = T0 + rng.uniform(0.0, timing.SPAN_DAYS - 6) * DAY
        return created, int((created - T0) // DAY) + 1
    return _created(rng, lo_days, hi_days), 0


def _reasoning_model(rng: random.Random, ts: float, adopt_p: float = 0.3) -> str:
    if ts > world.NEW_MODEL_AT + rng.uniform(0, 5) * DAY and rng.random() < adopt_p:
        return world.NEW_REASONING_MODEL
    return rng.choice(world.REASONING_MODELS)


def _think_extra(rng: random.Random, returned_p: float) -> tuple[dict[str, Any], bool]:
    """Whether the caller asked for a reasoning summary (and so got one back)."""
    if rng.random() < returned_p:
        summary = rng.choice(("auto", "auto", "detailed", "concise"))
        return {"reasoning": {"effort": rng.choice(("medium", "high")), "summary": summary}}, False
    return {}, True


def _maybe_error(rng: random.Random, p: float = 0.006) -> int:
    r = rng.random()
    if r < p * 0.6:
        return 500
    if r < p:
        return 400
    return 200


class ChatPool:
    """Held-out ShareGPT conversations handed out one by one; a conversation handed out again is retyped a little
    (greeting, sign-off, lower case), because no two people paste byte-identical chats."""

    def __init__(self, ctx: Ctx) -> None:
        self._chats = ctx.corpus.chats
        self._rng = ctx.rng("chat-pool")
        self._order: list[int] = []
        self._round = 0

    def next(self) -> list[str]:
        if not self._order:
            self._order = list(range(len(self._chats)))
            self._rng.shuffle(self._order)
            self._round += 1
        turns = self._chats[self._order.pop()][:6]
        if self._round == 1:
            return list(turns)
        r = self._rng
        return [_retype(t, r) for t in turns]


def _retype(text: str, rng: random.Random) -> str:
    return perturb(text, rng, phrasing.CHAT_PERTURB_PREFIX, phrasing.CHAT_PERTURB_SUFFIX)


def _conversation(
    ctx: Ctx,
    acct: Account,
    rng: random.Random,
    start: float,
    turns: list[str],
    *,
    system: str = "",
    model: str,
    extra: dict[str, Any] | None = None,
    reasoning_p: float = 0.0,
    gap_s: float = 90.0,
) -> float:
    """One multi-turn chat: every request carries the history so far, as chat front-ends send it."""
    history: list[Message] = [("system", system)] if system else []
    ts = start
    for text in turns:
        history.append(("user", text))
        item = Item(text, "")
        reply = reply_generic(text, rng)
        kwargs: dict[str, Any] = {}
        ext = dict(extra or {})
        if model in world.REASONING_MODELS or model == world.NEW_REASONING_MODEL:
            more, hidden = _think_extra(rng, reasoning_p)
            ext.update(more)
            kwargs = {"reasoning": reasoning_for(item, rng), "hidden_reasoning": hidden}
        status = _maybe_error(rng)
        ctx.emit(acct, ts, rng, model=model, messages=list(history), response=reply, status=status, extra=ext, **kwargs)
        history.append(("assistant", reply))
        ts += timing.think_gap(rng, gap_s)
    return ts


def chat_users(ctx: Ctx, chats: ChatPool) -> None:
    """Casual chat users: real held-out ShareGPT turns, a few requests a day at their own hours, home or phone."""
    # Carrier-grade NAT: a carrier's subscribers share a small set of public addresses.
    cgnat_rng = ctx.rng("cgnat")
    cgnat = {id(n): [(world.v4_in(cgnat_rng, n), n.asn) for _ in range(24)] for n in world.MOBILE}
    for i in range(ctx.count(215, floor=4)):
        rng = ctx.rng("chat_user", i)
        country = world.pick_country(rng)
        mobile = rng.random() < 0.3
        if mobile:
            net = world.mobile_for(rng, country.code)
            addr = nets.pool(cgnat[id(net)]) if not (net.v6 and rng.random() < 0.5) else nets.home(rng, net, v6=True)
            uas = [world.browser(rng, mobile=True)]
        else:
            net = world.residential_for(rng, country.code)
            addr = nets.home(rng, net, v6=rng.random() < 0.35)
            uas = [world.browser(rng) if rng.random() < 0.85 else world.script_or_sdk(rng)]
        created, first_day = _signup(rng, 0.1, 15, 900)
        acct = ctx.account(
            rng,
            label=BENIGN,
            campaign_id="",
            archetype="chat_user",
            created_at=created,
            email_domain=world.personal_email(rng),
            payment=world.card(rng) if rng.random() < 0.85 else None,
            utc_offset=country.utc_offset,
            addr=addr,
            uas=uas,
            parts=rng.choices(("str", "text", "input_text"), weights=(70, 20, 10))[0],
        )
        days = timing.active_days(rng, rng.uniform(0.12, 0.5), first=first_day)
        n_conv = max(1, timing.poisson(rng, len(days) * rng.uniform(1.0, 2.2) * ctx.volume))
        system = "You are a helpful assistant." if rng.random() < 0.4 else ""
        thinker = rng.random() < 0.2
        extra: dict[str, Any] = {"stream": True} if rng.random() < 0.6 else {}
        if rng.random() < 0.3:
            extra["temperature"] = rng.choice((0.7, 1.0, 0.5))
        for _ in range(n_conv):
            start = timing.session_start(rng, rng.choice(days), country.utc_offset, world.HUMAN_HOURS)
            model = _reasoning_model(rng, start) if thinker and rng.random() < 0.4 else rng.choice(world.CHAT_MODELS)
            _conversation(ctx, acct, rng, start, chats.next(), system=system, model=model, extra=extra, reasoning_p=0.5)


_HOMEWORK = tasks.mix(
    [
        (tasks.gsm8k, 40),
        (tasks.mt_reasoning, 15),
        (tasks.arena_math, 8),
        (tasks.seed_task, 15),
        (tasks.oasst, 10),
        (tasks.vicuna, 7),
        (tasks.humaneval, 5),
    ]
)


def learners(ctx: Ctx) -> None:
    """Students doing homework: about a quarter of questions ask to be walked through step by step."""
    for i in range(ctx.count(90, floor=3)):
        rng = ctx.rng("learner", i)
        country = world.pick_country(rng)
        net = world.residential_for(rng, country.code)
        created, first_day = _signup(rng, 0.12, 20, 380)
        acct = ctx.account(
            rng,
            label=BENIGN,
            campaign_id="",
            archetype="learner_step_by_step",
            created_at=created,
            email_domain=world.personal_email(rng),
            payment=world.card(rng) if rng.random() < 0.6 else None,
            utc_offset=country.utc_offset,
            addr=nets.home(rng, net, renumber_p=0.0),
            uas=[world.browser(rng) if rng.random() < 0.7 else world.script_or_sdk(rng)],
            parts="text" if rng.random() < 0.15 else "str",
        )
        target = ctx.vol(timing.lognormal_int(rng, 38, 0.45, 12, 120))
        ask_share = rng.uniform(0.15, 0.35)
        thinker = rng.random() < 0.3
        while acct.requests < target:
            day = rng.randrange(first_day, timing.SPAN_DAYS)
            ts = timing.session_start(rng, day, country.utc_offset, world.STUDENT_HOURS)
            for _ in range(rng.randint(2, 7)):
                ts = _homework_request(ctx, acct, rng, ts, ask_share, thinker)


def _homework_request(ctx: Ctx, acct: Account, rng: random.Random, ts: float, ask_share: float, thinker: bool) -> float:
    item = _HOMEWORK(ctx.corpus, rng)
    asks = rng.random() < ask_share
    text = item.text
    if asks:
        ask = rng.choice(phrasing.STEP_ASKS)
        text = f"{text}\n\n{ask}" if rng.random() < 0.75 else f"{ask}\n\n{text}"
    model = _reasoning_model(rng, ts) if thinker and rng.random() < 0.5 else rng.choice(world.CHAT_MODELS)
    kwargs: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    if model not in world.CHAT_MODELS:
        extra, hidden = _think_extra(rng, 0.4)
        kwargs = {"reasoning": reasoning_for(item, rng), "hidden_reasoning": hidden}
    reply = reply_for(item, rng, show_steps=asks)
    messages: list[Message] = [("user", text)]
    ctx.emit(acct, ts, rng, model=model, messages=messages, response=reply, extra=extra, **kwargs)
    if rng.random() < 0.15:
        ts += timing.think_gap(rng, 70)
        follow = rng.choice(phrasing.LEARNER_FOLLOWUPS).format(n=item.answer or rng.randint(2, 90))
        messages = [*messages, ("assistant", reply), ("user", follow)]
        ctx.emit(
            acct, ts, rng, model=model, messages=messages, response=reply_generic(follow, rng), extra=extra, **kwargs
        )
    return ts + timing.think_gap(rng, 240)


def research_groups(ctx: Ctx) -> None:
    """University labs running benchmark suites: lab mates on one /24, often one grant card and one domain."""
    unis = list(world.UNIVERSITIES)
    ctx.rng("research-unis").shuffle(unis)
    for g in range(ctx.count(8, floor=2)):
        rng = ctx.rng("research_group", g)
        uni = unis[g % len(unis)]
        lab24 = world.subnet24(rng, uni.prefix)
        cluster24 = world.subnet24(rng, uni.prefix)
        cluster_ips = [world.host_in24(rng, cluster24) for _ in range(rng.randint(1, 3))]
        offset = world.COUNTRY[uni.country].utc_offset
        shared_card = world.card(rng) if rng.random() < 0.65 else None
        members = []
        for _ in range(rng.randint(3, 8)):
            desk = world.host_in24(rng, lab24)
            home_net = world.residential_for(rng, uni.country)
            addr = nets.mixed([(nets.fixed([desk], uni.asn), 0.7), (nets.home(rng, home_net), 0.3)])
            members.append(
                ctx.account(
                    rng,
                    label=BENIGN,
                    campaign_id="",
                    archetype="research_group_benchmarks",
                    created_at=_created(rng, 60, 420),
                    email_domain=uni.domain if rng.random() < 0.85 else "gmail.com",
                    payment=shared_card or world.card(rng),
                    utc_offset=offset,
                    addr=addr,
                    uas=[world.browser(rng), world.openai_python(rng, asynchronous=rng.random() < 0.5)],
                )
            )
        for _ in range(rng.randint(2, 5)):
            runner = rng.choice(members)
            _benchmark_run(ctx, runner, rng, nets.fixed(cluster_ips, uni.asn))
        for acct in members:
            _ordinary_use(ctx, acct, rng, ctx.vol(timing.lognormal_int(rng, 30, 0.5, 8, 90)), world.OFFICE_HOURS)


def _benchmark_run(
    ctx: Ctx,
    acct: Account,
    rng: random.Random,
    cluster: nets.AddrFn,
    *,
    concurrency: int | None = None,
    start: float | None = None,
) -> None:
    """One harness run: a benchmark's questions in a burst, one wrapper, one or more models, temperature 0."""
    c = ctx.corpus
    suite = rng.choice(("gsm8k", "gsm8k", "humaneval", "mt_bench", "arena", "vicuna"))
    if suite == "gsm8k":
        picked = rng.sample(c.gsm8k, ctx.vol(rng.choice((200, 250, 300, 500, len(c.gsm8k)))))
        items = [tasks.item_math(m) for m in picked]
        wrapper = rng.choice(phrasing.EVAL_MATH_WRAPPERS)
        shots = rng.sample(c.gsm8k, 4) if rng.random() < 0.3 else []
        prefix = "".join(f"Question: {s.question}\nAnswer: {s.solution} The answer is {s.final}.\n\n" for s in shots)
    elif suite == "humaneval":
        items = [tasks.item_code(x) for x in c.humaneval][: ctx.vol(len(c.humaneval))]
        wrapper, prefix = rng.choice(phrasing.EVAL_CODE_WRAPPERS), ""
    elif suite == "mt_bench":
        items = [Item(t[0], "") for _, t in c.mt_bench][: ctx.vol(len(c.mt_bench))]
        wrapper, prefix = "{q}", ""
    elif suite == "arena":
        items = [Item(t, "") for t in rng.sample(c.arena_v01, ctx.vol(rng.choice((150, 250, 500))))]
        wrapper, prefix = "{q}", ""
    else:
        items = [Item(t, "") for t in c.vicuna][: ctx.vol(len(c.vicuna))]
        wrapper, prefix = "{q}", ""
    system = rng.choice(phrasing.EVAL_SYSTEMS)
    when = start if start is not None else T0 + rng.uniform(0.2, timing.SPAN_DAYS - 1.5) * DAY
    models = _eval_models(rng, when)
    conc = concurrency or rng.choice((1, 4, 8, 16))
    temperature = 0.0 if rng.random() < 0.8 else 0.8
    samples = 1 if temperature == 0 or suite != "humaneval" else rng.choice((1, 5))
    ua = acct.uas[-1]
    ts = when
    for model in models:
        for item in items:
            for _ in range(samples):
                ts += rng.expovariate(conc / rng.uniform(4.0, 14.0))
                text = prefix + wrapper.format(q=item.text)
                msgs: list[Message] = ([("system", system)] if system else []) + [("user", text)]
                extra = {"temperature": temperature, "max_tokens": rng.choice((512, 1024, 2048)), "seed": 1234}
                if model == world.LEGACY_COMPLETION_MODEL:
                    ctx.emit(
                        acct,
                        ts,
                        rng,
                        model=model,
                        prompt=text,
                        response=reply_for(item, rng),
                        extra=extra,
                        ua=ua,
                        addr=cluster(rng, ts),
                    )
                    continue
                kwargs: dict[str, Any] = {}
                if model not in world.CHAT_MODELS:
                    kwargs = {"reasoning": reasoning_for(item, rng), "hidden_reasoning": True}
                status = 429 if conc >= 16 and rng.random() < 0.04 else 200
                ctx.emit(
                    acct,
                    ts,
                    rng,
                    model=model,
                    messages=msgs,
                    response=reply_for(item, rng, show_steps=True),
                    extra=extra,
                    ua=ua,
                    addr=cluster(rng, ts),
                    status=status,
                    **kwargs,
                )
                if status == 429:
                    ts += rng.uniform(0.5, 4.0)
                    ctx.emit(
                        acct,
                        ts,
                        rng,
                        model=model,
                        messages=msgs,
                        response=reply_for(item, rng),
                        extra=extra,
                        ua=ua,
                        addr=cluster(rng, ts),
                        **kwargs,
                    )
        ts += rng.uniform(0.5, 6) * HOUR


def _eval_models(rng: random.Random, when: float) -> list[str]:
    models = rng.sample([*world.CHAT_MODELS, *world.REASONING_MODELS], rng.randint(1, 2))
    if rng.random() < 0.15:  # harnesses that score completions on the legacy endpoint
        models = [world.LEGACY_COMPLETION_MODEL]
    # Labs test a new model the day it ships: a hard negative for "pivot within 24 hours".
    if when > world.NEW_MODEL_AT and rng.random() < 0.6:
        models = [world.NEW_REASONING_MODEL, *models[:1]]
    return models


_EVERYDAY = tasks.mix(
    [
        (tasks.chat_turn, 30),
        (tasks.oasst, 20),
        (tasks.arena, 20),
        (tasks.user_task, 15),
        (tasks.vicuna, 10),
        (tasks.creative, 5),
    ]
)


def _ordinary_use(
    ctx: Ctx,
    acct: Account,
    rng: random.Random,
    n: int,
    profile: tuple[float, ...],
    picker: tasks.Picker = _EVERYDAY,
    system: str = "",
    keys: list[str] | None = None,
    user_id: str | None = None,
) -> None:
    times = timing.spread(rng, n, T0, timing.window_end(), acct.utc_offset, profile, weekend_factor=0.3)
    for ts in times:
        item = picker(ctx.corpus, rng)
        msgs: list[Message] = ([("system", system)] if system else []) + [("user", item.text)]
        model = rng.choice(world.CHAT_MODELS) if rng.random() < 0.8 else _reasoning_model(rng, ts)
        kwargs: dict[str, Any] = {}
        if model not in world.CHAT_MODELS:
            kwargs = {"reasoning": reasoning_for(item, rng), "hidden_reasoning": rng.random() < 0.6}
        ctx.emit(
            acct,
            ts,
            rng,
            model=model,
            messages=msgs,
            response=reply_for(item, rng),
            ua=acct.uas[0],
            key=rng.choice(keys) if keys else None,
            user_id=user_id,
            status=_maybe_error(rng),
            **kwargs,
        )


def app_backends(ctx: Ctx) -> None:
    """Products on the API: one fixed system prompt, 24/7 traffic from a few cloud IPs, many end users."""
    for i in range(ctx.count(16, floor=3)):
        rng = ctx.rng("app_backend", i)
        kind, system_t, source = phrasing.APP_PRODUCTS[i % len(phrasing.APP_PRODUCTS)]
        brand = phrasing.BRANDS[i % len(phrasing.BRANDS)] + ("" if i < len(phrasing.BRANDS) else f" {i}")
        region = rng.choice(("aws-us", "aws-us", "gcp", "azure", "aws-eu", "digitalocean", "hetzner", "aws-ap"))
        ips, asn = nets.cloud_ips(rng, region, rng.randint(2, 4))
        market = world.pick_country(rng)
        domain = brand.lower().replace(" ", "") + rng.choice((".com", ".io", ".app", ".ai"))
        launch = _signup(rng, 0.15, 90, 720)[0]
        acct = ctx.account(
            rng,
            n_keys=rng.randint(1, 3),
            label=BENIGN,
            campaign_id="",
            archetype="app_backend",
            created_at=launch,
            email_domain=domain,
            payment=world.card(rng),
            utc_offset=market.utc_offset,
            addr=nets.fixed(ips, asn),
            uas=[rng.choice((world.script_or_sdk(rng), world.openai_js(rng), "Go-http-client/2.0", "axios/1.7.7"))],
            parts="text" if rng.random() < 0.25 else "str",
        )
        n = ctx.vol(timing.lognormal_int(rng, 2700, 0.5, 700, 9000))
        users = [_user_id(rng, i) for _ in range(timing.lognormal_int(rng, 600, 0.8, 60, 5000))]
        passes_user = rng.random() < 0.75
        model = rng.choice(world.CHAT_MODELS[::-1]) if rng.random() < 0.85 else world.REASONING_MODELS[1]
        legacy = kind == "product_copy" and rng.random() < 0.6
        system = system_t.format(brand=brand)
        # A product launched inside the window goes from nothing to full traffic on its first day.
        start = max(T0, launch + rng.uniform(0.1, 1.0) * DAY)
        n = round(n * (timing.window_end() - start) / (timing.window_end() - T0))
        for ts in timing.spread(rng, n, start, timing.window_end(), market.utc_offset, world.APP_HOURS, 0.8):
            _app_request(ctx, acct, rng, ts, system, source, model, legacy, rng.choice(users) if passes_user else None)


def _user_id(rng: random.Random, app: int) -> str:
    style = app % 3
    if style == 0:
        return f"u_{rng.getrandbits(40):d}"
    if style == 1:
        return f"{rng.getrandbits(64):016x}"
    return f"user-{rng.randint(1000, 999999)}"


def _app_text(ctx: Ctx, rng: random.Random, source: str) -> Item:
    c = ctx.corpus
    p = phrasing
    if source == "recipe":
        a, b, d = rng.sample(p.INGREDIENTS, 3)
        return Item(rng.choice(p.RECIPE_ASKS).format(a=a, b=b, c=d), "")
    if source == "travel":
        return Item(rng.choice(p.TRAVEL_ASKS).format(n=rng.randint(2, 10), city=rng.choice(p.CITIES)), "")
    if source == "email":
        return Item(rng.choice(p.EMAIL_NOTES).format(name=rng.choice(p.NAMES)), "")
    if source == "product":
        return Item(f"Product: {rng.choice(p.PRODUCTS)}", "")
    if source == "ticket":
        return Item(
            rng.choice(p.TICKETS), '{"category": "how_to", "urgency": 2, "summary": "customer question"}', kind="given"
        )
    if source == "language":
        return Item(rng.choice(p.LANGUAGE_LINES), "")
    if source == "homework":
        return _HOMEWORK(c, rng)
    if source == "code":
        x = rng.choice(c.humaneval)
        return Item(f"```python\n{x.prompt}{x.solution}```", "")
    if source == "user_tasks":
        return tasks.user_task(c, rng)
    if source == "chat":
        return tasks.chat_turn(c, rng)
    return tasks.mix([(tasks.oasst, 4), (tasks.vicuna, 2), (tasks.arena, 2), (tasks.chat_turn, 2)])(c, rng)


_APP_REPLIES = {
    "email": (
        "Hi,\n\nI hope you're doing well. Following up on the points below: {t}. Could you let me know by "
        "Thursday whether this works for you?\n\nBest regards",
        "Hello,\n\nThank you for your time. As discussed, {t}. Happy to set up a short call if that helps.\n\nKind "
        "regards",
    ),
    "recipe": (
        "Try a one-pan bake: roast everything at 200°C / 400°F for 25 minutes with olive oil, garlic and lemon. "
        "Serves 2. Allergens: none of the common ones unless you add cheese (dairy).",
        "A quick stir-fry works well: 10 minutes prep, 8 minutes cooking. Use 2 tbsp soy sauce (contains soy and "
        "wheat) and serve over rice.",
    ),
    "travel": (
        "Day 1: old town walking tour and a food market lunch. Day 2: museums in the morning, viewpoint at sunset. "
        "Rainy-day option: the covered market and a cooking class. Budget: about 120 EUR per person per day.",
    ),
    "product": (
        "Built for everyday use, this {t} keeps up with busy days without fuss. Thoughtful details make it easy to "
        "live with, and it is made to last.\n\nSpecs: see listing for dimensions, materials and care.",
    ),
    "language": (
        "Almost! A more natural version is below. The verb needs the past tense here, and the word order changes "
        "after the time expression. Another example with the same pattern follows.",
    ),
}


def _app_reply(source: str, item: Item, rng: random.Random) -> str:
    bank = _APP_REPLIES.get(source)
    if bank is None:
        return reply_for(item, rng, show_steps=source == "homework")
    return rng.choice(bank).format(t=item.text.removeprefix("Product: ")[:120])


def _app_request(
    ctx: Ctx,
    acct: Account,
    rng: random.Random,
    ts: float,
    system: str,
    source: str,
    model: str,
    legacy: bool,
    user: str | None,
) -> None:
    item = _app_text(ctx, rng, source)
    key = acct.keys[0] if rng.random() < 0.93 else rng.choice(acct.keys)
    extra: dict[str, Any] = {"temperature": 0.3} if source in ("ticket", "user_tasks") else {}
    if source == "ticket":
        extra["response_format"] = {"type": "json_object"}
    if rng.random() < 0.5:
        extra["max_tokens"] = 800
    kwargs: dict[str, Any] = {}
    if model not in world.CHAT_MODELS:
        kwargs = {"reasoning": reasoning_for(item, rng), "hidden_reasoning": True}
    reply = _app_reply(source, item, rng)
    status = _maybe_error(rng, 0.004)
    if legacy:
        ctx.emit(
            acct,
            ts,
            rng,
            model=world.LEGACY_COMPLETION_MODEL,
            prompt=f"{system}\n\n{item.text}\n\n",
            response=reply,
            key=key,
            user_id=user,
            extra=extra,
            status=status,
        )
        return
    msgs: list[Message] = [("system", system)]
    if rng.random() < 0.25:
        earlier = _app_text(ctx, rng, source)
        msgs += [("user", earlier.text), ("assistant", reply_for(earlier, rng))]
    msgs.append(("user", item.text))
    ctx.emit(
        acct,
        ts,
        rng,
        model=model,
        messages=msgs,
        response=reply,
        key=key,
        user_id=user,
        extra=extra,
        status=status,
        **kwargs,
    )


def enterprises(ctx: Ctx) -> list[Account]:
    """Companies behind one NAT egress: many employee accounts (or one account with a key each), office hours,
    one corporate card and e-mail domain, diverse everyday use."""
    out: list[Account] = []
    for e in range(ctx.count(4, floor=2)):
        rng = ctx.rng("enterprise", e)
        name, domain = phrasing.COMPANIES[e % len(phrasing.COMPANIES)]
        country = world.COUNTRY[rng.choice(("US-E", "US-W", "GB", "DE", "US-C", "IN", "SG"))]
        if rng.random() < 0.5:
            net = world.VPN["zscaler"]
            egress24 = world.subnet24(rng, rng.choice(net.v4))
            asn = net.asn
        else:
            egress24 = world.subnet24(rng, rng.choice(("12.161", "12.227", "162.95", "198.185", "206.71")))
            asn = 7018
        egress = nets.fixed([world.host_in24(rng, egress24, 16, 30) for _ in range(rng.randint(1, 4))], asn)
        corp_card = world.card(rng)
        system = rng.choice(phrasing.ENTERPRISE_SYSTEMS).format(brand=name.split()[0])
        ua = rng.choice((world.browser(rng), world.openai_python(rng)))
        if rng.random() < 0.3:
            acct = ctx.account(
                rng,
                n_keys=rng.randint(10, 30),
                label=BENIGN,
                campaign_id="",
                archetype="enterprise_nat",
                created_at=_created(rng, 200, 900),
                email_domain=domain,
                payment=corp_card,
                utc_offset=country.utc_offset,
                addr=egress,
                uas=[ua],
            )
            out.append(acct)
            for k in acct.keys:
                employee = f"{rng.getrandbits(48):012x}"
                _ordinary_use(
                    ctx,
                    acct,
                    rng,
                    ctx.vol(timing.lognormal_int(rng, 55, 0.6, 5, 200)),
                    world.OFFICE_HOURS,
                    _ENTERPRISE_WORK,
                    system,
                    keys=[k],
                    user_id=employee,
                )
            continue
        for _ in range(rng.randint(12, 30)):
            acct = ctx.account(
                rng,
                label=BENIGN,
                campaign_id="",
                archetype="enterprise_nat",
                created_at=_created(rng, 30, 900),
                email_domain=domain,
                payment=corp_card,
                utc_offset=country.utc_offset,
                addr=egress,
                uas=[ua],
            )
            out.append(acct)
            _ordinary_use(
                ctx,
                acct,
                rng,
                ctx.vol(timing.lognormal_int(rng, 55, 0.6, 5, 200)),
                world.OFFICE_HOURS,
                _ENTERPRISE_WORK,
                system,
            )
    return out


def _enterprise_work(c: Any, rng: random.Random) -> Item:
    base = _EVERYDAY(c, rng)
    return Item(rng.choice(phrasing.ENTERPRISE_TASKS).format(t=base.text), "")


_ENTERPRISE_WORK: tasks.Picker = _enterprise_work


def framed_customer(ctx: Ctx) -> Account:
    """An established retailer whose support bot runs on the API; the framing campaign copies its system prompt."""
    rng = ctx.rng("framed_customer")
    ips, asn = nets.cloud_ips(rng, "aws-us", 3)
    acct = ctx.account(
        rng,
        n_keys=3,
        label=BENIGN,
        campaign_id="",
        archetype="framed_customer",
        created_at=_created(rng, 400, 700),
        email_domain="harborlineoutdoor.com",
        payment=world.card(rng),
        utc_offset=-7.0,
        addr=nets.fixed(ips, asn),
        uas=["OpenAI/JS 4.77.0"],
    )
    n_convs = ctx.vol(ctx.count(1400, alpha=0.5, floor=300))
    for ts in timing.spread(rng, n_convs, T0, timing.window_end(), -6.0, world.APP_HOURS, 1.1):
        shopper = f"shopper_{rng.randint(10_000_000, 99_999_999)}"
        msgs: list[Message] = [("system", phrasing.SUPPORT_SYSTEM)]
        for _ in range(rng.choice((1, 1, 2, 2, 3, 4))):
            msgs.append(("user", support_question(rng)))
            reply = _support_reply(rng)
            ctx.emit(
                acct,
                ts,
                rng,
                model="aurora-3-mini",
                messages=list(msgs),
                response=reply,
                user_id=shopper,
                key=acct.keys[0],
                extra={"temperature": 0.2, "max_tokens": 400},
                status=_maybe_error(rng, 0.003),
            )
            msgs.append(("assistant", reply))
            ts += timing.think_gap(rng, 50)
    return acct


def support_question(rng: random.Random) -> str:
    return rng.choice(phrasing.SUPPORT_ASKS).format(
        order=f"HL-{rng.randint(100000, 999999)}", item=rng.choice(phrasing.SUPPORT_ITEMS)
    )


_SUPPORT_REPLIES = (
    "Thanks for reaching out! Could you share your order number so I can look into this?",
    "I'm sorry about that. Items can be returned or exchanged within 45 days. I can start that for you now.",
    "Our jackets run true to size; if you're between sizes, go up one for layering.",
    "That sounds like a stitching issue, which is covered for life. I'll open a warranty claim for you.",
    "I understand. Let me connect you with a member of our team. HANDOFF",
    "Refunds are issued within 5-7 business days after we receive your return.",
)


def _support_reply(rng: random.Random) -> str:
    return f"{rng.choice(_SUPPORT_REPLIES)}\n\nTally from Harborline"


def agent_developers(ctx: Ctx) -> None:
    """Developers building tool-using agents: tool schemas, tool calls, and the same test prompt re-run while
    debugging (near-identical requests minutes apart)."""
    for i in range(ctx.count(26, floor=2)):
        rng = ctx.rng("agent_developer", i)
        country = world.pick_country(rng)
        home_net = world.residential_for(rng, country.code)
        ci_ips, ci_asn = nets.cloud_ips(rng, "azure", 6)
        created, first_day = _signup(rng, 0.12, 20, 600)
        acct = ctx.account(
            rng,
            n_keys=rng.randint(1, 3),
            label=BENIGN,
            campaign_id="",
            archetype="agent_developer",
            created_at=created,
            email_domain=world.personal_email(rng),
            payment=world.card(rng),
            utc_offset=country.utc_offset,
            addr=nets.mixed(
                [(nets.home(rng, home_net, v6=rng.random() < 0.3), 0.8), (nets.fixed(ci_ips, ci_asn), 0.2)]
            ),
            uas=[
                rng.choice((world.script_or_sdk(rng), "langchain4j-openai", "smolagents/1.20.0", world.openai_js(rng)))
            ],
        )
        system = rng.choice(phrasing.AGENT_SYSTEMS)
        tools = tool_schema(rng.sample(phrasing.AGENT_TOOLS, rng.randint(2, 5)))
        target = ctx.vol(timing.lognormal_int(rng, 170, 0.5, 40, 600))
        while acct.requests < target:
            day = rng.randrange(first_day, timing.SPAN_DAYS)
            start = timing.session_start(rng, day, country.utc_offset, world.HUMAN_HOURS)
            task = rng.choice(phrasing.AGENT_TASKS).format(city=rng.choice(phrasing.CITIES))
            ts = start
            for _ in range(rng.choice((1, 1, 2, 3, 5, 8))):  # re-runs of the same test prompt
                ts = _agent_turns(ctx, acct, rng, ts, system, task, tools)
                ts += rng.uniform(20, 400)


def _agent_turns(
    ctx: Ctx, acct: Account, rng: random.Random, ts: float, system: str, task: str, tools: list[dict[str, Any]]
) -> float:
    msgs: list[Message] = [("system", system), ("user", task)]
    model = rng.choice(world.CHAT_MODELS)
    extra = {"temperature": rng.choice((0, 0.2, 0.7)), "tool_choice": "auto"}
    for _ in range(rng.randint(0, 2)):
        ctx.emit(
            acct,
            ts,
            rng,
            model=model,
            messages=list(msgs),
            response="",
            tool_calls=rng.randint(1, 2),
            tools=tools,
            extra=extra,
        )
        name = tools[rng.randrange(len(tools))]["function"]["name"]
        msgs += [("assistant", ""), ("tool", f'{{"tool": "{name}", "ok": true, "result": "{rng.randint(1, 999)}"}}')]
        ts += rng.uniform(0.8, 6)
    ctx.emit(
        acct,
        ts,
        rng,
        model=model,
        messages=msgs,
        response=reply_generic(task, rng),
        tool_calls=0,
        tools=tools,
        extra=extra,
    )
    return ts + rng.uniform(1, 8)


def eval_companies(ctx: Ctx) -> None:
    """Evaluation vendors: scheduled benchmark runs and LLM-as-judge grading for clients, high concurrency."""
    for i in range(ctx.count(3, floor=1)):
        rng = ctx.rng("eval_company", i)
        ips, asn = nets.cloud_ips(rng, rng.choice(("gcp", "aws-us", "aws-eu")), 4)
        name = ("evalworks.ai", "benchmarklab.io", "gradewise.co", "scorecard-ai.com", "metricly.dev")[i % 5]
        acct = ctx.account(
            rng,
            n_keys=rng.randint(3, 8),
            label=BENIGN,
            campaign_id="",
            archetype="eval_company",
            created_at=_created(rng, 250, 800),
            email_domain=name,
            payment=world.card(rng),
            utc_offset=-4.0,
            addr=nets.fixed(ips, asn),
            uas=[world.openai_python(rng, asynchronous=True)],
        )
        for night in range(0, timing.SPAN_DAYS, rng.choice((2, 3, 4))):
            start = T0 + night * DAY + rng.uniform(1.5, 3.5) * HOUR
            if rng.random() < 0.3:
                _benchmark_run(ctx, acct, rng, acct.addr, concurrency=32, start=start)
            _judge_batch(ctx, acct, rng, start + rng.uniform(3, 8) * HOUR, ctx.vol(rng.randint(80, 300)))


def _judge_batch(ctx: Ctx, acct: Account, rng: random.Random, ts: float, n: int) -> None:
    c = ctx.corpus
    key = rng.choice(acct.keys)
    for _ in range(n):
        ts += rng.expovariate(1 / 1.5)
        if rng.random() < 0.4:
            m = rng.choice(c.gsm8k)
            candidate = rng.choice((m.final, m.final, str(rng.randint(1, 500))))
            text = phrasing.EVAL_JUDGE_TEMPLATES[2].format(ref=m.final, a=candidate)
            reply = "CORRECT" if candidate == m.final else "INCORRECT"
        else:
            q = rng.choice(c.arena_v01 + c.vicuna)
            text = rng.choice(phrasing.EVAL_JUDGE_TEMPLATES[:2]).format(
                q=q, a=reply_generic(q, rng), b=reply_generic(q, rng)
            )
            reply = f"Both answers address the question; the first is more specific. [[{rng.choice('ABC')}]]"
        ctx.emit(
            acct,
            ts,
            rng,
            model=rng.choice((world.CHAT_MODELS[0], world.REASONING_MODELS[0])),
            messages=[("user", text)],
            response=reply,
            key=key,
            extra={"temperature": 0, "max_tokens": 1024},
            status=429 if rng.random() < 0.03 else 200,
        )


_TRANSLATED = {
    "German": "Hier ist die Übersetzung des Textes.",
    "French": "Voici la traduction du texte.",
    "Spanish": "Aquí está la traducción del texto.",
    "Japanese": "以下がテキストの翻訳です。",
    "Brazilian Portuguese": "Aqui está a tradução do texto.",
    "Korean": "다음은 텍스트의 번역입니다.",
    "Italian": "Ecco la traduzione del testo.",
    "Dutch": "Hier is de vertaling van de tekst.",
    "Polish": "Oto tłumaczenie tekstu.",
    "Simplified Chinese": "以下是文本的翻译。",
    "Turkish": "İşte metnin çevirisi.",
    "Indonesian": "Berikut terjemahan teksnya.",
}


def translation_services(ctx: Ctx) -> None:
    """Localisation services: a fixed translate instruction, texts from many customers, around the clock."""
    for i in range(ctx.count(4, floor=1)):
        rng = ctx.rng("translation_service", i)
        ips, asn = nets.cloud_ips(rng, rng.choice(("aws-eu", "hetzner", "gcp")), 2)
        acct = ctx.account(
            rng,
            n_keys=2,
            label=BENIGN,
            campaign_id="",
            archetype="translation_service",
            created_at=_created(rng, 120, 900),
            email_domain=f"{rng.choice(('lingua', 'trans', 'loca'))}{rng.choice(('bridge', 'flow', 'ly', 'hub'))}.com",
            payment=world.card(rng),
            utc_offset=2.0,
            addr=nets.fixed(ips, asn),
            uas=[rng.choice((world.openai_python(rng), "Go-http-client/2.0"))],
        )
        template = rng.choice(phrasing.TRANSLATE_SYSTEMS)
        picker = tasks.mix([(tasks.chat_turn, 3), (tasks.oasst, 2), (tasks.seed_task, 2), (tasks.user_task, 2)])
        n = ctx.vol(timing.lognormal_int(rng, 1500, 0.4, 500, 5000))
        customers = [f"cust_{rng.randint(1000, 9999)}" for _ in range(rng.randint(5, 60))]
        for ts in timing.spread(rng, n, T0, timing.window_end(), 2.0, world.APP_HOURS, 0.7):
            lang = rng.choice(phrasing.TARGET_LANGS)
            text = picker(ctx.corpus, rng).text
            ctx.emit(
                acct,
                ts,
                rng,
                model=world.CHAT_MODELS[0],
                messages=[("system", template.format(lang=lang)), ("user", text)],
                response=_TRANSLATED[lang],
                user_id=rng.choice(customers),
                extra={"temperature": 0.2},
                status=_maybe_error(rng, 0.003),
            )


_HARD = tasks.mix(
    [
        (tasks.arena_math, 25),
        (tasks.arena_coding, 20),
        (tasks.gsm8k, 15),
        (tasks.mt_reasoning, 15),
        (tasks.humaneval, 10),
        (tasks.arena, 15),
    ]
)


def power_users(ctx: Ctx) -> None:
    """Heavy reasoning-model users who ask for rigorous, step-by-step work most of the time."""
    for i in range(ctx.count(15, floor=2)):
        rng = ctx.rng("power_user", i)
        country = world.pick_country(rng)
        acct = ctx.account(
            rng,
            label=BENIGN,
            campaign_id="",
            archetype="reasoning_power_user",
            created_at=_created(rng, 60, 800),
            email_domain=world.personal_email(rng),
            payment=world.card(rng),
            utc_offset=country.utc_offset,
            addr=nets.home(rng, world.residential_for(rng, country.code), v6=rng.random() < 0.3),
            uas=[rng.choice((world.browser(rng), world.script_or_sdk(rng)))],
        )
        target = ctx.vol(timing.lognormal_int(rng, 280, 0.35, 120, 600))
        while acct.requests < target:
            ts = timing.session_start(rng, rng.randrange(timing.SPAN_DAYS), country.utc_offset, world.HUMAN_HOURS)
            for _ in range(rng.randint(3, 14)):
                item = _HARD(ctx.corpus, rng)
                r = rng.random()
                ask = (
                    rng.choice(phrasing.POWER_USER_ASKS)
                    if r < 0.5
                    else rng.choice(phrasing.STEP_ASKS)
                    if r < 0.65
                    else ""
                )
                text = f"{item.text}\n\n{ask}".strip()
                model = _reasoning_model(rng, ts, 0.5)
                extra, hidden = _think_extra(rng, 0.7)
                ctx.emit(
                    acct,
                    ts,
                    rng,
                    model=model,
                    messages=[("user", text)],
                    response=reply_for(item, rng, show_steps=True),
                    reasoning=reasoning_for(item, rng),
                    hidden_reasoning=hidden,
                    extra=extra,
                )
                ts += timing.think_gap(rng, 200)


_HARNESS_UA = {
    "aider": "aider/0.86.1",
    "openhands": "openhands/0.39.1",
    "cline": "OpenAI/JS 4.91.1",
    "continue": "OpenAI/JS 4.77.0",
    "opencode": "ai-sdk/openai/1.3.22",
}


def ide_users(ctx: Ctx) -> None:
    """Developers in coding harnesses (aider, OpenHands, Cline, Continue, opencode): harness system prompts, file
    context, tool loops of several quick requests."""
    for i in range(ctx.count(26, floor=2)):
        rng = ctx.rng("ide_user", i)
        country = world.pick_country(rng)
        harness, system = rng.choice(phrasing.HARNESS_SYSTEMS)
        acct = ctx.account(
            rng,
            label=BENIGN,
            campaign_id="",
            archetype="ide_coding_user",
            created_at=_created(rng, 30, 700),
            email_domain=world.personal_email(rng),
            payment=world.card(rng),
            utc_offset=country.utc_offset,
            addr=nets.home(rng, world.residential_for(rng, country.code), v6=rng.random() < 0.3),
            uas=[_HARNESS_UA[harness]],
        )
        tools = tool_schema(phrasing.HARNESS_TOOLS) if harness in ("cline", "openhands", "opencode") else None
        target = ctx.vol(timing.lognormal_int(rng, 170, 0.45, 50, 500))
        while acct.requests < target:
            ts = timing.session_start(
                rng,
                rng.randrange(timing.SPAN_DAYS),
                country.utc_offset,
                world.OFFICE_HOURS if rng.random() < 0.6 else world.HUMAN_HOURS,
            )
            _coding_session(ctx, acct, rng, ts, system, tools)


def _coding_session(
    ctx: Ctx, acct: Account, rng: random.Random, ts: float, system: str, tools: list[dict[str, Any]] | None
) -> None:
    c = ctx.corpus
    x = rng.choice(c.humaneval)
    ask = rng.choice(phrasing.CODE_ASKS).format(code=x.prompt + x.solution, q=rng.choice(c.arena_coding))
    msgs: list[Message] = [("system", system), ("user", ask)]
    model = rng.choice((*world.CHAT_MODELS, world.REASONING_MODELS[0]))
    for step in range(rng.randint(1, 9)):
        calls = rng.randint(1, 2) if tools and step < 8 and rng.random() < 0.7 else 0
        reply = "" if calls else f"Here is the updated code:\n\n```python\n{x.prompt}{x.solution}```"
        kwargs: dict[str, Any] = {}
        if model not in world.CHAT_MODELS:
            kwargs = {"reasoning": reasoning_for(Item(ask, "", kind="code"), rng), "hidden_reasoning": True}
        ctx.emit(
            acct,
            ts,
            rng,
            model=model,
            messages=list(msgs),
            response=reply,
            tool_calls=calls if tools else None,
            tools=tools,
            extra={"stream": True},
            **kwargs,
        )
        if calls:
            msgs += [("assistant", ""), ("tool", f"{x.entry_point}.py: {len(x.solution)} bytes\n{x.prompt[:300]}")]
        else:
            msgs += [
                ("assistant", reply),
                (
                    "user",
                    rng.choice(
                        (
                            "thanks, now run the tests",
                            "that fails, check the edge case",
                            "ok",
                            "can you also update the README?",
                        )
                    ),
                ),
            ]
        ts += rng.uniform(2, 40) if calls else timing.think_gap(rng, 120)


def redteam_vendors(ctx: Ctx) -> None:
    """Security firms running jailbreak probe suites (garak-style defaults) against the API for their clients."""
    c = ctx.corpus
    for i in range(ctx.count(3, floor=1)):
        rng = ctx.rng("redteam_vendor", i)
        ips, asn = nets.cloud_ips(rng, rng.choice(("aws-us", "gcp", "linode")), 2)
        acct = ctx.account(
            rng,
            label=BENIGN,
            campaign_id="",
            archetype="redteam_vendor",
            created_at=_created(rng, 100, 600),
            email_domain=("probeguard.io", "redlattice.com", "safetyforge.ai")[i % 3],
            payment=world.card(rng),
            utc_offset=-4.0,
            addr=nets.fixed(ips, asn),
            uas=["OpenAI/Python 2.54.0"],
        )
        extra = {
            "temperature": 0.7,
            "max_tokens": 150,
            "top_p": 1.0,
            "frequency_penalty": 0,
            "presence_penalty": 0,
            "n": 1,
        }
        for _ in range(rng.randint(2, 5)):
            ts = T0 + rng.uniform(0, timing.SPAN_DAYS - 1) * DAY
            for _ in range(ctx.vol(rng.randint(80, 250))):
                ts += rng.uniform(0.2, 3.0)
                question = rng.choice(c.forbidden)
                jb = rng.choice(c.jailbreaks)
                text = jb.replace("[INSERT PROMPT HERE]", question) if rng.random() < 0.7 else question
                ctx.emit(
                    acct,
                    ts,
                    rng,
                    model=rng.choice(world.CHAT_MODELS),
                    messages=[("user", text)],
                    response="I can't help with that.",
                    extra=extra,
                )


def everyone(ctx: Ctx) -> None:
    """Add every benign archetype."""
    chat_users(ctx, ChatPool(ctx))
    learners(ctx)
    research_groups(ctx)
    app_backends(ctx)
    enterprises(ctx)
    framed_customer(ctx)
    agent_developers(ctx)
    eval_companies(ctx)
    translation_services(ctx)
    power_users(ctx)
    ide_users(ctx)
    redteam_vendors(ctx)
