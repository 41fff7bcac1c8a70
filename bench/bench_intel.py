"""Intel stage cost against the scan that feeds it, and our TAXII server against medallion.

One simulated log is scanned (the baseline), exported, validated, matched against itself,
and pushed to and pulled from two TAXII 2.1 servers on loopback: ours and medallion 3.0.0
(the OASIS reference, memory backend), alternately, in this process. The figures that
matter are the ratios. Results go to bench/RESULTS.md between the ``intel-benchmark``
markers, and to stdout as JSON.

Usage: python bench/bench_intel.py [--scale 0.2] [--seed 5] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import logging
import socket
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import uvicorn
from stix2validator import ValidationOptions, validate_instance

from distillshield.intel import IntelStore, export_scan, match_scan, new_keyring, open_collection, pull, push
from distillshield.intel.extension import schema_dir
from distillshield.intel.taxii_config import taxii_config_from
from distillshield.intel.taxii_server import create_app
from distillshield.pipeline import run_scan
from distillshield.simulate import simulate
from results import write_block

HERE = Path(__file__).resolve().parent
COLLECTION = "91a7b528-80eb-42ed-a74d-c6fbd5a26116"


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    value = action()
    return time.perf_counter() - start, value


def our_server() -> tuple[str, Callable[[], None]]:
    config = {
        "api_roots": [{"name": "intel", "collections": [{"id": COLLECTION, "title": "bench"}]}],
        "tokens": [{"name": "bench", "token": "bench", "read": ["*"], "write": ["*"]}],
    }
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(create_app(taxii_config_from(config)), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)

    def stop() -> None:
        server.should_exit = True
        thread.join()

    return f"http://127.0.0.1:{sock.getsockname()[1]}/intel/collections/{COLLECTION}/", stop


def medallion_server(root: Path) -> tuple[str, Callable[[], None]]:
    import medallion
    from werkzeug.serving import make_server

    collection = {
        "id": COLLECTION,
        "title": "bench",
        "can_read": True,
        "can_write": True,
        "media_types": ["application/stix+json;version=2.1"],
        "objects": [],
        "manifest": [],
    }
    info = {"title": "bench", "versions": ["application/taxii+json;version=2.1"], "max_content_length": 10**8}
    data = {
        "/discovery": {"title": "bench", "api_roots": []},
        "intel": {"information": info, "status": [], "collections": [collection]},
    }
    root.mkdir(parents=True, exist_ok=True)
    (root / "medallion.json").write_text(json.dumps(data))
    config = {
        "backend": {
            "module": "medallion.backends.memory_backend",
            "module_class": "MemoryBackend",
            "filename": str(root / "medallion.json"),
        },
        "users": {"bench": "bench"},
        "taxii": {"max_page_size": 100},
    }
    app = medallion.application_instance
    for part in ("users", "taxii", "backend"):
        medallion.set_config(app, part, config)
    if "objects" not in app.blueprints:
        medallion.register_blueprints(app)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one log line per request otherwise
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        thread.join()

    return f"http://127.0.0.1:{server.server_port}/intel/collections/{COLLECTION}/", stop


def round_trip(url: str, objects: list[dict[str, Any]], **auth: str) -> float:
    collection = open_collection(url, **auth)
    seconds, _ = timed(lambda: (push(collection, objects), pull(collection, per_request=100)))
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    keyring = new_keyring("bench")
    with tempfile.TemporaryDirectory(prefix="bench-intel-") as tmp:
        root = Path(tmp)
        log = simulate(root / "data", scale=args.scale, seed=args.seed).log
        scan_s, _ = timed(lambda: run_scan([log], root / "scan", html=False))
        export_s, bundle = timed(lambda: export_scan(root / "scan", keyring))
        opts = ValidationOptions(version="2.1", schema_dir=str(schema_dir()), disabled=["103", "302"], strict=True)
        validate_s, verdict = timed(lambda: validate_instance(bundle, opts))
        store = IntelStore(root / "store")
        import_s, _ = timed(lambda: store.import_objects(bundle["objects"]))
        match_s, matched = timed(lambda: match_scan(root / "scan", store, keyring))
        objects = [o for o in bundle["objects"] if o["type"] != "extension-definition"]
        ours, theirs = [], []
        for run in range(args.runs):
            url, stop = our_server()
            ours.append(round_trip(url, objects, token="bench"))
            stop()
            url, stop = medallion_server(root / f"m{run}")
            theirs.append(round_trip(url, objects, user="bench", password="bench"))
            stop()
    figures = {
        "objects": len(bundle["objects"]),
        "valid_strict": bool(verdict.is_valid and not verdict.warnings),
        "scan_s": round(scan_s, 2),
        "export_s": round(export_s, 3),
        "ratio_export_to_scan": round(export_s / scan_s, 4),
        "validate_s": round(validate_s, 2),
        "import_s": round(import_s, 2),
        "match_s": round(match_s, 2),
        "ratio_match_to_scan": round(match_s / scan_s, 4),
        "linked_accounts": len(matched.links),
        "taxii_round_trip_ours_s": round(statistics.median(ours), 3),
        "taxii_round_trip_medallion_s": round(statistics.median(theirs), 3),
        "ratio_ours_to_medallion": round(statistics.median(ours) / statistics.median(theirs), 3),
    }
    print(json.dumps(figures, indent=2))
    write_results(figures, args)


def write_results(figures: dict[str, Any], args: argparse.Namespace) -> None:
    rows = "\n".join(
        f"| {k} | {v:,} |" if isinstance(v, int) and not isinstance(v, bool) else f"| {k} | {v} |"
        for k, v in figures.items()
    )
    block = (
        f"## Intel stage vs the scan, our TAXII server vs medallion\n\n"
        f"`python bench/bench_intel.py --scale {args.scale} --seed {args.seed} --runs {args.runs}`: export, strict "
        "validation, import and self-match of every campaign of one scan; TAXII round trip = push the bundle "
        "(less the extension-definition) and pull it back with taxii2-client, on loopback, medians of alternating "
        f"runs.\n\n| figure | value |\n|---|---|\n{rows}\n"
    )
    write_block("intel-benchmark", block)


if __name__ == "__main__":
    main()
