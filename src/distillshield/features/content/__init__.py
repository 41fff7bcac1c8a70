"""Content detectors: score prompt texts in [0, 1] for one kind of extraction intent."""

from __future__ import annotations

from distillshield.features.content.base import ContentDetector

__all__ = ["ContentDetector"]
