"""Declarative detection rules: YAML files loaded into frozen :class:`Rule` records and run as SQL.

Built-ins ship in ``builtin/``; ``scan --rules DIR`` adds a provider's own;
``distillshield rules list`` and ``distillshield rules test`` show and try them.
See docs/rules.md for the format.
"""

from __future__ import annotations

from distillshield.detect.rules.engine import compile_rule, rule_signals
from distillshield.detect.rules.loader import builtin_rules_dir, load_rule, load_rules
from distillshield.detect.rules.schema import FIELDS, Filter, Rule

__all__ = ["FIELDS", "Filter", "Rule", "builtin_rules_dir", "compile_rule", "load_rule", "load_rules", "rule_signals"]
