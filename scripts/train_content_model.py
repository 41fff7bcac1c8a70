"""Train the shipped content model (src/distillshield/data/models/content.npz) from the shipped corpus.

Deterministic: the same corpus gives the same file (``tests/features/test_content_model.py``
retrains and compares). Run after ``scripts/build_content_corpus.py``, and again whenever
``features.content.hashing`` changes what a text becomes (then bump its ``FEATURIZER``, so an old
model file is refused rather than misread); ``python bench/bench_detection.py --skip quality timing``
then reports the held-out numbers.

Usage: python scripts/train_content_model.py
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import sklearn

from distillshield.features.content.learned import shipped_model_path
from distillshield.features.content.model import save_models
from distillshield.features.content.training import load_corpus, shipped_corpus_path, train_all


def main() -> None:
    corpus_path = shipped_corpus_path()
    models = train_all(load_corpus(corpus_path))
    out = shipped_model_path()
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(corpus_path.read_bytes()).hexdigest()
    provenance = {"corpus_sha256": digest, "scikit_learn": sklearn.__version__}
    save_models(models, out, provenance)
    print(f"{len(models)} models -> {out} ({out.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
