"""Evasions a campaign can add to its traffic, for measuring how detection holds up (the robustness table).

* ``paraphrase``: every request's prompts are reworded a little (synonyms, dropped and
  inserted filler words), so a fixed instruction block is never byte-identical twice.
* ``rotate_ips``: every request comes from a fresh random /24 of its own, so accounts
  share no network with each other.
* ``benign_mix``: that share of each campaign account's requests is ordinary chat from
  the benign prompt bank, with ordinary answers, as cover traffic.

Benign populations are never changed: the false-positive side of the table stays comparable.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from distillshield.simulate.content import PromptBank, fake_response, pick

_SYNONYMS = {
    "your": ("the", "your own"),
    "the": ("this", "that"),
    "before": ("prior to", "ahead of"),
    "final": ("last", "concluding"),
    "reasoning": ("thinking", "rationale"),
    "complete": ("full", "entire"),
    "every": ("each", "all"),
    "answer": ("response", "reply"),
    "detailed": ("thorough", "in-depth"),
    "provide": ("give", "offer"),
    "questions": ("problems", "queries"),
    "systematic": ("methodical", "structured"),
    "thinking": ("reasoning", "thought"),
    "process": ("procedure", "routine"),
    "expert": ("specialist", "seasoned"),
    "explicitly": ("clearly", "openly"),
    "solution": ("result", "resolution"),
}
_FILLER = ("please", "kindly", "really", "carefully", "also", "now")


@dataclass(frozen=True, slots=True)
class Evasion:
    paraphrase: bool = False
    rotate_ips: bool = False
    benign_mix: float = 0.0

    @property
    def active(self) -> bool:
        return self.paraphrase or self.rotate_ips or self.benign_mix > 0

    def describe(self) -> dict[str, object]:
        return {"paraphrase": self.paraphrase, "rotate_ips": self.rotate_ips, "benign_mix": self.benign_mix}


def reword(text: str, rnd: random.Random, rate: float = 0.25) -> str:
    """Swap about ``rate`` of known words for synonyms, and drop or insert filler words now and then."""
    words = []
    for word in text.split(" "):
        key = word.lower().strip(".,:;")
        roll = rnd.random()
        if key in _SYNONYMS and roll < rate:
            word = word.lower().replace(key, rnd.choice(_SYNONYMS[key]))
        elif key in _FILLER and roll < rate:
            continue
        elif roll < rate / 6:
            words.append(rnd.choice(_FILLER))
        words.append(word)
    return " ".join(words)


def evade(body: dict[str, Any], evasion: Evasion, bank: PromptBank, rnd: random.Random) -> dict[str, Any]:
    """One campaign request, changed by ``evasion``."""
    if evasion.benign_mix and rnd.random() < evasion.benign_mix:
        user = pick(rnd, bank.chat)
        body = {
            "model": body["model"],
            "ip": body["ip"],
            "messages": [{"role": "user", "content": user}],
            "response": fake_response(rnd, 60),
            "prompt_tokens": len(user.split()) * 2,
            "completion_tokens": rnd.randint(150, 600),
        }
    elif evasion.paraphrase and "messages" in body:
        body = {**body, "messages": [{**m, "content": reword(str(m["content"]), rnd)} for m in body["messages"]]}
    if evasion.rotate_ips:
        body = {
            **body,
            "ip": f"{rnd.randrange(11, 223)}.{rnd.randrange(256)}.{rnd.randrange(256)}.{rnd.randrange(1, 255)}",
        }
    return body
