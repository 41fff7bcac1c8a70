"""Template fingerprints that can be shared without the template's text.

A template is the normalised system prompt, or the head or tail of long user prompts, that
the features stage keys by ``md5`` (``features.sql.PROMPT_PIECES``). Partners compute the
same key from their own logs, so the keyed hash of that key matches exactly across providers.
A keyed MinHash of the sample's word 3-shingles catches near-duplicates (a reworded wrapper);
both the shingle hash and the permutations depend on the consortium key, so an outsider can
neither test a guessed text nor compare signatures.
"""

from __future__ import annotations

import hashlib
import hmac
import struct

import numpy as np
from datasketch import MinHash

from distillshield.intel.keys import Keyring

NUM_PERM = 64
SHINGLE = 3


def keyed_template_hash(keyring: Keyring, kind: str, template_key: str, key_id: str | None = None) -> str:
    return keyring.pseudonym("template", f"{kind}:{template_key}", key_id)


def minhash_signature(keyring: Keyring, text: str, key_id: str | None = None) -> str:
    """64 keyed MinHash values of ``text``'s word 3-shingles, as 512 hex digits."""
    secret = keyring.secret(key_id or keyring.active)
    if secret is None:
        raise KeyError(key_id)
    seed = int.from_bytes(hmac.new(secret, b"minhash-seed", hashlib.sha256).digest()[:4], "big")

    def keyed(data: bytes) -> int:
        digest = hmac.new(secret, data, hashlib.sha256).digest()
        return int(struct.unpack("<I", digest[:4])[0])

    words = text.split()
    shingles = {" ".join(words[i : i + SHINGLE]) for i in range(max(1, len(words) - SHINGLE + 1))}
    sketch = MinHash(num_perm=NUM_PERM, seed=seed, hashfunc=keyed)
    sketch.update_batch([s.encode() for s in sorted(shingles)])
    return "".join(f"{int(v):08x}" for v in sketch.hashvalues)


def similarity(a: str, b: str) -> float:
    """Estimated Jaccard similarity of two signatures (share of equal MinHash values)."""
    va = np.frombuffer(bytes.fromhex(a), dtype=">u4")
    vb = np.frombuffer(bytes.fromhex(b), dtype=">u4")
    return float(np.mean(va == vb)) if len(va) == len(vb) else 0.0
