"""The SQL that turns the requests table into per-account features.

Kept as plain SQL strings (DuckDB dialect) so that each feature can be read,
tested and ported on its own. Timestamps are UTC; hours are UTC hours.

The same text runs on Spark, transpiled by :mod:`distillshield.engines.sparksql`,
so it keeps to a portable subset: no list slicing, ``GROUP BY ALL``, ``EXCLUDE``,
``time_bucket`` or ordered ``list()``; ``hash()``, ``epoch()`` and decimal literals
are mapped by the transpiler (see docs/spark.md).
"""

from __future__ import annotations

#: Lower-case, collapse whitespace (and literal "\\n" escapes that some pipelines
#: send), and replace digit runs, so that variants of one template compare equal.
NORMALISE = "regexp_replace(regexp_replace(lower({x}), '(\\\\n|\\s)+', ' ', 'g'), '[0-9]+', '0', 'g')"

#: The /24 of an IPv4 address, the /48 of an IPv6 one.
NETWORK = """
CASE
  WHEN ip IS NULL THEN NULL
  WHEN ip LIKE '%:%' THEN regexp_extract(ip, '^[^:]*(:[^:]*)?(:[^:]*)?', 0) || '::/48'
  ELSE regexp_extract(ip, '^([0-9]+\\.[0-9]+\\.[0-9]+)\\.', 1) || '.0/24'
END
"""

#: The turns a request carries beyond its system text and last user text, as stored JSON: earlier user
#: turns, list-of-parts contents (``input_text`` and other part types) and tool descriptions in ``extra``.
#: NULL for the common request (string system and one user turn), which its two texts already describe.
#: The content detectors read these turns (``features.content.turns``), so they are part of what a score
#: is keyed on. ``LIKE`` rather than JSON functions: the same SQL runs on DuckDB and Spark, and a false
#: match only costs one more distinct text.
_CONTEXT = """CASE WHEN {q}n_user_turns > 1 OR {q}messages LIKE '%"type"%' OR {q}extra LIKE '%"tools"%'
  THEN coalesce({q}messages, '') || chr(10) || coalesce({q}extra, '') END"""


def content_key(alias: str = "") -> str:
    """SQL for a request's content-score key: its system text, last user text and other client turns."""
    q = f"{alias}." if alias else ""
    return f"hash({q}system_prompt, {q}user_prompt, coalesce({_CONTEXT.format(q=q)}, ''))"


TEXT_KEYS = f"""
CREATE OR REPLACE TABLE texts AS
SELECT {content_key()} AS text_key,
       any_value(system_prompt) AS system_prompt,
       any_value(user_prompt) AS user_prompt,
       any_value({_CONTEXT.format(q="")}) AS context
FROM requests GROUP BY 1
"""

CONTENT_SCORES_DDL = "CREATE OR REPLACE TABLE content_scores (text_key UBIGINT{columns})"

#: Template pieces of each distinct prompt pair: the normalised system prompt (long ones only: "You are a
#: helpful assistant." is everyone's), and the head and tail of long user prompts, which is where fixed
#: instruction blocks and wrappers sit. Per pair, not per request: the normalised texts stay in this small
#: table, and the per-request tables below carry keys only (at 10M requests, carrying the texts through
#: the request join spilled gigabytes past the memory limit and took 13x the time of 1M).
PROMPT_PIECES = """
CREATE OR REPLACE TABLE prompt_pieces AS
SELECT text_key, 'system' AS kind, md5(sys_norm) AS template_key, left(sys_norm, 160) AS sample, user_key
FROM prompt_facts WHERE length(sys_norm) >= 80
UNION ALL
SELECT text_key, 'prefix', md5(left(user_norm, 100)), left(user_norm, 160), user_key
FROM prompt_facts WHERE length(user_norm) >= 220
UNION ALL
SELECT text_key, 'suffix', md5(right(user_norm, 100)), right(user_norm, 160), user_key
FROM prompt_facts WHERE length(user_norm) >= 220
"""

#: Template pieces per request; ``text_key`` here is the normalised user prompt's key.
REQUEST_TEMPLATES = """
CREATE OR REPLACE TABLE request_pieces AS
SELECT r.account_id, r.request_id, p.kind, p.template_key, p.user_key AS text_key
FROM requests r JOIN prompt_pieces p ON p.text_key = hash(r.system_prompt, r.user_prompt)
"""

# --- near-duplicate templates (features/templates.py): exact piece keys -> cluster keys ----------------------

#: One row per exact template key with its normalised piece, for MinHash clustering in Python: system
#: prompts whole, heads and tails cut back out of ``sample``.
TEMPLATE_PIECES = """
SELECT 'system' AS kind, md5(sys_norm) AS template_key, min(sys_norm) AS piece
FROM prompt_facts WHERE length(sys_norm) >= 80
GROUP BY md5(sys_norm)
UNION ALL
SELECT kind, template_key, min(CASE WHEN kind = 'prefix' THEN left(sample, 100) ELSE right(sample, 100) END)
FROM prompt_pieces WHERE kind <> 'system'
GROUP BY kind, template_key
"""

#: ``request_pieces`` with each exact key replaced by its near-duplicate cluster's key, from the registered
#: ``template_clusters`` (kind, template_key, cluster_key) table, which lists only keys that change.
REQUEST_TEMPLATES_CLUSTERED = """
CREATE OR REPLACE TABLE request_templates AS
SELECT p.account_id, p.request_id, p.kind, coalesce(c.cluster_key, p.template_key) AS template_key, p.text_key
FROM request_pieces p LEFT JOIN template_clusters c ON c.kind = p.kind AND c.template_key = p.template_key
"""

#: A readable sample of each (clustered) template, from the distinct pieces rather than the requests.
TEMPLATE_SAMPLES = """
CREATE OR REPLACE TABLE template_samples AS
SELECT p.kind, coalesce(c.cluster_key, p.template_key) AS template_key, min(p.sample) AS sample
FROM prompt_pieces p LEFT JOIN template_clusters c ON c.kind = p.kind AND c.template_key = p.template_key
GROUP BY p.kind, coalesce(c.cluster_key, p.template_key)
"""

# --- end of near-duplicate templates ---------------------------------------------------------------------

#: A template is shared when several accounts use it, each with varied remainders: a
#: frame every account fills with many different contents. One popular question
#: (a GSM8K item, a famous riddle) asked once or twice by each of many people under
#: their own wrappers is shared content, not a template: per account it has almost
#: no variants, however many wrappers it appears under in all.
TEMPLATES = """
CREATE OR REPLACE TABLE templates AS
SELECT g.kind, g.template_key, s.sample, g.n_accounts, g.n_requests, g.n_texts
FROM (
  SELECT kind, template_key, count(DISTINCT account_id) AS n_accounts, count(*) AS n_requests,
         count(DISTINCT text_key) AS n_texts
  FROM request_templates GROUP BY kind, template_key
  HAVING count(DISTINCT account_id) >= $min_accounts
     AND (kind = 'system'
          OR (count(DISTINCT text_key) >= $min_variants
              AND count(DISTINCT account_id || '|' || text_key) >= $per_account * count(DISTINCT account_id)))
) g JOIN template_samples s USING (kind, template_key)
"""

ACCOUNT_TEMPLATES = """
CREATE OR REPLACE TABLE account_templates AS
SELECT r.account_id, r.kind, r.template_key, count(*) AS n_requests
FROM request_templates r JOIN templates t USING (kind, template_key)
GROUP BY r.account_id, r.kind, r.template_key
"""

# --- capability coverage and model-release pivots (behaviour features) -----------------------------------

#: Capability areas a request's prompts touch, as (lower-case) regular expressions that RE2 and Java
#: both read. A request may touch several areas, or none. Cheap on purpose: this is coverage and
#: concentration per account, not a classifier of single requests.
CAPABILITY_PATTERNS = {
    "math": r"\\boxed|\b(solve|calculate|compute|equation|how (many|much)|percent|probability|integer)\b"
    r"|[0-9] ?[-+*/=] ?[0-9]",
    "code": r"\bdef |```|\bfunction\b|\bpython\b|\bclass |\bimport |>>>|\bcode\b|\brepository\b",
    "reasoning": r"step by step|step-by-step|chain of thought|reasoning|\bthink|\bexplain|\bprove\b",
    "grading": r"\brubric|\bgrade\b|\b(score|rate|evaluate|judge) (the|this|each|both)\b"
    r"|which (response|answer) is better",
    "tools": r"\btools?\b|tool call|function call",
    "writing": r"\bwrite (a|an|me)\b|\bessay|\bpoem|\bstory\b|\bemail\b|\btranslate|\bsummari[sz]e",
}


def _capability_flag(area: str, pattern: str) -> str:
    """Whether a distinct prompt pair touches ``area`` (a prompt_facts column)."""
    # The user prompt says what is asked; a system prompt is the same on every request of a wrapper and
    # would paint all of them with its own words. Tool use is the exception: tools live in the system
    # prompt (and a tool call made counts too, per request, in _capability_share).
    text = "system_prompt" if area == "tools" else "user_prompt"
    return f"regexp_matches(lower(coalesce({text}, '')), '{pattern}') AS cap_{area}"


_FLAGS = "".join(f", {_capability_flag(a, p)}" for a, p in CAPABILITY_PATTERNS.items())

#: Facts about each distinct (system, user) prompt pair, computed once per pair rather than once per
#: request (campaigns repeat their prompts, so a log has far fewer distinct pairs than requests):
#: the template pieces of the normalised texts and which capability areas the prompts touch.
#: Built from the requests table itself, so a replay's cut-off or watch's growing log is always covered.
PROMPT_FACTS = f"""
CREATE OR REPLACE TABLE prompt_facts AS
WITH d AS (
  SELECT hash(system_prompt, user_prompt) AS text_key, min(system_prompt) AS system_prompt,
         min(user_prompt) AS user_prompt
  FROM requests GROUP BY 1
),
n AS (
  SELECT text_key, {NORMALISE.format(x="system_prompt")} AS sys_norm,
         {NORMALISE.format(x="user_prompt")} AS user_norm{_FLAGS}
  FROM d
)
SELECT *, md5(user_norm) AS user_key FROM n
"""


def _capability_share(area: str) -> str:
    hit = "(coalesce(q.tool_calls, 0) > 0 OR f.cap_tools)" if area == "tools" else f"f.cap_{area}"
    return f"avg(CASE WHEN {hit} THEN 1.0 ELSE 0.0 END) AS cap_{area}_share"


def _capability_entropy() -> str:
    """Normalised Shannon entropy of the areas' hit shares: 0 = one area only, 1 = all areas evenly."""
    shares = [f"caps.cap_{a}_share" for a in CAPABILITY_PATTERNS]
    total = " + ".join(shares)
    plogp = " + ".join(f"CASE WHEN {s} > 0 THEN {s} * ln({s}) ELSE 0 END" for s in shares)
    return f"CASE WHEN {total} > 0 THEN (ln({total}) - ({plogp}) / ({total})) / ln({len(shares)}) ELSE 0 END"


#: Per account: the share of requests touching each area.
CAPABILITIES_CTE = (
    "caps AS (\n  SELECT q.account_id, "
    + ",\n         ".join(_capability_share(a) for a in CAPABILITY_PATTERNS)
    + "\n  FROM requests q JOIN prompt_facts f ON f.text_key = hash(q.system_prompt, q.user_prompt)"
    + "\n  GROUP BY q.account_id\n)"
)

#: Columns from ``caps``: each share, the areas with at least 10% of requests (breadth), the largest
#: share (concentration) and the entropy over areas.
CAPABILITY_COLUMNS = (
    "".join(f", caps.cap_{a}_share" for a in CAPABILITY_PATTERNS)
    + ", "
    + " + ".join(f"CASE WHEN caps.cap_{a}_share >= 0.1 THEN 1 ELSE 0 END" for a in CAPABILITY_PATTERNS)
    + " AS capability_breadth, greatest("
    + ", ".join(f"caps.cap_{a}_share" for a in CAPABILITY_PATTERNS)
    + ") AS capability_top_share, "
    + _capability_entropy()
    + " AS capability_entropy"
)

#: A model is *new* when it first appears in the log a day or more after the log starts (one there from
#: the start is just in use). Per account, over its requests after each new model's first appearance:
#: the hours until its first request on the new model (null when it never used one), the share of
#: its requests in the first 24 hours that went to the new model, and how many requests it sent to
#: new models. When several models are new, a request counts once per model released before it.
RELEASE_CTE = """new_models AS (
  SELECT model, min(epoch(ts)) AS released_t FROM requests GROUP BY model
  HAVING min(epoch(ts)) >= (SELECT min(epoch(ts)) FROM requests) + 86400
),
release AS (
  SELECT r.account_id,
         min(CASE WHEN r.model = m.model THEN r.t - m.released_t END) / 3600.0 AS new_model_lag_hours,
         avg(CASE WHEN r.t < m.released_t + 86400 THEN (CASE WHEN r.model = m.model THEN 1.0 ELSE 0.0 END) END)
           AS new_model_day_share,
         count(CASE WHEN r.model = m.model THEN 1 END) AS new_model_requests
  FROM r JOIN new_models m ON r.t >= m.released_t
  GROUP BY r.account_id
)"""

RELEASE_COLUMNS = (
    ", release.new_model_lag_hours, coalesce(release.new_model_day_share, 0) AS new_model_day_share,"
    " coalesce(release.new_model_requests, 0) / base.n_requests AS new_model_share"
)

# --- end of capability coverage and model-release pivots -------------------------------------------------

ACCOUNT_FEATURES = f"""
CREATE OR REPLACE TABLE account_features AS
WITH r AS (
  SELECT q.*, {NETWORK} AS network, hour(ts) AS hour_utc, epoch(ts) AS t, hash(user_prompt) AS prompt_key
  FROM requests q
),
-- Inter-arrival gaps on two columns only: a window sort that dragged every feature column along
-- (prompts included) was most of this statement and spilled past the memory limit at 10M requests.
gaps AS (
  SELECT account_id, coalesce(stddev_samp(gap) / nullif(avg(gap), 0), 0) AS gap_cv
  FROM (SELECT account_id, epoch(ts) - lag(epoch(ts)) OVER (PARTITION BY account_id ORDER BY ts) AS gap
        FROM requests)
  GROUP BY account_id
),
base AS (
  SELECT account_id,
         count(*) AS n_requests,
         count(DISTINCT CAST(ts AS DATE)) AS n_active_days,
         (max(t) - min(t)) / 3600.0 AS span_hours,
         min(t) AS first_t, max(t) AS last_t,
         count(DISTINCT ip) AS n_ips, count(DISTINCT network) AS n_networks,
         count(DISTINCT asn) AS n_asns, count(DISTINCT user_agent) AS n_user_agents,
         count(DISTINCT api_key_id) AS n_keys, count(DISTINCT user_id) AS n_end_users,
         count(DISTINCT model) AS n_models,
         avg(coalesce(prompt_tokens, 0)) AS mean_prompt_tokens,
         avg(coalesce(completion_tokens, 0)) AS mean_completion_tokens,
         avg(coalesce(reasoning_tokens, 0)) AS mean_reasoning_tokens,
         avg(CASE WHEN coalesce(tool_calls, 0) > 0 THEN 1.0 ELSE 0.0 END) AS tool_call_share,
         avg(CASE WHEN n_user_turns > 1 THEN 1.0 ELSE 0.0 END) AS multi_turn_share,
         avg(CASE WHEN status = 429 THEN 1.0 ELSE 0.0 END) AS rate_limited_share,
         -- Distinct 64-bit hashes rather than texts: exact but for a collision, and eight bytes a row to keep.
         count(DISTINCT prompt_key) / count(*) AS distinct_prompt_share,
         (min(t) - epoch(min(account_created_at))) / 3600.0 AS age_at_first_request_hours
  FROM r GROUP BY account_id
),
hours AS (
  SELECT account_id, -sum(p * ln(p)) / ln(24) AS hour_entropy
  FROM (SELECT account_id, count(*) / sum(count(*)) OVER (PARTITION BY account_id) AS p
        FROM r GROUP BY account_id, hour_utc)
  GROUP BY account_id
),
peak AS (
  SELECT account_id, max(c) AS peak_hour_requests
  FROM (SELECT account_id, date_trunc('hour', ts) AS h, count(*) AS c FROM r GROUP BY 1, 2)
  GROUP BY account_id
),
content AS (
  SELECT q.account_id{{content_aggregates}}
  FROM requests q JOIN content_scores s ON s.text_key = {content_key("q")}
  GROUP BY q.account_id
),
tmpl AS (
  SELECT a.account_id,
         max(t.n_accounts) AS max_template_accounts,
         count(DISTINCT a.template_key) AS n_shared_templates
  FROM account_templates a JOIN templates t USING (kind, template_key)
  GROUP BY a.account_id
),
tmpl_share AS (
  SELECT account_id, count(DISTINCT request_id) AS templated_requests
  FROM request_templates JOIN templates USING (kind, template_key) GROUP BY account_id
),
{CAPABILITIES_CTE},
{RELEASE_CTE}
SELECT base.*, gaps.gap_cv, hours.hour_entropy, peak.peak_hour_requests,
       base.n_requests / greatest(base.n_active_days, 1) AS requests_per_active_day,
       coalesce(tmpl.max_template_accounts, 0) AS max_template_accounts,
       coalesce(tmpl.n_shared_templates, 0) AS n_shared_templates,
       coalesce(tmpl_share.templated_requests, 0) / base.n_requests AS templated_share{{content_columns}}
       {CAPABILITY_COLUMNS}{RELEASE_COLUMNS}
FROM base
JOIN gaps USING (account_id)
JOIN hours USING (account_id)
JOIN peak USING (account_id)
LEFT JOIN content USING (account_id)
LEFT JOIN tmpl USING (account_id)
LEFT JOIN tmpl_share USING (account_id)
JOIN caps USING (account_id)
LEFT JOIN release USING (account_id)
ORDER BY account_id
"""


def content_aggregates(names: list[str], thresholds: list[float]) -> tuple[str, str]:
    """SQL fragments for ``<name>_share`` (share of hits), ``<name>_mean`` and ``<name>_hits`` per detector."""
    aggregates = "".join(
        f", avg(CASE WHEN s.{n} >= {t} THEN 1.0 ELSE 0.0 END) AS {n}_share, avg(s.{n}) AS {n}_mean,"
        f" count(*) FILTER (WHERE s.{n} >= {t}) AS {n}_hits"
        for n, t in zip(names, thresholds, strict=True)
    )
    columns = "".join(
        f", coalesce(content.{n}_share, 0) AS {n}_share, coalesce(content.{n}_mean, 0) AS {n}_mean,"
        f" coalesce(content.{n}_hits, 0) AS {n}_hits"
        for n in names
    )
    return aggregates, columns
