"""Accounts, the record writer and plausible responses: what every archetype shares.

A record is built the way a provider's log would hold it (spec v1, ../shared/spec/traffic-log.md): required
fields always, optional ones when the client or the provider had them. Token counts follow the text: about four
characters per token for Latin script and about one token per character for CJK, plus per-message overhead, as
OpenAI-style tokenizers count them. `completion_tokens` includes `reasoning_tokens` (OpenAI's usage convention);
the `reasoning` text returned is a summary, so the billed reasoning tokens exceed the visible ones (a median visible
share of 0.35-0.40 was measured by users, see the detection reference, section 3).
"""

from __future__ import annotations

import json
import random
import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import world
from .corpus import CodeItem, Corpus, MathItem

Message = tuple[str, str]  # (role, text)
Addr = tuple[str, int]  # (ip, asn)
_ALNUM = string.ascii_letters + string.digits


@dataclass
class Account:
    """One billing account and how its traffic looks on the wire."""

    account_id: str
    label: str
    campaign_id: str
    archetype: str
    created_at: float
    email_domain: str | None
    payment: str | None
    keys: list[str]
    utc_offset: float
    addr: Callable[[random.Random, float], Addr]  # the client address at a given time
    uas: list[str]
    parts: str = "str"  # user content as: str | text (parts list) | input_text (Responses-style parts)
    system_role: str = "system"  # newer clients send instructions as "developer" (OpenAI's reasoning-model role)
    requests: int = 0


@dataclass
class Item:
    """One question with what a model would answer: text, an optional worked solution and a final answer."""

    text: str
    answer: str
    steps: str = ""
    kind: str = "general"  # math | code | general | foreign


def tokens(text: str) -> int:
    if not text:
        return 0
    wide = len(text.encode("utf-8")) - len(text)
    return max(1, round((len(text) - wide / 2) / 4 + wide / 2.2))


def item_math(m: MathItem) -> Item:
    return Item(m.question, m.final, m.solution, "math")


def item_code(c: CodeItem) -> Item:
    return Item(c.prompt, f"```python\n{c.prompt}{c.solution}```", "", "code")


_OPENERS = ("", "", "Sure! ", "Good question. ", "Here's a concise answer. ", "Absolutely. ", "Happy to help. ")
_BODIES = (
    "The short version: it depends on {t}, but a few principles apply in most cases.",
    "There are three things to keep in mind about {t}. First, be clear about the goal. Second, check the "
    "constraints you are working with. Third, test the result on a small example before relying on it.",
    "Here is how I would approach {t}:\n\n1. Clarify what you need.\n2. Gather the relevant facts.\n3. Compare "
    "the options against your constraints.\n4. Pick one and revisit it after a week.",
    "In most situations involving {t}, the simplest option works best. Start there and add complexity only when "
    "a concrete problem shows up.",
    "{T} is a common question. The main trade-off is between speed and thoroughness; which matters more "
    "depends on your situation.",
    "Below is a draft you can adapt.\n\n---\n{T}: a clear, friendly overview that covers the essentials, "
    "avoids jargon, and ends with a practical next step.\n---",
    "Based on what you described, I'd suggest focusing on {t} first, then reviewing the result with someone "
    "who knows the context.",
)
_CLOSERS = ("", "", " Let me know if you want more detail.", " Want me to expand on any part?", " Hope this helps!")


def topic(text: str) -> str:
    words = [w.strip(".,:;!?\"'()[]{}*#`") for w in text.split()[:9]]
    phrase = " ".join(w for w in words if w)[:70].strip()
    return phrase.lower() or "this"


def reply_generic(prompt: str, rng: random.Random) -> str:
    t = topic(prompt)
    body = rng.choice(_BODIES).format(t=t, T=t[:1].upper() + t[1:])
    return rng.choice(_OPENERS) + body + rng.choice(_CLOSERS)


def reply_for(item: Item, rng: random.Random, *, show_steps: bool = False, boxed: bool = False) -> str:
    if item.kind == "math":
        final = f"\\boxed{{{item.answer}}}" if boxed else item.answer
        if show_steps and item.steps:
            return f"{item.steps}\n\nThe answer is {final}."
        return f"The answer is {final}." if rng.random() < 0.5 else f"{final}"
    if item.kind == "code":
        return item.answer
    if item.kind in ("foreign", "given") and item.answer:
        return item.answer
    return reply_generic(item.text, rng)


_REASON_GENERIC = (
    "The user wants help with {t}. I should figure out what they actually need, consider the main options, "
    "and give a clear recommendation with one caveat.",
    "Let me think about {t}. Key constraints first, then the simplest approach that satisfies them, then check "
    "for edge cases before answering.",
    "Request concerns {t}. Plan: restate the goal, list relevant facts, outline the answer, keep it concise.",
    "I need to consider {t}. A few angles: what is being asked, what assumptions are safe, what a good answer "
    "looks like. Then draft and verify.",
)


def reasoning_for(item: Item, rng: random.Random) -> str:
    """A visible reasoning summary of the kind a reasoning model returns beside its answer."""
    if item.kind == "math" and item.steps:
        lines = [s for s in item.steps.splitlines() if s.strip()]
        head = rng.choice(("Let me work through this.", "Parsing the problem.", "I'll set up the quantities."))
        return " ".join([head, *lines[:6], f"So the result is {item.answer}."])
    if item.kind == "code":
        return (
            "I need to implement the function described in the docstring. I'll read the examples, handle the edge "
            "cases (empty input, duplicates), and make sure the doctests would pass."
        )
    return rng.choice(_REASON_GENERIC).format(t=topic(item.text))


@dataclass
class Ctx:
    """Generation state: the seed, the corpus, unique identifiers and the records written so far."""

    seed: int
    scale: float
    corpus: Corpus
    volume: float = 1.0  # multiplies every account's request volume; below 1 only for quick tests
    accounts: list[Account] = field(default_factory=list)
    lines: list[tuple[float, str]] = field(default_factory=list)
    _ids: set[str] = field(default_factory=set)

    def rng(self, *names: object) -> random.Random:
        """An independent stream per name, so adding an archetype never shifts another's draws."""
        return random.Random(f"{self.seed}/" + "/".join(str(n) for n in names))

    def count(self, at_03: float, *, alpha: float = 1.0, floor: int = 1) -> int:
        """How many of something at this scale, given how many at scale 0.3 (the issue's test size)."""
        return max(floor, round(at_03 * (self.scale / 0.3) ** alpha))

    def vol(self, n: float) -> int:
        """A per-account request count under the volume knob."""
        return max(1, round(n * self.volume))

    def new_id(self, rng: random.Random, prefix: str, n: int, alphabet: str = _ALNUM) -> str:
        while True:
            ident = prefix + "".join(rng.choice(alphabet) for _ in range(n))
            if ident not in self._ids:
                self._ids.add(ident)
                return ident

    def account(self, rng: random.Random, *, n_keys: int = 1, **fields: Any) -> Account:
        acct = Account(
            account_id=self.new_id(rng, "org-", 24),
            keys=[self.new_id(rng, "key_", 16, "0123456789abcdef") for _ in range(n_keys)],
            **fields,
        )
        if acct.parts == "input_text" or rng.random() < 0.12:
            acct.system_role = "developer"
        self.accounts.append(acct)
        return acct

    def emit(
        self,
        acct: Account,
        ts: float,
        rng: random.Random,
        *,
        model: str,
        messages: Sequence[Message] | None = None,
        prompt: str | None = None,
        response: str | None = None,
        reasoning: str | None = None,
        hidden_reasoning: bool = False,
        key: str | None = None,
        user_id: str | None = None,
        status: int = 200,
        tool_calls: int | None = None,
        extra: dict[str, Any] | None = None,
        tools: list[dict[str, Any]] | None = None,
        ua: str | None = None,
        addr: Addr | None = None,
    ) -> None:
        ip, asn = addr or acct.addr(rng, ts)
        rec: dict[str, Any] = {"request_id": self.new_id(rng, "req_", 24, "0123456789abcdef")}
        rec["ts"] = world.log_time(ts, rng)
        rec["account_id"] = acct.account_id
        rec["api_key_id"] = key or acct.keys[0]
        if user_id:
            rec["user_id"] = user_id
        rec["ip"] = ip
        rec["user_agent"] = ua or acct.uas[0]
        rec["asn"] = asn
        if acct.payment:
            rec["payment_fingerprint"] = acct.payment
        if acct.email_domain:
            rec["email_domain"] = acct.email_domain
        rec["account_created_at"] = (
            int(acct.created_at) if rng.random() < 0.4 else world.rfc3339(acct.created_at, 0.0, rng)
        )
        rec["model"] = model
        prompt_tokens = 3
        if messages is not None:
            rec["messages"] = [
                _message(acct.system_role if role == "system" else role, text, acct.parts) for role, text in messages
            ]
            prompt_tokens += sum(tokens(text) + 4 for _, text in messages)
        else:
            rec["prompt"] = prompt or ""
            prompt_tokens += tokens(prompt or "")
        ext = dict(extra or {})
        if tools:
            ext["tools"] = tools
            prompt_tokens += tokens(json.dumps(tools))
        if status == 200:
            rec["response"] = response or ""
            visible = tokens(response or "")
            thought = 0
            if reasoning is not None:
                if not hidden_reasoning:
                    rec["reasoning"] = reasoning
                # The summary shows part of what was billed.
                thought = round(tokens(reasoning) / rng.uniform(0.3, 0.65))
                rec["reasoning_tokens"] = thought
            rec["prompt_tokens"] = prompt_tokens
            rec["completion_tokens"] = visible + thought
            if tool_calls is not None:
                rec["tool_calls"] = tool_calls
        else:
            ext["error"] = _error(status)
        rec["status"] = status
        if ext:
            rec["extra"] = ext
        acct.requests += 1
        self.lines.append((ts, json.dumps(rec, ensure_ascii=False, separators=(",", ":"))))


def _message(role: str, text: str, parts: str) -> dict[str, Any]:
    if parts == "str" or role not in ("user", "system", "developer"):
        return {"role": role, "content": text}
    kind = "input_text" if parts == "input_text" else "text"
    return {"role": role, "content": [{"type": kind, "text": text}]}


def _error(status: int) -> dict[str, str]:
    if status == 429:
        return {"type": "rate_limit_error", "code": "rate_limit_exceeded"}
    if status == 400:
        return {"type": "invalid_request_error", "code": "context_length_exceeded"}
    return {"type": "server_error", "code": "internal_error"}


def tool_schema(specs: Sequence[tuple[str, str, dict[str, str]]]) -> list[dict[str, Any]]:
    """OpenAI function-tool schemas from (name, description, {param: json type})."""
    return [
        {
            "type": "function",
            "function": {
                "name": name,
                "description": desc,
                "parameters": {
                    "type": "object",
                    "properties": {p: {"type": t} for p, t in params.items()},
                    "required": list(params),
                },
            },
        }
        for name, desc, params in specs
    ]


def perturb(text: str, rng: random.Random, prefixes: Sequence[str], suffixes: Sequence[str]) -> str:
    """A person retyping a question: a greeting, a sign-off, a lower-case start."""
    out = rng.choice(prefixes) + text.strip() + rng.choice(suffixes)
    if rng.random() < 0.3 and out[:1].isupper():
        out = out[:1].lower() + out[1:]
    return out
