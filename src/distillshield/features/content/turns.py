"""The client-written turns of a request, each with its role: what the content detectors read.

Why every turn: a distillation pipeline puts its ask wherever its tool puts it. Orca-style and
reasoning-distillation prompts arrive as the system turn, judges split their instructions between a
system turn and a long user turn, agent scaffolds describe tools in the request's ``tools`` list, and a
conversation can carry the ask in an earlier user turn. Reading only the system prompt and the last
user turn missed all but the last of these.

Which turns: ``system`` and ``developer`` messages (role ``system``), every ``user`` message (role
``user``), every part of a list ``content`` that carries a string ``text`` whatever its ``type``
(``text``, ``input_text``, ...), and the name and description of each tool in ``extra.tools`` (role
``tool``). Assistant and tool-result messages are the model's or the tools' words, not the client's, and
are not read. Each turn's text is capped at :data:`HEAD_CHARS` plus :data:`TAIL_CHARS` characters (its
head and tail, where wrappers and asks sit; the middle of a long turn is payload), so a 100 kB paste
costs what a 3 kB one does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

HEAD_CHARS, TAIL_CHARS = 2000, 1000
ROLES = ("system", "user", "tool")
_ROLE_OF = {"system": "system", "developer": "system", "user": "user"}
#: The role tag a model sees before a turn's text: the role is a feature like any word.
_TAGS = {"system": "sys", "user": "user", "tool": "tool"}
#: Tool descriptions read per request: a scaffold shows its style in the first few.
MAX_TOOLS = 16


@dataclass(frozen=True, slots=True)
class Turn:
    role: str
    text: str


def turn_text(role: str, text: str) -> str:
    """The string a text model sees for one turn: its role tag, then its head and tail."""
    if len(text) > HEAD_CHARS + TAIL_CHARS:
        # Joined by whitespace alone: a marker such as "..." would be an n-gram that only long turns have,
        # and a model would learn length from it (long judge prompts made every long paste a "judge").
        text = f"{text[:HEAD_CHARS]}\n{text[-TAIL_CHARS:]}"
    return f"{_TAGS[role]}: {text}"


def pair_turns(system: str, user: str) -> tuple[Turn, ...]:
    """The turns of a request known only by its system text and last user text (empty ones dropped)."""
    turns = [Turn("system", system)] if system.strip() else []
    if user.strip() or not turns:
        turns.append(Turn("user", user))
    return tuple(turns)


def request_turns(system: str, user: str, messages: str | None = None, extra: str | None = None) -> tuple[Turn, ...]:
    """Every client-written turn of a request, from its stored ``messages`` and ``extra`` JSON when given.

    Without them (a ``prompt`` record, or a request whose only turns are a string system prompt and
    one user turn, which ``system`` and ``user`` already hold) the turns are those two. Unparseable
    JSON falls back the same way: ingest has already validated what it stored.
    """
    from_messages = _message_turns(messages)
    if from_messages and any(t.role == "user" and t.text == user for t in from_messages):
        turns: list[Turn] = []
    else:  # no messages, or a ``prompt`` that stands in for an empty last user turn
        turns = [t for t in pair_turns(system, user) if not (from_messages and t.role == "system")]
    seen = {(t.role, t.text) for t in turns}
    for turn in from_messages + _tool_turns(extra):
        if turn.text.strip() and (turn.role, turn.text) not in seen:
            seen.add((turn.role, turn.text))
            turns.append(turn)
    return tuple(turns)


def _loads(text: str | None) -> Any:
    if not text:
        return None
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return None


def _message_turns(messages: str | None) -> list[Turn]:
    parsed = _loads(messages)
    if not isinstance(parsed, list):
        return []
    out = []
    for message in parsed:
        role = _ROLE_OF.get(str(message.get("role"))) if isinstance(message, dict) else None
        if role is None:
            continue
        content = message.get("content")
        if isinstance(content, str):
            out.append(Turn(role, content))
        elif isinstance(content, list):
            # Every text-bearing part, whatever its type: "text", "input_text", and types not yet invented.
            out.extend(Turn(role, p["text"]) for p in content if isinstance(p, dict) and isinstance(p.get("text"), str))
    return out


def _tool_turns(extra: str | None) -> list[Turn]:
    parsed = _loads(extra)
    tools = parsed.get("tools") if isinstance(parsed, dict) else None
    if not isinstance(tools, list):
        return []
    out = []
    for tool in tools[:MAX_TOOLS]:
        spec = tool.get("function", tool) if isinstance(tool, dict) else None
        if isinstance(spec, dict):
            words = [spec.get("name"), spec.get("description")]
            text = ": ".join(w for w in words if isinstance(w, str) and w)
            if text:
                out.append(Turn("tool", text))
    return out


def scan_turns(system: str, user: str, messages: str | None, extra: str | None) -> tuple[Turn, ...]:
    """The turns the scan reads for a stored request: the stored JSON is read only when the request has more
    than a system text and one user turn (``features.sql`` ``_CONTEXT``, mirrored here for the gateway)."""
    n_user_turns = 0
    parsed = _loads(messages)
    if isinstance(parsed, list):
        n_user_turns = sum(1 for m in parsed if isinstance(m, dict) and m.get("role") == "user")
    richer = n_user_turns > 1 or '"type"' in (messages or "") or '"tools"' in (extra or "")
    return request_turns(system, user, messages or None, extra or None) if richer else pair_turns(system, user)


def body_turns(system: str, user: str, messages: Any, tools: Any = None) -> tuple[Turn, ...]:
    """The turns the scan will read for a request body as a client sends it (``messages`` and ``tools`` parsed).

    The gateway scores with this before the request is stored: the body is read through the same JSON the
    traffic log stores (``messages`` as is, ``tools`` as the ``extra`` object it lands in), so a request scores
    the same online and in a later scan.
    """
    if messages is None and not tools:
        return pair_turns(system, user)
    stored = orjson.dumps(messages).decode() if messages is not None else None
    extra = orjson.dumps({"tools": tools}).decode() if isinstance(tools, list) and tools else None
    return scan_turns(system, user, stored, extra)
