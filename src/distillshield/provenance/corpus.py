"""A small synthetic English corpus for the provenance test bed, made on the fly and never downloaded.

The sentences come from a seeded stochastic grammar over a fixed lexicon written for this project
(no third-party text), so the corpus is free of copyright and identical on every machine. It has
enough next-word entropy (dozens of choices after most words) for watermarks to be measurable
within a few hundred tokens, like ordinary prose.
"""

from __future__ import annotations

import random


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


def _phrases(text: str) -> tuple[str, ...]:
    return tuple(text.split("|"))


DETERMINERS = _words("the a every some this that no one")
NAMES = _words(
    "anna bruno clara david elena felix greta hugo irene jonas karla lukas maria nils olga peter rosa "
    "stefan tilda ulrich vera walter yvonne zora"
)
PLACES = _phrases(
    "the harbour|the mill|the village|the old bridge|the forest|the market|the chapel|the river|"
    "the valley|the castle|the orchard|the station|the library|the inn|the garden|the quarry|"
    "the lighthouse|the meadow|the square|the school"
)

ADJECTIVES = _words(
    "old young quiet bright dark small large gentle bitter careful clever cold warm distant empty "
    "faithful green grey heavy hollow honest idle kind lonely narrow patient proud rough silent simple "
    "slow soft strange swift tall tired wild wise wooden yellow broken golden hidden humble restless "
    "sudden weary crooked pale steady"
)
NOUNS = _words(
    "farmer miller sailor teacher baker soldier shepherd merchant widow child stranger doctor priest "
    "captain weaver smith clerk painter hunter fisherman horse dog cat goose crow fox ox lamb letter lamp "
    "door window boat cart basket bell coat candle key map ring rope stone wheel song story promise "
    "secret winter storm harvest fire road hill field well roof tower bread apple coin book knife chair "
    "table cup clock mirror garden ladder lantern blanket fence gate feather shadow voice river cloud "
    "wind"
)
VERBS = _words(
    "found carried watched followed mended sold bought painted opened closed remembered forgot praised "
    "feared loved hid lost kept pushed pulled guarded visited noticed admired questioned greeted answered "
    "warned carved counted burned cleaned borrowed returned dropped lifted touched heard saw wanted"
)
ADVERBS = _words(
    "slowly quickly quietly gladly sadly again often never once softly boldly carefully suddenly "
    "patiently warmly early late twice still gently"
)
PREPOSITIONS = _words("near behind beyond under above beside across inside toward past")
TIMES = _phrases(
    "in the morning|at dusk|before dawn|after the rain|on sunday|in spring|that evening|at noon|"
    "during the fair|in the autumn|at midnight|before supper"
)

CONJUNCTIONS = _words("and but so while because although until when")


def _noun_phrase(rng: random.Random) -> str:
    if rng.random() < 0.2:
        return rng.choice(NAMES)
    words = [rng.choice(DETERMINERS)]
    for _ in range(rng.choice((0, 1, 1, 2))):
        words.append(rng.choice(ADJECTIVES))
    words.append(rng.choice(NOUNS))
    return " ".join(words)


def _clause(rng: random.Random) -> str:
    parts = [_noun_phrase(rng)]
    if rng.random() < 0.3:
        parts.append(rng.choice(ADVERBS))
    parts += [rng.choice(VERBS), _noun_phrase(rng)]
    roll = rng.random()
    if roll < 0.35:
        parts += [rng.choice(PREPOSITIONS), rng.choice(PLACES)]
    elif roll < 0.6:
        parts.append(rng.choice(TIMES))
    return " ".join(parts)


def sentence(rng: random.Random) -> str:
    """One sentence: a clause, sometimes joined to a second one, ending in a full stop."""
    text = _clause(rng)
    if rng.random() < 0.4:
        text += " , " + rng.choice(CONJUNCTIONS) + " " + _clause(rng)
    return text + " ."


def generate_corpus(n_words: int, *, seed: int = 0) -> str:
    """About ``n_words`` words of space-separated text (punctuation is its own word)."""
    rng = random.Random(seed)
    sentences, count = [], 0
    while count < n_words:
        s = sentence(rng)
        sentences.append(s)
        count += s.count(" ") + 1
    return " ".join(sentences)


def lexicon() -> list[str]:
    """Every word the grammar can produce, sorted: the test bed's word-level vocabulary."""
    words = {",", "."}
    for group in (DETERMINERS, NAMES, ADJECTIVES, NOUNS, VERBS, ADVERBS, PREPOSITIONS, CONJUNCTIONS, PLACES, TIMES):
        for entry in group:
            words.update(entry.split())
    return sorted(words)
