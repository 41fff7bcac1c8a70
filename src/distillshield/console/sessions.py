"""Server-side console sessions: the browser holds a random session id, never the analyst's token.

Logging in trades the long-lived token for a session id (256 random bits) that the server
maps to the analyst; logging out deletes the mapping, so a copied cookie stops working at
once, and a session also ends after :data:`SESSION_SECONDS` (the OWASP Session Management
cheat sheet's pattern: random id, server-side state, revocation on logout, absolute timeout).
Sessions live in memory: restarting the console logs everyone out.
"""

from __future__ import annotations

import secrets
import threading
import time

#: Absolute lifetime of a session.
SESSION_SECONDS = 12 * 3600


class Sessions:
    def __init__(self, lifetime_s: float = SESSION_SECONDS) -> None:
        self.lifetime_s = lifetime_s
        self._lock = threading.Lock()
        self._live: dict[str, tuple[str, float]] = {}  # session id -> (analyst, expiry)

    def start(self, analyst: str) -> str:
        session_id = secrets.token_urlsafe(32)
        with self._lock:
            self._live[session_id] = (analyst, time.monotonic() + self.lifetime_s)
        return session_id

    def analyst(self, session_id: str | None) -> str | None:
        if not session_id:
            return None
        with self._lock:
            found = self._live.get(session_id)
            if found is None:
                return None
            if found[1] < time.monotonic():
                del self._live[session_id]
                return None
            return found[0]

    def end(self, session_id: str | None) -> None:
        with self._lock:
            self._live.pop(session_id or "", None)
