"""Questions drawn from the public task sets, as Items with the answer a model would give."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

from .corpus import Corpus
from .engine import Item, item_code, item_math

Picker = Callable[[Corpus, random.Random], Item]


def gsm8k(c: Corpus, rng: random.Random) -> Item:
    return item_math(rng.choice(c.gsm8k))


def humaneval(c: Corpus, rng: random.Random) -> Item:
    return item_code(rng.choice(c.humaneval))


def arena_math(c: Corpus, rng: random.Random) -> Item:
    return Item(rng.choice(c.arena_math), "", kind="general")


def arena_coding(c: Corpus, rng: random.Random) -> Item:
    return Item(rng.choice(c.arena_coding), "", kind="general")


def arena(c: Corpus, rng: random.Random) -> Item:
    return Item(rng.choice(c.arena_v01), "", kind="general")


def creative(c: Corpus, rng: random.Random) -> Item:
    return Item(rng.choice(c.arena_creative), "", kind="general")


def mt_bench(c: Corpus, rng: random.Random, categories: Sequence[str] = ()) -> Item:
    pool = [t for cat, t in c.mt_bench if not categories or cat in categories]
    return Item(rng.choice(pool)[0], "", kind="general")


def mt_reasoning(c: Corpus, rng: random.Random) -> Item:
    return mt_bench(c, rng, ("math", "reasoning", "stem", "coding"))


def vicuna(c: Corpus, rng: random.Random) -> Item:
    return Item(rng.choice(c.vicuna), "")


def oasst(c: Corpus, rng: random.Random) -> Item:
    return Item(rng.choice(c.oasst), "")


def seed_task(c: Corpus, rng: random.Random) -> Item:
    instruction, inp, out = rng.choice(c.seed_tasks)
    text = f"{instruction}\n\n{inp}".strip() if inp else instruction
    return Item(text, out, kind="general" if not out else "given")


def user_task(c: Corpus, rng: random.Random) -> Item:
    _, instruction, inp = rng.choice(c.user_tasks)
    return Item(f"{instruction}\n\n{inp}".strip() if inp else instruction, "")


def chat_turn(c: Corpus, rng: random.Random) -> Item:
    conv = rng.choice(c.chats)
    return Item(conv[0], "")


def mix(pairs: Sequence[tuple[Picker, float]]) -> Picker:
    """A picker drawing from several sets by weight."""
    fns = [p[0] for p in pairs]
    weights = [p[1] for p in pairs]

    def pick(c: Corpus, rng: random.Random) -> Item:
        return rng.choices(fns, weights=weights)[0](c, rng)

    return pick


class Sweep:
    """A campaign walking through a task set once, in a shuffled order, handing disjoint slices to its accounts
    (coverage of one set across many accounts); it starts over, reshuffled, when the set is used up."""

    def __init__(self, items: Sequence[Item], rng: random.Random) -> None:
        self._items = list(items)
        self._rng = rng
        self._order: list[int] = []

    def next(self) -> Item:
        if not self._order:
            self._order = list(range(len(self._items)))
            self._rng.shuffle(self._order)
        return self._items[self._order.pop()]


def task_bank(c: Corpus, weights: dict[str, float]) -> list[Item]:
    """Every item of the named sets, repeated by weight, for a Sweep."""
    sets: dict[str, list[Item]] = {
        "gsm8k": [item_math(m) for m in c.gsm8k],
        "humaneval": [item_code(x) for x in c.humaneval],
        "arena_math": [Item(t, "") for t in c.arena_math],
        "arena_coding": [Item(t, "") for t in c.arena_coding],
        "arena": [Item(t, "") for t in c.arena_v01],
        "mt_bench": [Item(t[0], "") for _, t in c.mt_bench],
        "seed": [Item(f"{i}\n\n{x}".strip() if x else i, "") for i, x, _ in c.seed_tasks],
        "user": [Item(f"{i}\n\n{x}".strip() if x else i, "") for _, i, x in c.user_tasks],
        "oasst": [Item(t, "") for t in c.oasst],
    }
    out: list[Item] = []
    for name, weight in weights.items():
        items = sets[name]
        reps = max(1, round(weight))
        out.extend(items * reps if weight >= 1 else items[: max(1, int(len(items) * weight))])
    return out
