"""Train the shipped content model (src/distillshield/data/models/content.npz).

Trains on the shipped corpus's train split (``data/training/content.jsonl.gz``) and, when the shared
external data is there, on the real pipeline prompts and the training share of the ShareGPT user turns
(``features.content.real``; held-out conversations are never read for training). The texts of the real
sets are not shipped, only the arrays trained on them. Deterministic: the same inputs give the same file
(``tests/features/test_content_model.py`` retrains and compares when the external data is present).
Run after ``scripts/build_content_corpus.py``; ``python bench/bench_content.py`` then measures it.

Usage: python scripts/train_content_model.py [EXTERNAL_DIR]   (default ../shared/data/external)
"""

from __future__ import annotations

import sys
from pathlib import Path

import sklearn

from distillshield.features.content.learned import shipped_model_path
from distillshield.features.content.model import save_models
from distillshield.features.content.training import shipped_training_corpus, train_all

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ext = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "data" / "external"
    corpus, digest = shipped_training_corpus(ext)
    models = train_all(corpus)
    out = shipped_model_path()
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    provenance = {"training_sha256": digest, "scikit_learn": sklearn.__version__}
    save_models(models, out, provenance)
    print(f"{len(models)} models on {len(corpus.texts)} turns -> {out} ({out.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
