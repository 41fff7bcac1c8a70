"""Account scorers: read the feature frame, emit weighted signals per account."""

from __future__ import annotations

from distillshield.detect.scorers.base import AccountScorer, plugin_id

__all__ = ["AccountScorer", "plugin_id"]
