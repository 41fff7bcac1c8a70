"""Linking: accounts that share infrastructure or templates become candidate campaigns."""

from __future__ import annotations

from distillshield.detect.link.base import Linker, LinkPairs, pairs_from_groups
from distillshield.detect.link.graph import Community, find_communities

__all__ = ["Community", "LinkPairs", "Linker", "find_communities", "pairs_from_groups"]
