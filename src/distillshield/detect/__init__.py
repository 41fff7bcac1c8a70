"""The detect stage: from per-account features to verdicts and campaigns.

Conventions:

* ``content`` plugins (in ``features.content``, since the features stage runs
  them) score prompt texts in [0, 1]; their per-account aggregates are features.
* ``scorers`` plugins read the account feature frame and emit :class:`Signal`s,
  each with a weight in [0, 1]; an account's own risk is the noisy-OR of its
  signal weights, so one strong signal or several weak ones raise it.
* ``link`` plugins emit groups of accounts that share something (a card, a /24,
  a template); the groups become weighted edges of an account graph whose
  communities are candidate campaigns, each judged as a whole.
* ``rules`` (YAML, ``detect.rules``) add weighted signals by correlation over requests.
* Every verdict keeps the signals that produced it: the trace behind
  ``reasons`` in accounts.csv and ``evidence`` in campaigns.json.
* A learned model (:mod:`distillshield.detect.model`, written by ``learn``) may
  scale each evidence family's weights and set the thresholds; detection is
  ``gather`` (read the log, link accounts: model-free) then ``judge`` (weigh under
  a model), so candidate models are judged without reading the log again.
"""

from __future__ import annotations

from distillshield.detect.engine import DetectionResult, ExternalEvidence, detect

__all__ = ["DetectionResult", "ExternalEvidence", "detect"]
