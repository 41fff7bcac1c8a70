"""Run the feature SQL and the content detectors over an ingested requests table."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pyarrow as pa

from distillshield.db import execute, query_arrow, query_scalar
from distillshield.engines import Connection, as_engine
from distillshield.engines.duck import DuckDBEngine
from distillshield.features import sql
from distillshield.features.content.base import ContentDetector
from distillshield.features.content.turns import Turn, pair_turns, request_turns
from distillshield.features.frame import AccountFrame
from distillshield.features.templates import cluster_templates
from distillshield.progress import SILENT, Progress
from distillshield.settings import Settings

#: Distinct texts scored per batch. The content model's hashed n-gram matrix holds up to ~10,000 non-zeros
#: per long prompt, so this bounds the scoring stage's memory to a few hundred MB whatever the log's size.
_TEXT_BATCH = 2_000


def score_distinct_texts(con: Connection, detectors: list[ContentDetector], progress: Progress = SILENT) -> int:
    """Score every distinct (system, user) prompt pair once with every detector; returns the count.

    Campaigns repeat their templates, so scoring distinct texts instead of
    requests is much cheaper on exactly the traffic that matters. The engine runs
    the scoring where the texts are: in this process on DuckDB, on the executors
    on Spark, so the driver never holds every distinct prompt.
    """
    execute(con, sql.TEXT_KEYS)
    n_texts = int(query_scalar(con, "SELECT count(*) FROM texts"))
    task = progress.task("Scoring prompt content", total=n_texts)
    query = "SELECT text_key, system_prompt, user_prompt, context FROM texts"
    as_engine(con).map_batches(query, TextScorer(detectors), "content_scores", _TEXT_BATCH, task.advance)
    task.close()
    return n_texts


class TextScorer:
    """Batch of ``text_key, system_prompt, user_prompt[, context]`` to ``text_key`` and one score column per
    detector, each request scored by all its client-written turns (``features.content.turns``).

    A class rather than a closure so that Spark can ship it to its executors.
    """

    def __init__(self, detectors: list[ContentDetector]) -> None:
        self.detectors = detectors

    def __call__(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        requests = batch_turns(batch)
        scores = [pa.array(d.score_requests(requests), type=pa.float64()) for d in self.detectors]
        return pa.RecordBatch.from_arrays(
            [batch.column("text_key"), *scores], names=["text_key"] + [d.name for d in self.detectors]
        )


def batch_turns(batch: pa.RecordBatch) -> list[tuple[Turn, ...]]:
    """Each row's client-written turns; ``context`` (see ``sql.TEXT_KEYS``) holds the stored messages and extra."""
    system = [s or "" for s in batch.column("system_prompt").to_pylist()]
    user = [u or "" for u in batch.column("user_prompt").to_pylist()]
    names = batch.schema.names
    context = batch.column("context").to_pylist() if "context" in names else [None] * len(user)
    return [_turns(s, u, c) for s, u, c in zip(system, user, context, strict=True)]


def _turns(system: str, user: str, context: str | None) -> tuple[Turn, ...]:
    if not context:
        return pair_turns(system, user)
    messages, _, extra = context.partition("\n")
    return request_turns(system, user, messages or None, extra or None)


def build_templates(con: Connection, settings: Settings) -> None:
    """Find prompt parts shared by several accounts (tables prompt_pieces, request_templates, templates,
    account_templates)."""
    execute(con, sql.PROMPT_FACTS)
    execute(con, sql.PROMPT_PIECES)
    execute(con, sql.REQUEST_TEMPLATES)
    cluster_templates(con, settings)  # near-duplicate pieces share one key from here on
    execute(
        con,
        sql.TEMPLATES,
        {
            "min_accounts": settings.template_min_accounts,
            "min_variants": settings.template_min_variants,
            "per_account": settings.template_min_variants_per_account,
        },
    )
    execute(con, sql.ACCOUNT_TEMPLATES)


def compute_features(
    con: Connection,
    detectors: list[ContentDetector],
    settings: Settings,
    progress: Progress = SILENT,
    *,
    score_content: bool = True,
) -> AccountFrame:
    """Fill ``account_features`` and return it as an :class:`AccountFrame`.

    ``score_content=False`` reuses the ``content_scores`` table already there (a
    replay scores every distinct prompt once, then computes features per cut-off).
    """
    if score_content:
        _score_while_templates_build(con, detectors, settings, progress)
    else:
        build_templates(con, settings)
    aggregates, columns = sql.content_aggregates([d.name for d in detectors], [d.threshold for d in detectors])
    execute(con, sql.ACCOUNT_FEATURES.format(content_aggregates=aggregates, content_columns=columns))
    # Ordered here: a table's row order is not kept by DuckDB (preserve_insertion_order off) nor by Spark,
    # and the frame's order decides account indices, hence community and campaign numbering.
    return AccountFrame.from_arrow(query_arrow(con, "SELECT * FROM account_features ORDER BY account_id"))


def _score_while_templates_build(
    con: Connection, detectors: list[ContentDetector], settings: Settings, progress: Progress
) -> None:
    """Score prompts and build templates; on DuckDB at the same time, on a cursor of the scorer's own.

    Why: scoring is numpy in this process and template building is DuckDB SQL, each
    mostly on one core, and neither reads the other's tables. Side by side they take
    the time of the longer (at 1M requests: 9 s of scoring beside 7 s of templates).
    Spark already spreads each over its executors, so there they run in turn.
    """
    engine = as_engine(con)
    if not isinstance(engine, DuckDBEngine):
        score_distinct_texts(con, detectors, progress)
        build_templates(con, settings)
        return
    with engine.con.cursor() as cursor, ThreadPoolExecutor(1, thread_name_prefix="content-scoring") as pool:
        scoring = pool.submit(score_distinct_texts, DuckDBEngine(cursor), detectors, progress)
        try:
            build_templates(con, settings)
        finally:
            scoring.result()
