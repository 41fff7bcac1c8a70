"""Every error distillshield raises on purpose derives from one root.

::

    DistillshieldError
     +-- InputError                 bad input that the user can fix; carries a Location
     |    +-- RecordError           one record (line) of a log is unusable
     |    +-- UnreadableFileError   a whole file cannot be opened or decoded
     +-- BudgetExceededError        a resource budget (quarantine size, ...) stopped the run
 +-- ConfigError                a setting, rule or plugin id is wrong
     +-- PluginError                a plugin failed to load or broke its contract
     +-- StateUnavailableError      the gateway's shared state (Redis) cannot be reached
     +-- UpstreamError              the model server behind the gateway failed or timed out
     +-- IntelError                 intelligence could not be exported, imported or exchanged
          +-- PrivacyLeakError      an export would carry a raw identifier, e-mail, card or host IP
          +-- TaxiiError            a TAXII server refused or failed a request

Foreign exceptions (orjson, pyarrow, gzip, YAML) are translated into these at the
boundary where they happen, so callers never catch a library's exception type.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Location:
    """Where in the user's input a problem sits; ``line`` is 1-based, 0 for the whole file."""

    path: Path
    line: int = 0
    field: str | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else str(self.path)
        return f"{where} field {self.field!r}" if self.field else where


class DistillshieldError(Exception):
    """Root of every error distillshield raises on purpose."""


class InputError(DistillshieldError):
    """Input the user can fix; the message names the file, line and field."""

    def __init__(self, reason: str, location: Location) -> None:
        super().__init__(f"{location}: {reason}")
        self.reason = reason
        self.location = location


class RecordError(InputError):
    """One record of a log is unusable (it goes to quarantine)."""


class UnreadableFileError(InputError):
    """A whole input file cannot be opened or decoded."""


class BudgetExceededError(DistillshieldError):
    """A resource budget (setting ``max_quarantine_bytes``, ...) stopped the run; the CLI exits with status 3."""


class ConfigError(DistillshieldError):
    """A setting, rule file or plugin id is wrong."""


class PluginError(DistillshieldError):
    """A plugin could not be loaded or broke its contract."""


class StateUnavailableError(DistillshieldError):
    """The gateway's shared state store cannot be reached; the gateway fails open or closed."""


class UpstreamError(DistillshieldError):
    """The upstream model server timed out, refused the connection or dropped it."""

    def __init__(self, message: str, *, timeout: bool = False) -> None:
        super().__init__(message)
        self.timeout = timeout


class IntelError(DistillshieldError):
    """Intelligence could not be exported, imported or exchanged."""


class PrivacyLeakError(IntelError):
    """An export would carry a raw identifier, e-mail, card-like number or host IP address."""


class TaxiiError(IntelError):
    """A TAXII server refused or failed a request; the message carries its status and title."""
