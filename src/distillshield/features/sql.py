"""The SQL that turns the requests table into per-account features.

Kept as plain SQL strings (DuckDB dialect) so that each feature can be read,
tested and ported on its own. Timestamps are UTC; hours are UTC hours.
"""

from __future__ import annotations

#: Lower-case, collapse whitespace (and literal "\\n" escapes that some pipelines
#: send), and replace digit runs, so that variants of one template compare equal.
NORMALISE = "regexp_replace(regexp_replace(lower({x}), '(\\\\n|\\s)+', ' ', 'g'), '[0-9]+', '0', 'g')"

#: The /24 of an IPv4 address, the /48 of an IPv6 one.
NETWORK = """
CASE
  WHEN ip IS NULL THEN NULL
  WHEN contains(ip, ':') THEN array_to_string(string_split(ip, ':')[1:3], ':') || '::/48'
  ELSE regexp_extract(ip, '^([0-9]+\\.[0-9]+\\.[0-9]+)\\.', 1) || '.0/24'
END
"""

TEXT_KEYS = """
CREATE OR REPLACE TABLE texts AS
SELECT hash(system_prompt, user_prompt) AS text_key,
       any_value(system_prompt) AS system_prompt,
       any_value(user_prompt) AS user_prompt
FROM requests GROUP BY 1
"""

CONTENT_SCORES_DDL = "CREATE OR REPLACE TABLE content_scores (text_key UBIGINT{columns})"

#: Template keys per request: the normalised system prompt (long ones only: "You
#: are a helpful assistant." is everyone's), and the head and tail of long user
#: prompts, which is where fixed instruction blocks and wrappers sit.
REQUEST_TEMPLATES = f"""
CREATE OR REPLACE TABLE request_templates AS
WITH n AS (
  SELECT account_id, request_id,
         {NORMALISE.format(x="system_prompt")} AS sys_norm,
         {NORMALISE.format(x="user_prompt")} AS user_norm
  FROM requests
)
SELECT account_id, request_id, 'system' AS kind, md5(sys_norm) AS template_key,
       left(sys_norm, 160) AS sample, md5(user_norm) AS text_key
FROM n WHERE length(sys_norm) >= 80
UNION ALL
SELECT account_id, request_id, 'prefix', md5(left(user_norm, 100)), left(user_norm, 160), md5(user_norm)
FROM n WHERE length(user_norm) >= 220
UNION ALL
SELECT account_id, request_id, 'suffix', md5(right(user_norm, 100)), right(user_norm, 160), md5(user_norm)
FROM n WHERE length(user_norm) >= 220
"""

#: A template is shared when several accounts use it, each with varied remainders: a
#: frame every account fills with many different contents. One popular question
#: (a GSM8K item, a famous riddle) asked once or twice by each of many people under
#: their own wrappers is shared content, not a template: per account it has almost
#: no variants, however many wrappers it appears under in all.
TEMPLATES = """
CREATE OR REPLACE TABLE templates AS
SELECT kind, template_key, any_value(sample) AS sample,
       count(DISTINCT account_id) AS n_accounts, count(*) AS n_requests,
       count(DISTINCT text_key) AS n_texts
FROM request_templates GROUP BY kind, template_key
HAVING count(DISTINCT account_id) >= $min_accounts
   AND (kind = 'system'
        OR (count(DISTINCT text_key) >= $min_variants
            AND count(DISTINCT account_id || '|' || text_key) >= $per_account * count(DISTINCT account_id)))
"""

ACCOUNT_TEMPLATES = """
CREATE OR REPLACE TABLE account_templates AS
SELECT r.account_id, r.kind, r.template_key, count(*) AS n_requests
FROM request_templates r JOIN templates t USING (kind, template_key)
GROUP BY ALL
"""

ACCOUNT_FEATURES = f"""
CREATE OR REPLACE TABLE account_features AS
WITH r AS (
  SELECT q.*, {NETWORK} AS network, hour(ts) AS hour_utc, epoch(ts) AS t,
         epoch(ts) - lag(epoch(ts)) OVER (PARTITION BY account_id ORDER BY ts) AS gap
  FROM requests q
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
         count(DISTINCT user_prompt) / count(*) AS distinct_prompt_share,
         coalesce(stddev_samp(gap) / nullif(avg(gap), 0), 0) AS gap_cv,
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
  FROM requests q JOIN content_scores s ON s.text_key = hash(q.system_prompt, q.user_prompt)
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
)
SELECT base.*, hours.hour_entropy, peak.peak_hour_requests,
       base.n_requests / greatest(base.n_active_days, 1) AS requests_per_active_day,
       coalesce(tmpl.max_template_accounts, 0) AS max_template_accounts,
       coalesce(tmpl.n_shared_templates, 0) AS n_shared_templates,
       coalesce(tmpl_share.templated_requests, 0) / base.n_requests AS templated_share{{content_columns}}
FROM base
JOIN hours USING (account_id)
JOIN peak USING (account_id)
LEFT JOIN content USING (account_id)
LEFT JOIN tmpl USING (account_id)
LEFT JOIN tmpl_share USING (account_id)
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
