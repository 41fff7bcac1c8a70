"""TAXII 2.1: our server with taxii2-client, and ``intel push`` against medallion (the OASIS reference)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from taxii2client.common import TokenAuth
from taxii2client.v21 import Collection, Server, as_pages
from typer.testing import CliRunner

from distillshield.cli.main import app as cli
from distillshield.errors import TaxiiError
from distillshield.intel import open_collection, pull, push
from distillshield.intel.taxii_config import taxii_config_from
from distillshield.intel.taxii_server import create_app
from tests.intel.conftest import Running, serve_in_thread

SHARED = "91a7b528-80eb-42ed-a74d-c6fbd5a26116"
PRIVATE = "2f0c4a57-3c1e-4a55-9d2b-6a1f0e7d9c31"
CONFIG = {
    "title": "test hub",
    "max_page_size": 40,
    "api_roots": [
        {
            "name": "intel",
            "title": "Distillation intelligence",
            "collections": [{"id": SHARED, "title": "campaigns"}, {"id": PRIVATE, "title": "members only"}],
        }
    ],
    "tokens": [
        {"name": "hub", "token": "hub-token", "read": ["*"], "write": ["*"]},
        {"name": "reader", "token": "reader-token", "read": [SHARED]},
    ],
}


@pytest.fixture()
def hub() -> Iterator[Running]:
    yield from serve_in_thread(create_app(taxii_config_from(CONFIG)))


def _collection(hub: Running, token: str, collection: str = SHARED) -> Collection:
    return Collection(f"{hub.base_url}/intel/collections/{collection}/", auth=TokenAuth(token))


def _by_id(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(objects, key=lambda o: o["id"])


def test_taxii2_client_round_trip_is_dict_equal(hub: Running, bundle_a: Path) -> None:
    objects = json.loads(bundle_a.read_text())["objects"]
    status = _collection(hub, "hub-token").add_objects({"objects": objects})
    assert (status.status, status.success_count, status.failure_count) == ("complete", len(objects), 0)
    pages = list(as_pages(_collection(hub, "reader-token").get_objects, per_request=40))
    assert len(pages) == -(-len(objects) // 40)
    assert _by_id([o for p in pages for o in p["objects"]]) == _by_id(objects)


def test_discovery_api_root_collections_and_status(hub: Running) -> None:
    server = Server(f"{hub.base_url}/taxii2/", auth=TokenAuth("reader-token"))
    assert server.title == "test hub"
    assert [c.id for c in server.default.collections] == [SHARED]
    assert (server.default.collections[0].can_read, server.default.collections[0].can_write) == (True, False)
    status = _collection(hub, "hub-token").add_objects({"objects": [_identity("2026-05-01T00:00:00.000Z")]})
    fetched = server.default.get_status(status.id)
    assert fetched.status == "complete" and fetched.success_count == 1


def test_added_after_manifest_and_versions(hub: Running) -> None:
    col = _collection(hub, "hub-token")
    first = col.add_objects({"objects": [_identity("2026-05-01T00:00:00.000Z")]})
    col.add_objects({"objects": [_identity("2026-05-02T00:00:00.000Z")]})
    assert first.status == "complete"
    manifest = col.get_manifest()["objects"]
    assert [m["version"] for m in manifest] == ["2026-05-02T00:00:00.000Z"]
    later = col.get_objects(added_after=manifest[0]["date_added"])
    assert later.get("objects", []) == []
    everything = col.get_objects(added_after="2000-01-01T00:00:00Z", version="all")
    assert len(everything["objects"]) == 2
    assert col.object_versions(_identity("x")["id"])["versions"] == [
        "2026-05-01T00:00:00.000Z",
        "2026-05-02T00:00:00.000Z",
    ]


def test_permissions_and_authentication(hub: Running) -> None:
    with pytest.raises(TaxiiError, match="does not allow writing"):
        push(open_collection(f"{hub.base_url}/intel/collections/{SHARED}/", token="reader-token"), [_identity("x")])
    with pytest.raises(TaxiiError, match="401"):
        pull(open_collection(f"{hub.base_url}/intel/collections/{SHARED}/", token="wrong"))
    with pytest.raises(TaxiiError, match="404"):
        pull(open_collection(f"{hub.base_url}/intel/collections/{PRIVATE}/", token="reader-token"))


def test_cli_push_and_pull_against_our_server(hub: Running, bundle_a: Path, tmp_path: Path) -> None:
    url = f"{hub.base_url}/intel/collections/{SHARED}/"
    pushed = CliRunner().invoke(cli, ["intel", "push", str(bundle_a), "--url", url, "--token", "hub-token"])
    assert pushed.exit_code == 0, pushed.output
    store = tmp_path / "store"
    pulled = CliRunner().invoke(cli, ["intel", "pull", "--url", url, "--store", str(store), "--token", "reader-token"])
    assert pulled.exit_code == 0, pulled.output
    sent = len(json.loads(bundle_a.read_text())["objects"]) - 1  # the extension-definition is held back
    assert f"{sent} of {sent} object(s) accepted" in pushed.output
    assert f'{sent} object(s) pulled: {{"added": {sent}' in pulled.output


def _identity(modified: str) -> dict[str, Any]:
    return {
        "type": "identity",
        "spec_version": "2.1",
        "id": "identity--7c1f2a9e-3d4b-4c5a-8e6f-9a0b1c2d3e4f",
        "created": "2026-05-01T00:00:00.000Z",
        "modified": modified,
        "name": "Partner",
        "identity_class": "organization",
    }


@pytest.fixture(scope="module")
def medallion(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """medallion 3.0.0 (the OASIS reference server) with its memory backend on a loopback port."""
    medallion_app = pytest.importorskip("medallion")
    from werkzeug.serving import make_server

    root = tmp_path_factory.mktemp("medallion")
    collection = {
        "id": SHARED,
        "title": "campaigns",
        "can_read": True,
        "can_write": True,
        "media_types": ["application/stix+json;version=2.1"],
        "objects": [],
        "manifest": [],
    }
    data = {
        "/discovery": {"title": "medallion", "default": "http://127.0.0.1/intel/", "api_roots": []},
        "intel": {
            "information": {
                "title": "intel",
                "versions": ["application/taxii+json;version=2.1"],
                "max_content_length": 9765625,
            },
            "status": [],
            "collections": [collection],
        },
    }
    (root / "data.json").write_text(json.dumps(data))
    config = {
        "backend": {
            "module": "medallion.backends.memory_backend",
            "module_class": "MemoryBackend",
            "filename": str(root / "data.json"),
        },
        "users": {"admin": "Password0"},
        "taxii": {"max_page_size": 50},
    }
    flask_app = medallion_app.application_instance
    for part in ("users", "taxii", "backend"):
        medallion_app.set_config(flask_app, part, config)
    if "objects" not in flask_app.blueprints:
        medallion_app.register_blueprints(flask_app)
    server = make_server("127.0.0.1", 0, flask_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/intel/collections/{SHARED}/"
    finally:
        server.shutdown()
        thread.join(timeout=10)


def test_intel_push_works_against_medallion(medallion: str, bundle_a: Path) -> None:
    args = ["intel", "push", str(bundle_a), "--url", medallion, "--user", "admin", "--password", "Password0"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    objects = json.loads(bundle_a.read_text())["objects"]
    sent = [o for o in objects if o["type"] != "extension-definition"]
    assert f"{len(sent)} of {len(sent)} object(s) accepted" in result.output
    back = pull(open_collection(medallion, user="admin", password="Password0"), per_request=50)
    assert _by_id(back) == _by_id(sent)


def test_intel_serve_command_answers_discovery(tmp_path: Path) -> None:
    config = tmp_path / "taxii.yaml"
    config.write_text(json.dumps(CONFIG))  # JSON is YAML
    argv = [sys.executable, "-m", "distillshield", "intel", "serve", "--config", str(config), "--port", "0"]
    proc = subprocess.Popen(argv, stderr=subprocess.PIPE, text=True)
    try:
        port = _listening_port(proc)
        server = Server(f"http://127.0.0.1:{port}/taxii2/", auth=TokenAuth("reader-token"))
        assert server.api_roots[0].url == f"http://127.0.0.1:{port}/intel/"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        assert proc.stderr is not None
        proc.stderr.close()


def _listening_port(proc: subprocess.Popen[str]) -> int:
    assert proc.stderr is not None
    for line in proc.stderr:
        found = re.search(r"running on http://127\.0\.0\.1:(\d+)", line, re.IGNORECASE)
        if found:
            return int(found.group(1))
    raise AssertionError(f"the server never said where it listens (exit {proc.poll()})")
