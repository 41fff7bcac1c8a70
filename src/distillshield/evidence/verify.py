"""Check an evidence package: every byte, every entry, the chain, the signature and the signer.

:func:`verify_package` never stops at the first problem: it reports each one as
a :class:`Problem` naming the entry and the kind of tampering, so an analyst can
tell a swapped record file from a re-signed manifest. Tampering is a finding,
not an error; only a file that cannot be read at all raises.

A package may come from anyone, so reading it is bounded the way archive
extractors guard against zip bombs (the checks of Python's ``zipfile`` security
notes and of ``unzip``'s bomb detection): the manifest is read first, within
:data:`MAX_MANIFEST_BYTES`; an entry the chain does not list is reported and never
decompressed; a listed one is decompressed in pieces (hashed as it streams) only when
its declared size is the chain's, at most :data:`MAX_ENTRY_BYTES`, and it expands no
more than :data:`MAX_RATIO` times (past :data:`RATIO_FLOOR`). Breaking a limit is a
problem of kind ``limit``; a malformed manifest is a ``changed`` problem naming what
is wrong, never a traceback.
"""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from distillshield.errors import Location, UnreadableFileError
from distillshield.evidence.keys import fingerprint, public_key_from_raw
from distillshield.evidence.package import (
    FORMAT,
    GENESIS,
    MANIFEST,
    SIGNATURE,
    build_archive,
    link_hash,
    region_at,
)

#: changed: bytes differ; removed / added: an entry (or bytes) missing or extra; reordered: out of chain order;
#: chain: the chain's links do not hold together; signature: the manifest's signature fails; signer: not the
#: trusted key; damaged: the archive cannot be read as a zip.
Tamper = Literal["changed", "removed", "added", "reordered", "chain", "signature", "signer", "damaged", "limit"]
_TRAILER = (MANIFEST, SIGNATURE)

#: Largest manifest.json (or signature) read.
MAX_MANIFEST_BYTES = 16 * 1024 * 1024
#: Largest single entry decompressed.
MAX_ENTRY_BYTES = 1024 * 1024 * 1024
#: Most bytes an entry may expand to per compressed byte, once past RATIO_FLOOR.
MAX_RATIO = 200
RATIO_FLOOR = 16 * 1024 * 1024
#: Most entries in one archive.
MAX_ENTRIES = 100_000
_PIECE = 1 << 20


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a package."""

    entry: str
    kind: Tamper
    detail: str


@dataclass(frozen=True, slots=True)
class Verification:
    """The outcome: ``ok`` only when no problem was found."""

    path: Path
    problems: tuple[Problem, ...]
    entries: int = 0
    campaigns: tuple[str, ...] = ()
    fingerprint: str | None = None
    #: Whether the signer was checked against a key the verifier trusts (``--key``).
    signer_checked: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def status(self) -> str:
        """``tampered``, ``intact`` (signer checked) or ``unsigned: signer not checked``."""
        if not self.ok:
            return "tampered"
        return "intact" if self.signer_checked else "unsigned: signer not checked"

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "ok": self.ok,
            "status": self.status,
            "entries": self.entries,
            "campaigns": list(self.campaigns),
            "fingerprint": self.fingerprint,
            "signer_checked": self.signer_checked,
            "problems": [{"entry": p.entry, "kind": p.kind, "detail": p.detail} for p in self.problems],
        }


@dataclass
class _Archive:
    names: list[str] = field(default_factory=list)
    infos: dict[str, zipfile.ZipInfo] = field(default_factory=dict)
    contents: dict[str, bytes] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


def verify_package(path: Path, trusted: Ed25519PublicKey | None = None) -> Verification:
    """Verify ``path``; with ``trusted``, the manifest must also be signed by that key."""
    try:
        with zipfile.ZipFile(path) as zf:
            return _verify(path, zf, trusted)
    except OSError as exc:
        raise UnreadableFileError(f"cannot read: {exc.strerror or exc}", Location(path)) from exc
    except (zipfile.BadZipFile, ValueError, EOFError, RuntimeError, NotImplementedError) as exc:
        # A flipped header bit can claim encryption (RuntimeError) or an unsupported feature
        # (NotImplementedError): the archive is damaged, not the verifier.
        return Verification(path, (Problem("archive", "damaged", f"not a readable zip archive ({exc})"),))


def _verify(path: Path, zf: zipfile.ZipFile, trusted: Ed25519PublicKey | None) -> Verification:
    archive = _list_archive(zf)
    for name in _TRAILER:
        if name in archive.infos:
            _read_entry(zf, archive, name, None, MAX_MANIFEST_BYTES)
    problems = archive.problems
    manifest = _manifest(archive, problems)
    if manifest is None:
        return Verification(path, tuple(problems))
    signer = _check_signature(archive, manifest, trusted, problems)
    chain = manifest["chain"]
    _check_chain(chain, manifest["head"], problems)
    for link in chain:  # only what the chain lists is ever decompressed
        if link["name"] in archive.infos and link["name"] not in _TRAILER:
            _read_entry(zf, archive, link["name"], link["bytes"], MAX_ENTRY_BYTES)
    _check_entries(archive, chain, problems)
    if not problems:
        _check_layout(path.read_bytes(), archive, problems)
    campaigns = tuple(str(c) for c in manifest.get("campaigns", []))
    return Verification(path, tuple(problems), len(chain), campaigns, signer, trusted is not None)


def _list_archive(zf: zipfile.ZipFile) -> _Archive:
    """The entries' names and headers from the central directory; nothing is decompressed here."""
    archive = _Archive()
    infos = zf.infolist()
    if len(infos) > MAX_ENTRIES:
        archive.problems.append(Problem("archive", "limit", f"{len(infos):,} entries, more than {MAX_ENTRIES:,}"))
        infos = infos[:MAX_ENTRIES]
    for info in infos:
        name = info.filename
        if name in archive.infos:
            archive.problems.append(Problem(name, "added", "a second entry with this name"))
            continue
        archive.names.append(name)
        archive.infos[name] = info
    return archive


def _read_entry(zf: zipfile.ZipFile, archive: _Archive, name: str, expected: int | None, cap: int) -> None:
    """Decompress one entry in pieces, within its limits; a refusal or failure becomes a problem."""
    info = archive.infos[name]
    problem = _entry_limit(info, expected, cap)
    if problem is not None:
        archive.problems.append(Problem(name, "limit" if problem[0] else "changed", problem[1]))
        return
    pieces, size = [], 0
    try:
        with zf.open(info) as handle:
            while piece := handle.read(_PIECE):
                size += len(piece)
                if size > info.file_size:  # zipfile stops at the declared size; this is a second fence
                    raise zipfile.BadZipFile("more bytes than the header declares")
                pieces.append(piece)
    # zipfile raises NotImplementedError for a compression method it cannot read: a tampered header.
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError) as exc:
        archive.problems.append(Problem(name, "changed", f"entry cannot be read back intact ({exc})"))
        return
    archive.contents[name] = b"".join(pieces)


def _entry_limit(info: zipfile.ZipInfo, expected: int | None, cap: int) -> tuple[bool, str] | None:
    """(is a limit, why) when an entry must not be decompressed, judged from its header alone."""
    if expected is not None and info.file_size != expected:
        return False, f"{info.file_size:,} bytes where the chain records {expected:,}"
    if info.file_size > cap:
        return True, f"{info.file_size:,} bytes, more than the verifier reads ({cap:,})"
    if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
        ratio = info.file_size // max(info.compress_size, 1)
        return True, f"expands {ratio:,} times (more than {MAX_RATIO}): a zip bomb, not decompressed"
    return None


def _manifest(archive: _Archive, problems: list[Problem]) -> dict[str, Any] | None:
    if MANIFEST not in archive.infos:
        problems.append(Problem(MANIFEST, "removed", "the package has no manifest"))
        return None
    body = archive.contents.get(MANIFEST)
    if body is None:
        return None  # unreadable: already reported
    try:
        manifest = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        problems.append(Problem(MANIFEST, "changed", f"not valid JSON any more ({exc.msg})"))
        return None
    if not _well_formed(manifest):
        problems.append(Problem(MANIFEST, "changed", f"not a {FORMAT} manifest (keys or types altered)"))
        return None
    wrong = _malformed(manifest)
    if wrong is not None:
        problems.append(Problem(MANIFEST, "changed", wrong))
        return None
    return manifest  # type: ignore[no-any-return]  # _well_formed checked the shape


def _well_formed(manifest: object) -> bool:
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        return False
    signer, chain = manifest.get("signer"), manifest.get("chain")
    if not isinstance(signer, dict) or not isinstance(signer.get("public_key"), str):
        return False
    if not isinstance(chain, list) or not isinstance(manifest.get("head"), str):
        return False
    campaigns = manifest.get("campaigns", [])
    if not isinstance(campaigns, list) or not all(isinstance(c, str) for c in campaigns):
        return False
    keys = {"seq": int, "name": str, "kind": str, "bytes": int, "sha256": str, "prev": str, "hash": str}
    return all(isinstance(link, dict) and all(_typed(link.get(k), t) for k, t in keys.items()) for link in chain)


def _typed(value: object, kind: type) -> bool:
    # bool is an int to Python, not to the manifest format; sizes and positions are never negative
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool) and value >= 0
    return isinstance(value, kind)


def _malformed(manifest: dict[str, Any]) -> str | None:
    """What is wrong with a well-typed manifest's chain, or None."""
    names = [link["name"] for link in manifest["chain"]]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        return f"the chain lists {', '.join(repr(n[:80]) for n in twice[:5])} more than once"
    trailer = [n for n in names if n in _TRAILER]
    if trailer:
        return f"the chain lists {trailer[0]}, which is the package's own trailer"
    return None


def _check_signature(
    archive: _Archive, manifest: dict[str, Any], trusted: Ed25519PublicKey | None, problems: list[Problem]
) -> str | None:
    try:
        key = public_key_from_raw(bytes.fromhex(manifest["signer"]["public_key"]))
    except ValueError:
        problems.append(Problem(MANIFEST, "changed", "the signer's public key is not a valid Ed25519 key"))
        return None
    if SIGNATURE not in archive.infos:
        problems.append(Problem(SIGNATURE, "removed", "the manifest is not signed"))
    elif (signature := archive.contents.get(SIGNATURE)) is not None:
        _check_signed(key, signature, archive.contents.get(MANIFEST, b""), problems)
    if trusted is not None and fingerprint(key) != fingerprint(trusted):
        detail = f"signed by {fingerprint(key)}, not by the trusted key {fingerprint(trusted)}"
        problems.append(Problem(MANIFEST, "signer", detail))
    return fingerprint(key)


def _check_signed(key: Ed25519PublicKey, signature: bytes, body: bytes, problems: list[Problem]) -> None:
    try:
        key.verify(bytes.fromhex(signature.decode("ascii").strip()), body)
    except (ValueError, UnicodeDecodeError):
        problems.append(Problem(SIGNATURE, "changed", "not a hex Ed25519 signature any more"))
    except InvalidSignature:
        detail = "the signature does not match manifest.json: the manifest or its signature was altered"
        problems.append(Problem(f"{MANIFEST} / {SIGNATURE}", "signature", detail))


def _check_chain(chain: list[dict[str, Any]], head: str, problems: list[Problem]) -> None:
    prev = GENESIS
    for seq, link in enumerate(chain):
        expected = link_hash(seq, link["name"], link["kind"], link["bytes"], link["sha256"], prev)
        if link["seq"] != seq or link["prev"] != prev or link["hash"] != expected:
            problems.append(Problem(link["name"], "chain", f"link {seq} does not follow from the link before it"))
        prev = link["hash"]
    if head != prev:
        problems.append(Problem(MANIFEST, "chain", "the recorded head is not the last link of the chain"))


def _check_entries(archive: _Archive, chain: list[dict[str, Any]], problems: list[Problem]) -> None:
    recorded = [link["name"] for link in chain]
    links = {link["name"]: link for link in chain}
    present = [name for name in archive.names if name not in _TRAILER]
    for name in recorded:
        if name not in archive.names:
            problems.append(Problem(name, "removed", "in the chain but missing from the archive"))
    for name in present:
        if name not in links:
            problems.append(Problem(name, "added", "in the archive but not in the chain"))
    _check_order(archive.names, recorded, problems)
    for name in present:
        content = archive.contents.get(name)
        if name in links and content is not None:
            _check_content(name, content, links[name], problems)


def _check_order(names: Sequence[str], recorded: Sequence[str], problems: list[Problem]) -> None:
    expected = [n for n in [*recorded, *_TRAILER] if n in names]
    actual = [n for n in names if n in expected]
    for position, (found, wanted) in enumerate(zip(actual, expected, strict=True)):
        if found != wanted:
            detail = f"at position {position + 1}, where the chain puts {wanted}"
            problems.append(Problem(found, "reordered", detail))


def _check_content(name: str, content: bytes, link: dict[str, Any], problems: list[Problem]) -> None:
    if len(content) != link["bytes"]:
        problems.append(Problem(name, "changed", f"{len(content):,} bytes where the chain records {link['bytes']:,}"))
    elif hashlib.sha256(content).hexdigest() != link["sha256"]:
        problems.append(Problem(name, "changed", "SHA-256 differs from the chain's"))


def _check_layout(data: bytes, archive: _Archive, problems: list[Problem]) -> None:
    """Compare the file with the canonical archive of the entries it holds; name where they part."""
    entries = [(name, archive.contents[name]) for name in archive.names]
    canonical = build_archive(entries)
    if data == canonical:
        return
    if data.startswith(canonical):
        problems.append(Problem("archive", "added", f"{len(data) - len(canonical):,} bytes after the end"))
        return
    if data.endswith(canonical):
        problems.append(Problem("archive", "added", f"{len(data) - len(canonical):,} bytes before the start"))
        return
    offset = next((i for i, (a, b) in enumerate(zip(data, canonical, strict=False)) if a != b), len(canonical))
    entry, part = region_at(entries, offset)
    problems.append(Problem(entry, "changed", f"byte {offset:,} ({part}) differs from the canonical layout"))
