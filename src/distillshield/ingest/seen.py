"""Which request ids a store may already hold: 64-bit hashes in a few sorted numpy arrays.

Why: classifying a batch as new, duplicate or conflicting joins it against the
stored ``request_id`` column, a scan of every row stored so far. Per batch that
made ingest quadratic: at ten million requests it cost more than everything else.
This set answers "could any of these ids be stored already?" from memory, at 8
bytes an id. Nearly every batch of a log is wholly new, and then the join is
skipped; a hit (a real repeat, or a hash collision) still takes the exact SQL
path, so a false alarm costs time, never a wrong answer.

Hand-written rather than a library set: the arrays are levels of a log-structured
merge (a new batch is a level; levels of similar size merge), so adding is
amortised O(log n) per id and a lookup is one ``searchsorted`` per level, which
Python sets of ints (about 70 bytes an id) or a Bloom filter that must be sized in
advance do not give.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Keys = npt.NDArray[np.uint64]


class SeenKeys:
    """A set of uint64 keys: :meth:`any_of` and :meth:`add`."""

    def __init__(self, keys: Keys | None = None) -> None:
        self.levels: list[Keys] = []
        if keys is not None and len(keys):
            self.add(keys)

    def any_of(self, keys: Keys) -> bool:
        """True when a key is in the set or appears twice in ``keys``."""
        if not len(keys):
            return False
        ordered = np.sort(keys)
        if bool(np.any(ordered[1:] == ordered[:-1])):
            return True
        for level in self.levels:
            at = np.searchsorted(level, ordered)
            inside = at < len(level)
            if bool(np.any(level[at[inside]] == ordered[inside])):
                return True
        return False

    def add(self, keys: Keys) -> None:
        level = np.sort(np.asarray(keys, dtype=np.uint64))
        # Merge while the newest level is no larger: level sizes then shrink geometrically, so there are
        # O(log n) of them and each key is merged O(log n) times over the whole ingest. A stable sort of two
        # sorted runs is a linear merge (timsort): 0.1 s for two runs of 5M keys, where np.union1d took 13 s.
        # Repeats across levels are left in; they change no answer.
        while self.levels and len(self.levels[-1]) <= len(level):
            level = np.sort(np.concatenate([self.levels.pop(), level]), kind="stable")
        self.levels.append(level)
