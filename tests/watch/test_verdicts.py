"""Content scores are cached across updates, and thrown away when the content model is not the same."""

from __future__ import annotations

from distillshield.registry import build_registry
from distillshield.watch.checkpoint import create_tables, get_meta, set_meta
from distillshield.watch.verdicts import score_new_texts
from tests.builders import pool_and_casual_rows, requests_db


def test_each_prompt_is_scored_once_until_the_model_changes() -> None:
    con = requests_db(pool_and_casual_rows())
    create_tables(con)
    detectors = build_registry().instances("content")
    distinct = con.execute("SELECT count(DISTINCT (system_prompt, user_prompt)) FROM requests").fetchall()[0][0]
    assert score_new_texts(con, detectors) == distinct
    first = con.execute("SELECT * FROM content_scores ORDER BY text_key").fetchall()
    assert score_new_texts(con, detectors) == 0
    assert con.execute("SELECT * FROM content_scores ORDER BY text_key").fetchall() == first
    set_meta(con, "content_fingerprint", get_meta(con, "content_fingerprint") + 1)  # as if filled by another model
    assert score_new_texts(con, detectors) == distinct
    assert con.execute("SELECT * FROM content_scores ORDER BY text_key").fetchall() == first
