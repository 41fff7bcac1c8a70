"""Hashed character and word n-gram counts, computed for a whole batch of texts with numpy.

What a text becomes (the semantics of the scikit-learn ``HashingVectorizer`` pair used before):

* the text is lower-cased;
* character 3-5-grams inside words padded with one space either side (scikit-learn's ``char_wb``),
  a word being a run of non-whitespace;
* word unigrams and bigrams, a word here being a run of two or more ``\\w`` characters
  (scikit-learn's default token pattern), a bigram hashed as the two words joined by one space;
* counts hashed into :data:`CHAR_FEATURES` and :data:`WORD_FEATURES` buckets, each block
  L2-normalised per text.

Why not scikit-learn's ``HashingVectorizer`` (1.9.1): it builds every n-gram as a Python string
and hashes it one call at a time. Measured on this machine's 2 cores before this module, scoring
one ~420-character prompt with the four detectors took 1.7 ms (1.23 ms of it featurising) and
batches 0.39 ms per text; ``bench/bench_detection.py`` measures both paths side by side (the
content-model block of ``bench/RESULTS.md``). No maintained package was found that hashes char
n-grams vectorised: fastText hashes subwords in C++ but only inside its own models, and Polars
and pyarrow have no n-gram kernels. So this module does it with whole-array operations.

How: the batch becomes one array of code points (UTF-32), each text padded with a space either
side, every whitespace character read as a space. Every n-gram is a span ``[i, j)`` of that
array and gets the polynomial hash ``h = sum((c_k + 1) * B**(k - i))`` mod 2**32. With prefix
sums ``S[j] = sum((c_k + 1) * B**k for k < j)`` that is ``(S[j] - S[i]) * B**-i`` (any odd ``B``
has an inverse mod 2**32), so hashing every n-gram of every length takes a handful of array
operations and no Python loop per n-gram. The top bits of ``h * M`` pick the bucket, with one
odd ``M`` per block. 32-bit arithmetic halves the memory traffic of 64-bit, and collisions
between distinct n-grams' 32-bit hashes are rare beside the collisions of 2**18 buckets.

A char n-gram counts when no whitespace lies strictly inside it: that gives exactly the
padded-word n-grams, however long the whitespace runs, and since neighbouring texts meet at two
spaces no n-gram of 3 or more characters straddles two texts. A word is a maximal run of word
characters, found from where the word mask changes; a bigram's hash is composed from its two
words' hashes. Equal (text, bucket) keys are counted by one sort.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

CHAR_FEATURES = 1 << 18
WORD_FEATURES = 1 << 17
N_FEATURES = CHAR_FEATURES + WORD_FEATURES
CHAR_NGRAMS = (3, 4, 5)
#: Names the featurisation in a model file's header, so a model trained on other features is refused.
FEATURIZER = "poly32-charwb3-5-word1-2-v1"

_BASE = 0x9E3779B9  # odd, so invertible mod 2**32
_BASE_INV = pow(_BASE, -1, 1 << 32)
#: Bucket multipliers, one per block so that the two blocks' collisions are independent.
CHAR_MIX, WORD_MIX = 0x85EBCA6B, 0xC2B2AE35
_SPACE_CODE = ord(" ") + 1
#: Bits of the column in a sort key ``row << _COL_BITS | column``. The column's top bit is the block, so
#: ``key >> 18`` is ``2 * row + block``; and a chunk of up to 4,096 texts keeps keys within 32 bits.
_COL_BITS = 19
_CHUNK_TEXTS = 1 << 12
#: Code points per chunk. It bounds memory (a few dozen bytes per code point) whatever the batch, and keeps
#: the working arrays in cache: of 2**14 .. 2**20, 2**17 was fastest on this machine's 2,000-prompt batches.
_CHUNK_POINTS = 1 << 17
_UNKNOWN, _OTHER, _SPACE, _WORD = 0, 1, 2, 3
#: Character classes, filled in lazily from ``str.isspace`` and ``str.isalnum`` as characters turn up,
#: so the classes follow this Python's Unicode database without a 1.1M-character scan at start-up.
_CLASSES = np.zeros(0x110000, dtype=np.uint8)


@dataclass(frozen=True, slots=True)
class HashedCounts:
    """Counts of some texts' hashed n-grams, sorted by text, block (char, word) and column.

    Entries ``block_ptr[2 * r] : block_ptr[2 * r + 1]`` are text r's char block and the
    next span its word block; ``scale`` is one over each block's L2 norm (0 for an empty
    block). Keeping the norm per block rather than dividing every entry lets :meth:`dot`
    scale the (2 * n_rows, k) product instead of a million entries.
    """

    block_ptr: npt.NDArray[np.intp]
    cols: npt.NDArray[np.int32]
    counts: npt.NDArray[np.float64]
    scale: npt.NDArray[np.float64]

    @property
    def n_rows(self) -> int:
        return len(self.scale) // 2

    def values(self) -> npt.NDArray[np.float64]:
        """Each entry's L2-normalised value."""
        out: npt.NDArray[np.float64] = self.counts * np.repeat(self.scale, np.diff(self.block_ptr))
        return out

    def to_csr(self) -> sp.csr_matrix:
        return sp.csr_matrix((self.values(), self.cols, self.block_ptr[::2]), shape=(self.n_rows, N_FEATURES))

    def dot(self, weights: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """``features @ weights`` for an (n_features, k) weight matrix: (n_rows, k)."""
        if self.n_rows == 1:  # a scipy matrix's constructor checks would cost more than this arithmetic
            return (self.values() @ weights[self.cols]).reshape(1, -1)
        blocks = sp.csr_matrix((self.counts, self.cols, self.block_ptr), shape=(2 * self.n_rows, N_FEATURES))
        by_block = (blocks @ weights) * self.scale[:, None]
        out: npt.NDArray[np.float64] = by_block[0::2] + by_block[1::2]
        return out


def featurize(texts: Sequence[str]) -> sp.csr_matrix:
    """Hashed, L2-normalised char 3-5-grams beside hashed word 1-2-grams, one row per text."""
    blocks = [hash_counts(chunk).to_csr() for chunk in chunks(texts)]
    if not blocks:
        return sp.csr_matrix((0, N_FEATURES), dtype=np.float64)
    return blocks[0] if len(blocks) == 1 else sp.vstack(blocks, format="csr")


def chunks(texts: Sequence[str]) -> list[Sequence[str]]:
    """Consecutive slices of at most 4,096 texts and about 131,000 characters (a longer text goes alone)."""
    out, begin, points = [], 0, 0
    for i, text in enumerate(texts):
        if i > begin and (i - begin == _CHUNK_TEXTS or points + len(text) > _CHUNK_POINTS):
            out.append(texts[begin:i])
            begin, points = i, 0
        points += len(text) + 2
    if begin < len(texts):
        out.append(texts[begin:])
    return out


def hash_counts(texts: Sequence[str]) -> HashedCounts:
    """The features of at most 4,096 texts (see :func:`chunks` for more)."""
    if len(texts) > _CHUNK_TEXTS:
        raise ValueError(f"hash_counts takes at most {_CHUNK_TEXTS} texts, got {len(texts)}; see chunks()")
    points, rowkey = _code_points(texts)
    classes = _classes_of(points)
    space = classes == _SPACE
    codes = points + np.uint32(1)
    codes[space] = _SPACE_CODE
    powers, inverse, char_inverse = _tables(len(codes) + 1)
    prefix = np.zeros(len(codes) + 1, dtype=np.uint32)
    np.cumsum(codes * powers[: len(codes)], dtype=np.uint32, out=prefix[1:])
    keys = _char_keys(prefix, char_inverse, space, rowkey)
    keys.append(_word_keys(prefix, powers, inverse, classes == _WORD, rowkey))
    return _normalised(len(texts), np.concatenate(keys))


def _code_points(texts: Sequence[str]) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.uint32] | None]:
    """Code points of the lower-cased texts, each padded with a space either side, and each point's
    ``row << _COL_BITS`` (None for a single text, whose row is 0)."""
    lowered = [t.lower() for t in texts]
    joined = " " + "  ".join(lowered) + " " if lowered else ""
    points = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    if len(lowered) <= 1:
        return points, None
    lengths = np.fromiter((len(t) + 2 for t in lowered), dtype=np.int64, count=len(lowered))
    return points, np.repeat(np.arange(len(lowered), dtype=np.uint32) << np.uint32(_COL_BITS), lengths)


def _classes_of(points: npt.NDArray[np.uint32]) -> npt.NDArray[np.uint8]:
    classes = _CLASSES[points]
    if (classes == _UNKNOWN).any():
        for point in np.unique(points[classes == _UNKNOWN]).tolist():
            char = chr(point)
            _CLASSES[point] = _SPACE if char.isspace() else _WORD if char.isalnum() or char == "_" else _OTHER
        classes = _CLASSES[points]
    return classes


_Tables = tuple[npt.NDArray[np.uint32], npt.NDArray[np.uint32], npt.NDArray[np.uint32]]
_TABLES: _Tables = (np.ones(0, np.uint32),) * 3


def _tables(count: int) -> _Tables:
    """``B**k``, ``B**-k`` and ``CHAR_MIX * B**-k`` for k < count, kept between calls up to a chunk's size."""
    global _TABLES
    if len(_TABLES[0]) >= count:
        return _TABLES
    limit = _CHUNK_POINTS + 2 * _CHUNK_TEXTS
    size = max(count, min(2 * len(_TABLES[0]), limit), 4096)
    inverse = _powers(_BASE_INV, size)
    tables = (_powers(_BASE, size), inverse, inverse * np.uint32(CHAR_MIX))
    if size <= limit:
        _TABLES = tables  # one assignment: a thread still reading the old tables gets a consistent set
    return tables


def _powers(base: int, count: int) -> npt.NDArray[np.uint32]:
    """``base**0 .. base**(count-1)`` mod 2**32 (uint32 products wrap, which is the modulus wanted)."""
    out = np.full(count, base, dtype=np.uint32)
    out[0] = 1
    return np.cumprod(out, dtype=np.uint32, out=out)


def _char_keys(
    prefix: npt.NDArray[np.uint32],
    inverse: npt.NDArray[np.uint32],
    space: npt.NDArray[np.bool_],
    rowkey: npt.NDArray[np.uint32] | None,
) -> list[npt.NDArray[np.uint32]]:
    """Sort keys of every char n-gram with no whitespace strictly inside it; ``inverse`` includes CHAR_MIX."""
    m = len(space)
    inside = np.zeros(m + 1, dtype=np.int32)
    np.cumsum(space, out=inside[1:])
    keys = []
    for n in CHAR_NGRAMS:
        if m < n:
            continue
        count = m - n + 1
        key = ((prefix[n:] - prefix[:count]) * inverse[:count]) >> np.uint32(32 - _CHAR_BITS)
        if rowkey is not None:
            key |= rowkey[:count]
        keys.append(key[inside[n - 1 : m] == inside[1 : count + 1]])
    return keys


def _word_keys(
    prefix: npt.NDArray[np.uint32],
    powers: npt.NDArray[np.uint32],
    inverse: npt.NDArray[np.uint32],
    word: npt.NDArray[np.bool_],
    rowkey: npt.NDArray[np.uint32] | None,
) -> npt.NDArray[np.uint32]:
    """Sort keys of word unigrams (runs of 2+ word characters) and of neighbouring pairs in the same text."""
    edge = np.flatnonzero(word[1:] != word[:-1]) + 1  # texts start and end with a space: edges pair up
    start, stop = edge[0::2], edge[1::2]
    long = stop - start >= 2
    start, stop = start[long], stop[long]
    unigrams = (prefix[stop] - prefix[start]) * inverse[start]
    length = stop - start
    if rowkey is None:  # one text: every neighbouring pair is a bigram
        first, second, first_len = unigrams[:-1], unigrams[1:], length[:-1]
    else:
        pair = np.flatnonzero(rowkey[start[1:]] == rowkey[start[:-1]])
        first, second, first_len = unigrams[pair], unigrams[pair + 1], length[pair]
    # hash("a b") = hash("a") + code(" ") * B**len(a) + hash("b") * B**(len(a) + 1)
    bigrams = first + np.uint32(_SPACE_CODE) * powers[first_len] + second * powers[first_len + 1]
    mixed = np.concatenate([unigrams, bigrams]) * np.uint32(WORD_MIX)
    key = (mixed >> np.uint32(32 - _WORD_BITS)) + np.uint32(CHAR_FEATURES)
    if rowkey is not None:
        key |= np.concatenate([rowkey[start], rowkey[start[pair]]])
    return key


_CHAR_BITS, _WORD_BITS = CHAR_FEATURES.bit_length() - 1, WORD_FEATURES.bit_length() - 1


def _normalised(n_rows: int, keys: npt.NDArray[np.uint32]) -> HashedCounts:
    """Count equal keys, and each text's char and word blocks' L2 norms."""
    keys.sort()
    first = np.empty(len(keys), dtype=np.bool_)
    first[:1] = True
    np.not_equal(keys[1:], keys[:-1], out=first[1:])
    at = np.flatnonzero(first)
    unique = keys[at]
    bounds = np.concatenate((at, [len(keys)]))
    counts = np.subtract(bounds[1:], bounds[:-1], dtype=np.float64)
    # key >> 18 is 2 * row + block, so the blocks' starts are a search away.
    block_ptr = np.searchsorted(unique, np.arange(2 * n_rows + 1, dtype=np.uint32) << np.uint32(_COL_BITS - 1))
    squares = np.zeros(len(counts) + 1, dtype=np.float64)
    np.cumsum(counts * counts, out=squares[1:])  # sums of integers: exact in float64
    norms = np.sqrt(squares[block_ptr[1:]] - squares[block_ptr[:-1]])
    scale = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
    cols = (unique & np.uint32((1 << _COL_BITS) - 1)).view(np.int32)  # under 2**19: same bits
    return HashedCounts(block_ptr, cols, counts, scale)
