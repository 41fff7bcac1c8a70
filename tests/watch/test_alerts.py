"""Alerts from watch: a real loopback webhook receiver, a receiver that is down and comes back, deduplication."""

from __future__ import annotations

import csv
import gzip
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import orjson
import pytest

from distillshield.report import CampaignRow
from distillshield.watch.alerts import Alert, AlertSender, AlertState, campaign_alerts
from tests.conftest import SmallScan
from tests.watch.helpers import start_watch, status, wait_for


class Receiver:
    """A webhook receiver on a loopback port: every POSTed body, with the time it arrived."""

    def __init__(self, port: int = 0) -> None:
        self.bodies: list[tuple[float, dict[str, Any]]] = []
        received = self.bodies

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                received.append((time.monotonic(), orjson.loads(self.rfile.read(int(self.headers["Content-Length"])))))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


def _alert(n: int) -> Alert:
    return Alert(f"account:a{n}", "account_distiller", f"a{n}", f"account a{n} escalated", "2026-05-04T10:00:00Z")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _until(condition: Any, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_a_receiver_that_is_down_delays_nothing_and_loses_no_alert(tmp_path: Path) -> None:
    port = _free_port()
    spool = tmp_path / "alerts-pending.jsonl"
    sender = AlertSender(f"http://127.0.0.1:{port}/hook", spool, backoff_s=(0.05, 0.2), timeout_s=1.0)
    start = time.monotonic()
    sender.send([_alert(1), _alert(2)])
    assert time.monotonic() - start < 0.5  # send never waits for the receiver
    _until(lambda: sender.failures >= 2)
    sender.close(wait_s=0.1)  # watch stops while the receiver is still down: the alerts stay spooled
    assert sender.pending == 2 and len(spool.read_bytes().splitlines()) == 2
    again = AlertSender(f"http://127.0.0.1:{port}/hook", spool, backoff_s=(0.05, 0.2), timeout_s=1.0)
    again.send([_alert(2), _alert(3)])  # a2 is already pending: not queued twice
    receiver = Receiver(port)
    try:
        _until(lambda: len(receiver.bodies) == 3)
        assert [b["key"] for _, b in receiver.bodies] == ["account:a1", "account:a2", "account:a3"]
        _until(lambda: again.pending == 0)
        assert spool.read_bytes() == b""
    finally:
        again.close()
        receiver.close()


def test_slack_format_posts_a_text_message(tmp_path: Path, receiver: Receiver) -> None:
    sender = AlertSender(receiver.url, tmp_path / "spool.jsonl", fmt="slack", status_path=tmp_path / "alerts.json")
    sender.send([_alert(7)])
    _until(lambda: len(receiver.bodies) == 1)
    sender.close()
    body = receiver.bodies[0][1]
    assert body["text"] == "distillshield: account a7 escalated" and body["blocks"][0]["type"] == "section"
    assert orjson.loads((tmp_path / "alerts.json").read_bytes())["sent"] == 1


def _lines(log: Path, accounts: set[str]) -> bytes:
    with gzip.open(log) as f:
        return b"".join(line for line in f if orjson.loads(line)["account_id"] in accounts)


def test_an_alert_reaches_the_receiver_within_one_interval_of_a_campaign_appearing(
    tmp_path: Path, receiver: Receiver, small_scan: SmallScan
) -> None:
    with (small_scan.data_dir / "labels.csv").open() as f:
        labels = list(csv.DictReader(f))
    campaign = sorted({r["campaign_id"] for r in labels if r["campaign_id"]})[0]
    members = {r["account_id"] for r in labels if r["campaign_id"] == campaign}
    benign = {r["account_id"] for r in labels if r["label"] == "benign"}
    logs, state, out = tmp_path / "logs", tmp_path / "state", tmp_path / "out"
    logs.mkdir()
    (logs / "a.jsonl").write_bytes(_lines(small_scan.log, set(sorted(benign)[:8])))
    every, poll = 3.0, 0.2
    args = (
        "--every",
        str(every),
        "--poll",
        str(poll),
        "--alert",
        receiver.url,
        "--quiet",
        "--ocsf",
        str(out / "f.jsonl"),
    )
    process = start_watch(str(logs), state, out, *args)
    try:
        wait_for(lambda: bool(status(out)), process, tmp_path / "stderr", timeout_s=120)
        assert not [b for _, b in receiver.bodies if b["kind"] == "campaign_new"]
        appeared = time.monotonic()
        (logs / "b.jsonl").write_bytes(_lines(small_scan.log, members))
        wait_for(lambda: any(b["kind"] == "campaign_new" for _, b in receiver.bodies), process,
                 tmp_path / "stderr", timeout_s=120)  # fmt: skip
        arrived = next(t for t, b in receiver.bodies if b["kind"] == "campaign_new")
        took = status(out)["took_s"]
        assert arrived - appeared <= every + poll + took + 1.0, (arrived - appeared, took)
        alert = next(b for _, b in receiver.bodies if b["kind"] == "campaign_new")
        assert set(alert["details"]["accounts"]) <= members and alert["details"]["accounts"]
        keys = [b["key"] for _, b in receiver.bodies]
        assert len(keys) == len(set(keys))  # each thing alerted once
        assert (out / "f.jsonl").read_bytes()  # OCSF findings written with the update
    finally:
        process.terminate()
        process.wait(timeout=30)


def _campaign(cid: str, accounts: list[str]) -> CampaignRow:
    moment = datetime(2026, 5, 4, tzinfo=UTC)
    return CampaignRow(cid, tuple(accounts), 0.9, moment, moment, 10 * len(accounts))


def test_campaigns_are_followed_by_members_across_updates_and_alerted_when_they_grow() -> None:
    state = AlertState()
    first = campaign_alerts(state, [_campaign("C0001", ["a", "b"])], growth=0.6)
    assert [a.kind for a in first] == ["campaign_new"]
    # Ranks change between updates: C0002 now, with one more member: the same campaign, not grown by 60% yet.
    assert campaign_alerts(state, [_campaign("C0002", ["a", "b", "c"])], growth=0.6) == []
    grew = campaign_alerts(state, [_campaign("C0001", ["a", "b", "c", "d"])], growth=0.6)
    assert [a.kind for a in grew] == ["campaign_grew"] and grew[0].details["previous_accounts"] == 2
    other = campaign_alerts(state, [_campaign("C0001", ["a", "b", "c", "d"]), _campaign("C0002", ["x", "y"])], 0.6)
    assert [(a.kind, a.subject) for a in other] == [("campaign_new", "C0002")]
