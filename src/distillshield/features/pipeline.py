"""Run the feature SQL and the content detectors over an ingested requests table."""

from __future__ import annotations

from collections.abc import Callable

import duckdb
import pyarrow as pa

from distillshield.db import query_arrow, query_batches, query_scalar
from distillshield.features import sql
from distillshield.features.content.base import ContentDetector
from distillshield.features.frame import AccountFrame
from distillshield.progress import SILENT, Progress
from distillshield.settings import Settings

#: Distinct texts scored per batch. The content model's hashed n-gram matrix holds up to ~10,000 non-zeros
#: per long prompt, so this bounds the scoring stage's memory to a few hundred MB whatever the log's size.
_TEXT_BATCH = 2_000


def score_distinct_texts(
    con: duckdb.DuckDBPyConnection, detectors: list[ContentDetector], progress: Progress = SILENT
) -> int:
    """Score every distinct (system, user) prompt pair once with every detector; returns the count.

    Campaigns repeat their templates, so scoring distinct texts instead of
    requests is much cheaper on exactly the traffic that matters.
    """
    con.execute(sql.TEXT_KEYS)
    n_texts = int(query_scalar(con, "SELECT count(*) FROM texts"))
    task = progress.task("Scoring prompt content", total=n_texts)
    reader = query_batches(con, "SELECT text_key, system_prompt, user_prompt FROM texts", _TEXT_BATCH)
    scored = [_score_batch(batch, detectors, task.advance) for batch in reader]
    schema = pa.schema([("text_key", pa.uint64())] + [(d.name, pa.float64()) for d in detectors])
    scores = pa.Table.from_batches(scored, schema=schema) if scored else schema.empty_table()
    con.execute(sql.CONTENT_SCORES_DDL.format(columns="".join(f", {d.name} DOUBLE" for d in detectors)))
    con.register("scored_texts", scores)
    con.execute("INSERT INTO content_scores SELECT * FROM scored_texts")
    con.unregister("scored_texts")
    task.close()
    return n_texts


def _score_batch(
    batch: pa.RecordBatch, detectors: list[ContentDetector], advance: Callable[[float], None]
) -> pa.RecordBatch:
    system = [s or "" for s in batch.column("system_prompt").to_pylist()]
    user = [u or "" for u in batch.column("user_prompt").to_pylist()]
    arrays = [batch.column("text_key")] + [pa.array(d.score_texts(system, user)) for d in detectors]
    advance(batch.num_rows)
    return pa.RecordBatch.from_arrays(arrays, names=["text_key"] + [d.name for d in detectors])


def build_templates(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """Find prompt parts shared by several accounts (tables request_templates, templates, account_templates)."""
    con.execute(sql.REQUEST_TEMPLATES)
    con.execute(
        sql.TEMPLATES,
        {
            "min_accounts": settings.template_min_accounts,
            "min_variants": settings.template_min_variants,
            "per_account": settings.template_min_variants_per_account,
        },
    )
    con.execute(sql.ACCOUNT_TEMPLATES)


def compute_features(
    con: duckdb.DuckDBPyConnection,
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
        score_distinct_texts(con, detectors, progress)
    build_templates(con, settings)
    aggregates, columns = sql.content_aggregates([d.name for d in detectors], [d.threshold for d in detectors])
    con.execute(sql.ACCOUNT_FEATURES.format(content_aggregates=aggregates, content_columns=columns))
    return AccountFrame.from_arrow(query_arrow(con, "SELECT * FROM account_features"))
