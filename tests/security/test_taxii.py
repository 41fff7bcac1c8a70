"""A hostile partner at the TAXII hub: oversized posts refused unread, path-escaping ids refused per object."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from distillshield.intel.taxii_config import taxii_config_from
from distillshield.intel.taxii_server import create_app
from tests.intel.conftest import serve_in_thread

SHARED = "91a7b528-80eb-42ed-a74d-c6fbd5a26116"
MEDIA = "application/taxii+json;version=2.1"
HEADERS = {"authorization": "Bearer hub-token", "accept": MEDIA, "content-type": MEDIA}
CONFIG = {
    "title": "hub",
    "max_content_length": 4096,
    "api_roots": [{"name": "intel", "title": "intel", "collections": [{"id": SHARED, "title": "campaigns"}]}],
    "tokens": [{"name": "hub", "token": "hub-token", "read": ["*"], "write": ["*"]}],
}
URL = f"/intel/collections/{SHARED}/objects/"


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(create_app(taxii_config_from(CONFIG))) as c:
        yield c


def test_declared_oversized_post_is_refused_before_reading() -> None:
    for running in serve_in_thread(create_app(taxii_config_from(CONFIG))):
        host, port = running.base_url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=5) as sock:
            head = "".join(f"{k}: {v}\r\n" for k, v in HEADERS.items())
            sock.sendall(f"POST {URL} HTTP/1.1\r\nhost: x\r\n{head}content-length: {300 * 2**20}\r\n\r\n".encode())
            answer = sock.recv(4096)  # not one byte of the 300 MB body was sent
        assert answer.startswith(b"HTTP/1.1 413"), answer[:100]


def test_chunked_oversized_post_is_refused(client: TestClient) -> None:
    def body() -> Iterator[bytes]:
        for _ in range(64):
            yield b"x" * 4096

    assert client.post(URL, content=body(), headers=HEADERS).status_code == 413


def test_escaping_ids_are_refused_per_object(client: TestClient) -> None:
    good = {"type": "identity", "spec_version": "2.1", "id": f"identity--{uuid.uuid4()}", "name": "p",
            "created": "2026-05-01T00:00:00.000Z", "modified": "2026-05-01T00:00:00.000Z"}  # fmt: skip
    bad = {"type": "../../x", "id": "x--y", "spec_version": "2.1"}
    status = client.post(URL, json={"objects": [good, bad]}, headers=HEADERS).json()
    assert (status["success_count"], status["failure_count"]) == (1, 1)
    assert status["failures"][0]["id"] == "x--y"
    held = client.get(URL, headers=HEADERS).json()["objects"]
    assert [o["id"] for o in held] == [good["id"]]


def test_deeply_nested_envelope_is_a_400(client: TestClient) -> None:
    raw = b'{"objects": [' + b"[" * 1500 + b"]" * 1500 + b"]}"
    answer = client.post(URL, content=raw, headers=HEADERS)
    assert answer.status_code in (400, 413)
