"""Alerts from ``watch``: a new campaign, a campaign that grew, an account escalated to ``distiller``.

After each verdict update, :class:`Alerter` compares the new ``accounts.csv`` and
``campaigns.json`` with what it has already alerted on (kept in ``STATE/alerts-state.json``
so a restart does not alert twice) and hands new alerts to :class:`AlertSender`.

Campaign ids (``C0001``) are ranks within one update, so a campaign is recognised
across updates by its members: a campaign that shares accounts with a known one is that
campaign; one that shares none is new.

The sender never blocks the watch loop: alerts go to a queue that a background
thread POSTs, retrying with exponential backoff while the receiver is down. Every
alert is appended to a spool file (``STATE/alerts-pending.jsonl``) before it is
queued and removed once the receiver took it (HTTP 2xx), so an alert is not lost when
the receiver is down, nor when watch stops or dies before it could be delivered: the
next watch sends it. Failures are logged and counted in ``OUT/alerts.json``.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import orjson

from distillshield.report import read_accounts_csv, read_campaigns_json

log = logging.getLogger(__name__)
AlertFormat = Literal["json", "slack"]
Kind = Literal["campaign_new", "campaign_grew", "account_distiller"]


@dataclass(frozen=True, slots=True)
class Alert:
    """One thing to tell a human about; ``key`` is what deduplication compares."""

    key: str
    kind: Kind
    subject: str  # the campaign id of that update, or the account id
    summary: str
    at: str
    details: dict[str, Any] = field(default_factory=dict)

    def payload(self, fmt: AlertFormat) -> dict[str, Any]:
        """The JSON body: the alert itself, or a Slack incoming-webhook message (``text`` plus one section)."""
        if fmt == "slack":
            section = {"type": "section", "text": {"type": "mrkdwn", "text": f"*distillshield*: {self.summary}"}}
            return {"text": f"distillshield: {self.summary}", "blocks": [section]}
        return {"source": "distillshield", **asdict(self)}


@dataclass
class AlertState:
    """What has been alerted on: known campaigns (members and the size last alerted) and distiller accounts."""

    campaigns: list[dict[str, Any]] = field(default_factory=list)  # {"key", "members", "alerted_size"}
    distillers: set[str] = field(default_factory=set)

    @classmethod
    def load(cls, path: Path) -> AlertState:
        if not path.exists():
            return cls()
        data = orjson.loads(path.read_bytes())
        return cls(data.get("campaigns", []), set(data.get("distillers", [])))

    def save(self, path: Path) -> None:
        data = {"campaigns": self.campaigns, "distillers": sorted(self.distillers)}
        _replace(path, orjson.dumps(data))


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def campaign_alerts(state: AlertState, campaigns: list[Any], growth: float) -> list[Alert]:
    """New campaigns, and known ones whose membership grew by ``growth`` (0.5: half again) since the last alert."""
    alerts = []
    for campaign in campaigns:
        members = set(campaign.accounts)
        known = max(state.campaigns, key=lambda c: len(members & set(c["members"])), default=None)
        details = {"campaign_id": campaign.campaign_id, "accounts": sorted(members), "risk": campaign.risk,
                   "requests": campaign.requests, "first_seen": campaign.first_seen.isoformat()}  # fmt: skip
        if known is None or not members & set(known["members"]):
            key = f"campaign:{min(members)}"
            state.campaigns.append({"key": key, "members": sorted(members), "alerted_size": len(members)})
            summary = f"new campaign {campaign.campaign_id}: {len(members)} accounts, risk {campaign.risk:.2f}"
            alerts.append(Alert(key, "campaign_new", campaign.campaign_id, summary, _now(), details))
            continue
        known["members"] = sorted(members | set(known["members"]))
        if len(members) >= known["alerted_size"] * (1 + growth):
            summary = (
                f"campaign {campaign.campaign_id} grew from {known['alerted_size']} to {len(members)} accounts, "
                f"risk {campaign.risk:.2f}"
            )
            alerts.append(Alert(f"{known['key']}:{len(members)}", "campaign_grew", campaign.campaign_id, summary,
                                _now(), {**details, "previous_accounts": known["alerted_size"]}))  # fmt: skip
            known["alerted_size"] = len(members)
    return alerts


def account_alerts(state: AlertState, accounts: list[Any]) -> list[Alert]:
    """Accounts whose verdict became ``distiller`` (each one once)."""
    alerts = []
    for row in accounts:
        if row.verdict == "distiller" and row.account_id not in state.distillers:
            state.distillers.add(row.account_id)
            summary = f"account {row.account_id} escalated to distiller (risk {row.risk:.2f}): {row.reasons}"
            details = {"account_id": row.account_id, "risk": row.risk, "campaign_id": row.campaign_id,
                       "reasons": row.reasons}  # fmt: skip
            alerts.append(Alert(f"account:{row.account_id}", "account_distiller", row.account_id, summary, _now(),
                                details))  # fmt: skip
    return alerts


class AlertSender:
    """POSTs alerts to ``url`` from a background thread; pending ones live in ``spool`` until delivered."""

    def __init__(
        self,
        url: str,
        spool: Path,
        *,
        fmt: AlertFormat = "json",
        timeout_s: float = 5.0,
        backoff_s: tuple[float, float] = (0.5, 30.0),
        status_path: Path | None = None,
    ) -> None:
        self.url, self.spool, self.fmt, self.timeout_s = url, spool, fmt, timeout_s
        self.backoff_s, self.status_path = backoff_s, status_path
        self.sent = self.failures = 0
        self.last_error: str | None = None
        self._lock = threading.Lock()
        self._pending: deque[Alert] = deque(self._load())
        self._wake, self._stop = threading.Event(), threading.Event()
        self._thread = threading.Thread(target=self._run, name="watch-alerts", daemon=True)
        self._thread.start()

    def _load(self) -> list[Alert]:
        if not self.spool.exists():
            return []
        return [Alert(**orjson.loads(line)) for line in self.spool.read_bytes().splitlines() if line.strip()]

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._pending)

    def send(self, alerts: list[Alert]) -> None:
        """Queue ``alerts`` (returns at once); an alert whose key is already pending is not queued again."""
        with self._lock:
            keys = {a.key for a in self._pending}
            fresh = [a for a in alerts if a.key not in keys]
            self._pending.extend(fresh)
            self._write_spool()
        if fresh:
            self._wake.set()

    def close(self, wait_s: float = 2.0) -> None:
        """Stop the thread after at most ``wait_s`` more seconds of trying; undelivered alerts stay spooled."""
        deadline = time.monotonic() + wait_s
        while self.pending and time.monotonic() < deadline and self.failures == 0:
            time.sleep(0.05)
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=max(0.1, deadline - time.monotonic()) + self.timeout_s)

    def _run(self) -> None:
        delay = self.backoff_s[0]
        while not self._stop.is_set():
            with self._lock:
                head = self._pending[0] if self._pending else None
            if head is None:
                self._wake.wait()
                self._wake.clear()
                continue
            if self._post(head):
                with self._lock:
                    self._pending.popleft()
                    self._write_spool()
                self.sent += 1
                delay = self.backoff_s[0]
            else:
                self._stop.wait(delay)  # the receiver is down: wait, then try the same alert again
                delay = min(delay * 2, self.backoff_s[1])
            self._write_status()

    def _post(self, alert: Alert) -> bool:
        body = orjson.dumps(alert.payload(self.fmt))
        request = urllib.request.Request(self.url, body, {"Content-Type": "application/json"}, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:  # noqa: S310 (user's URL)
                return bool(200 <= response.status < 300)
        except (urllib.error.URLError, OSError, ValueError) as exc:
            self.failures += 1
            self.last_error = str(exc)
            log.warning("alert %s not delivered to %s (attempt failed: %s); retrying", alert.key, self.url, exc)
            return False

    def _write_spool(self) -> None:
        _replace(self.spool, b"".join(orjson.dumps(asdict(a)) + b"\n" for a in self._pending))

    def _write_status(self) -> None:
        if self.status_path is not None:
            status = {"url": self.url, "sent": self.sent, "failed_attempts": self.failures,
                      "pending": self.pending, "last_error": self.last_error}  # fmt: skip
            _replace(self.status_path, orjson.dumps(status, option=orjson.OPT_INDENT_2))


def _replace(path: Path, data: bytes) -> None:
    """Write ``path`` whole or not at all (a crash mid-write leaves the previous version)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class Alerter:
    """After each update: read the scan outputs in ``out_dir``, alert on what is new, remember it in ``state_dir``."""

    def __init__(self, sender: AlertSender, state_dir: Path, out_dir: Path, *, growth: float = 0.5) -> None:
        self.sender, self.out_dir, self.growth = sender, out_dir, growth
        self.state_path = state_dir / "alerts-state.json"
        self.state = AlertState.load(self.state_path)

    def update(self) -> list[Alert]:
        accounts_csv, campaigns_json = self.out_dir / "accounts.csv", self.out_dir / "campaigns.json"
        if not accounts_csv.exists() or not campaigns_json.exists():
            return []
        alerts = campaign_alerts(self.state, read_campaigns_json(campaigns_json), self.growth)
        alerts += account_alerts(self.state, read_accounts_csv(accounts_csv))
        # Spooled before the state is saved: a crash between the two re-alerts (deduplicated) rather than loses.
        self.sender.send(alerts)
        self.state.save(self.state_path)
        return alerts
