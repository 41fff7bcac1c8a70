"""The privacy check every export passes before it is written: no raw e-mail, card number or host IP.

It reads the serialised export as text, so it also catches a value hidden in a description or a
custom property. IP addresses are allowed only as networks no narrower than the policy's prefix
(an IPv4 /24, an IPv6 /48) or when the operator lists them. Callers may also pass the raw
identifiers they pseudonymised; any of them found verbatim is a leak.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from distillshield.errors import Location, UnreadableFileError

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# 13-19 digits, optionally split by single spaces or dashes, not glued to letters, digits or dashes
# (which would make it part of a hex string, a UUID or a date)
_CARD = re.compile(r"(?<![0-9A-Za-z-])\d(?:[ -]?\d){12,18}(?![0-9A-Za-z-])")
_IPV4 = re.compile(r"(?<![0-9.])\d{1,3}(?:\.\d{1,3}){3}(?:/\d{1,2})?(?![0-9.])")
_IPV6 = re.compile(r"(?<![0-9A-Za-z:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:/\d{1,3})?(?![0-9A-Za-z:])")
MAX_V4_PREFIX = 24
MAX_V6_PREFIX = 48
MIN_IDENTIFIER_LENGTH = 8


@dataclass(frozen=True, slots=True)
class Finding:
    """One suspected leak: its kind, a redacted form and the character offset in the export."""

    kind: str  # email, card, ip or identifier
    redacted: str
    offset: int

    def __str__(self) -> str:
        return f"{self.kind} {self.redacted} at character {self.offset}"


def scan_text(text: str, *, allowed_ips: Iterable[str] = (), raw_identifiers: Iterable[str] = ()) -> list[Finding]:
    """Every suspected leak in ``text``, in order of appearance."""
    allowed = set(allowed_ips)
    findings = [Finding("email", _redact(m.group()), m.start()) for m in _EMAIL.finditer(text)]
    findings += [Finding("card", _redact(m.group()), m.start()) for m in _CARD.finditer(text) if _luhn(m.group())]
    for pattern in (_IPV4, _IPV6):
        findings += [
            Finding("ip", _redact(m.group()), m.start())
            for m in pattern.finditer(text)
            if m.group() not in allowed and _is_host_address(m.group())
        ]
    # shorter values turn up inside ids and hex digests by chance, so they prove nothing
    for raw in {r for r in raw_identifiers if len(r) >= MIN_IDENTIFIER_LENGTH}:
        start = text.find(raw)
        if start >= 0:
            findings.append(Finding("identifier", _redact(raw), start))
    return sorted(findings, key=lambda f: f.offset)


def check_privacy_file(path: Path, *, allowed_ips: Iterable[str] = ()) -> list[Finding]:
    """:func:`scan_text` over a file read as UTF-8."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UnreadableFileError(f"cannot read as UTF-8 text: {exc}", Location(path)) from exc
    return scan_text(text, allowed_ips=allowed_ips)


def _is_host_address(token: str) -> bool:
    """True for an address, or a network narrower than the policy allows; False for non-addresses."""
    try:
        network = ipaddress.ip_network(token, strict=True)
    except ValueError:
        try:
            ipaddress.ip_address(token)
        except ValueError:
            return "/" in token and _is_address_prefix(token)
        return True
    if "/" not in token:
        return True
    limit = MAX_V4_PREFIX if network.version == 4 else MAX_V6_PREFIX
    return network.prefixlen > limit


def _is_address_prefix(token: str) -> bool:
    # "203.0.113.7/24" is an address with a mask, not a network: its host bits are set
    try:
        ipaddress.ip_interface(token)
    except ValueError:
        return False
    return True


def _luhn(digits: str) -> bool:
    numbers = [int(c) for c in digits if c.isdigit()]
    total = 0
    for i, n in enumerate(reversed(numbers)):
        total += n if i % 2 == 0 else (n * 2 - 9 if n > 4 else n * 2)
    return total % 10 == 0


def _redact(value: str) -> str:
    return value[:2] + "…" + value[-2:] if len(value) > 6 else "…"
