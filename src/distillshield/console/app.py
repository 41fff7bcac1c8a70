"""The analyst console as an ASGI app: server-rendered pages and a small JSON API over one scan.

Every request but the login form must carry an analyst's token as an
``Authorization: Bearer`` header (API clients), or the HttpOnly, SameSite=Strict
session cookie that logging in sets (browsers): a random server-side session id,
revoked by logging out (see :mod:`~distillshield.console.sessions`). Without
one, every path (pages, API, unknown paths alike) answers 401; browsers get the
login form as that page.

SameSite=Strict does not stop a page on another port of the same host (same
site, other origin), so every state-changing request a browser makes is also
checked the way OWASP's CSRF cheat sheet and Django's ``CsrfViewMiddleware``
do it: ``Sec-Fetch-Site`` must be ``same-origin`` or ``none`` when sent, and
``Origin`` must be the console's own origin when sent. Bearer-token requests
are not checked: a browser never adds that header by itself.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import FastAPI, Form, HTTPException
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup
from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response

from distillshield.console.auth import Users
from distillshield.console.scan import Scan, account_features, recent_requests, sample_prompts
from distillshield.console.sessions import Sessions
from distillshield.console.store import ACTIONS, LABELS, Action, ActionStore
from distillshield.report.contract import AccountRow, CampaignRow
from distillshield.report.evidence import view
from distillshield.report.figures import cohort_hours, cohort_timeline_svg, link_edges, link_graph_svg

COOKIE = "distillshield_console"
PUBLIC_PATHS = {"/login"}
SORTS = {
    "risk": lambda c: (-c.risk, c.campaign_id),
    "requests": lambda c: (-c.requests, c.campaign_id),
    "accounts": lambda c: (-len(c.accounts), c.campaign_id),
    "first_seen": lambda c: (c.first_seen, c.campaign_id),
}
STATUSES = ("all", "open", "reviewed")
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


@dataclass(frozen=True, slots=True)
class ConsoleConfig:
    scan: Scan
    users: Users
    store: ActionStore
    #: Set the cookie's Secure flag (when served behind TLS).
    secure_cookie: bool = False


class ActionIn(BaseModel):
    action: str
    note: str = ""
    campaign_id: str | None = None


def create_app(config: ConsoleConfig) -> FastAPI:
    """The console app for one scan, its users and its action store."""
    app = FastAPI(title="distillshield console", docs_url=None, redoc_url=None, openapi_url=None)
    pages = _environment()
    sessions = Sessions()

    @app.middleware("http")
    async def require_token(request: Request, call_next: Any) -> Response:
        bearer = _bearer(request)
        if bearer is None and request.method not in SAFE_METHODS and not _same_origin(request):
            return PlainTextResponse("cross-origin request refused", status_code=403)
        analyst = config.users.authenticate(bearer) if bearer else sessions.analyst(request.cookies.get(COOKIE))
        if analyst is None and not (request.url.path in PUBLIC_PATHS and request.method == "POST"):
            return _unauthorised(request, pages)
        request.state.analyst = analyst
        response: Response = await call_next(request)
        return response

    _login_routes(app, config, pages, sessions)
    _page_routes(app, config, pages)
    _action_routes(app, config)
    _api_routes(app, config)
    return app


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return None


def _same_origin(request: Request) -> bool:
    """Whether a browser's state-changing request comes from the console's own pages (see module docstring)."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if origin is None:
        return True  # not sent by non-browser clients; every current browser sends it on a POST
    host = request.headers.get("host", "")
    return origin in (f"{request.url.scheme}://{host}", f"http://{host}", f"https://{host}")


def _unauthorised(request: Request, pages: Environment, error: str = "") -> Response:
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": "authentication required"}, status_code=401, headers=_challenge())
    target = request.url.path if request.method == "GET" and request.url.path != "/login" else "/"
    page = pages.get_template("login.html.j2").render(next=target, error=error, analyst=None)
    return HTMLResponse(page, status_code=401, headers=_challenge())


def _challenge() -> dict[str, str]:
    return {"WWW-Authenticate": 'Bearer realm="distillshield console"'}


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("distillshield.console", "templates"),
        autoescape=True,  # account ids, prompts and notes are all untrusted text
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["risk"] = lambda value: f"{value:.3f}"
    env.filters["num"] = lambda value: f"{value:,}" if isinstance(value, int) else ("—" if value is None else value)
    env.filters["url"] = lambda value: quote(str(value), safe="")
    env.filters["value"] = lambda value: f"{value:.3g}" if isinstance(value, float) else value
    return env


# --- pages ----------------------------------------------------------------------------------------


def _login_routes(app: FastAPI, config: ConsoleConfig, pages: Environment, sessions: Sessions) -> None:
    @app.post("/login")
    def login(request: Request, token: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "/") -> Response:
        analyst = config.users.authenticate(token)
        if analyst is None:
            return _unauthorised(request, pages, "That token is not valid.")
        target = next if next.startswith("/") and not next.startswith("//") else "/"
        response = RedirectResponse(target, status_code=303)
        secure = config.secure_cookie or request.url.scheme == "https"
        response.set_cookie(COOKIE, sessions.start(analyst), httponly=True, samesite="strict", secure=secure)
        return response

    @app.get("/login")
    def login_page() -> Response:
        return RedirectResponse("/", status_code=303)  # only reached with a valid token

    @app.post("/logout")
    def logout(request: Request) -> Response:
        sessions.end(request.cookies.get(COOKIE))
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(COOKIE)
        return response


def _page_routes(app: FastAPI, config: ConsoleConfig, pages: Environment) -> None:
    scan, store = config.scan, config.store

    def render(request: Request, name: str, **context: Any) -> HTMLResponse:
        return HTMLResponse(pages.get_template(name).render(analyst=request.state.analyst, **context))

    @app.get("/", response_class=HTMLResponse)
    def campaigns(
        request: Request,
        q: str = "",
        min_risk: float = 0.0,
        min_accounts: int = 0,
        status: str = "all",
        sort: str = "risk",
    ) -> HTMLResponse:
        decisions = store.decisions()
        shown = _filter(list(scan.campaigns.values()), q, min_risk, min_accounts, status, decisions)
        shown.sort(key=SORTS.get(sort, SORTS["risk"]))
        rows = [_campaign_summary(c, decisions) for c in shown]
        filters = {"q": q, "min_risk": min_risk, "min_accounts": min_accounts, "status": status, "sort": sort}
        return render(request, "campaigns.html.j2", rows=rows, total=len(scan.campaigns), filters=filters,
                      sorts=list(SORTS), statuses=STATUSES)  # fmt: skip

    @app.get("/campaigns/{campaign_id:path}", response_class=HTMLResponse)
    def campaign(request: Request, campaign_id: str) -> HTMLResponse:
        row = _campaign(scan, campaign_id)
        return render(request, "campaign.html.j2", **campaign_context(scan, store, row))

    @app.get("/accounts/{account_id:path}", response_class=HTMLResponse)
    def account(request: Request, account_id: str) -> HTMLResponse:
        row = _account(scan, account_id)
        context = {
            "account": row,
            "campaign": scan.campaigns.get(row.campaign_id or ""),
            "features": account_features(scan, account_id) or {},
            "requests": recent_requests(scan, account_id),
            "history": store.history(account_id),
            "actions": ACTIONS,
        }
        return render(request, "account.html.j2", **context)


def _action_routes(app: FastAPI, config: ConsoleConfig) -> None:
    scan, store = config.scan, config.store

    @app.post("/accounts/{account_id:path}/actions")
    def act_on_account(
        request: Request,
        account_id: str,
        action: Annotated[str, Form()],
        note: Annotated[str, Form()] = "",
        back: Annotated[str, Form()] = "",
    ) -> Response:
        row = _account(scan, account_id)
        _record(store, request.state.analyst, [row.account_id], row.campaign_id, action, note)
        return RedirectResponse(_back(back, f"/accounts/{quote(account_id, safe='')}"), status_code=303)

    @app.post("/campaigns/{campaign_id:path}/actions")
    def act_on_campaign(
        request: Request, campaign_id: str, action: Annotated[str, Form()], note: Annotated[str, Form()] = ""
    ) -> Response:
        row = _campaign(scan, campaign_id)
        _record(store, request.state.analyst, list(row.accounts), row.campaign_id, action, note)
        return RedirectResponse(f"/campaigns/{quote(campaign_id, safe='')}", status_code=303)

    @app.get("/labels.csv")
    def labels() -> PlainTextResponse:
        headers = {"Content-Disposition": 'attachment; filename="labels.csv"'}
        return PlainTextResponse(store.labels_csv(), media_type="text/csv", headers=headers)


def campaign_context(scan: Scan, store: ActionStore, row: CampaignRow) -> dict[str, Any]:
    """Everything the campaign page shows."""
    members = list(row.accounts)
    decisions = store.decisions()
    with scan.cursor() as cur:
        graph = link_graph_svg(members, link_edges(cur, members))
        timeline = cohort_timeline_svg(cohort_hours(cur, members))
    signals = [s for s in row.evidence.get("signals", []) if isinstance(s, dict)]
    evidence = {k: v for k, v in row.evidence.items() if k != "signals"}
    return {
        "campaign": row,
        "accounts": [(scan.accounts.get(a), a, decisions.get(a)) for a in members],
        "graph": Markup(graph),  # built by figures with every data string escaped
        "timeline": Markup(timeline),
        "observations": [s for s in signals if s.get("observed", True)],
        "inferences": [s for s in signals if not s.get("observed", True)],
        "evidence": view(evidence),
        "prompts": sample_prompts(scan, members),
        "actions": ACTIONS,
        "status": _status(row, decisions),
    }


def _filter(
    rows: list[CampaignRow], q: str, min_risk: float, min_accounts: int, status: str, decisions: dict[str, Action]
) -> list[CampaignRow]:
    needle = q.strip().lower()

    def keep(c: CampaignRow) -> bool:
        if c.risk < min_risk or len(c.accounts) < min_accounts:
            return False
        if needle and needle not in c.campaign_id.lower() and not any(needle in a.lower() for a in c.accounts):
            return False
        reviewed = _status(c, decisions) != "open"
        return status == "all" or (status == "reviewed") == reviewed

    return [c for c in rows if keep(c)]


def _status(row: CampaignRow, decisions: dict[str, Action]) -> str:
    decided = [decisions[a].action for a in row.accounts if a in decisions]
    if not decided:
        return "open"
    if len(decided) < len(row.accounts):
        return f"{len(decided)} of {len(row.accounts)} reviewed"
    kinds = set(decided)
    return "confirmed" if kinds == {"confirm"} else "dismissed" if kinds == {"dismiss"} else "mixed"


def _campaign_summary(row: CampaignRow, decisions: dict[str, Action]) -> dict[str, Any]:
    return {"row": row, "status": _status(row, decisions), "accounts": len(row.accounts)}


def _campaign(scan: Scan, campaign_id: str, status: int = 404) -> CampaignRow:
    row = scan.campaigns.get(campaign_id)
    if row is None:
        raise HTTPException(status, f"no campaign {campaign_id[:200]!r} in this scan")
    return row


def _account(scan: Scan, account_id: str) -> AccountRow:
    row = scan.accounts.get(account_id)
    if row is None:
        raise HTTPException(404, f"no account {account_id!r} in this scan")
    return row


def _record(
    store: ActionStore, analyst: str, accounts: list[str], campaign_id: str | None, action: str, note: str
) -> list[Action]:
    if action not in ACTIONS:
        raise HTTPException(422, f"action must be one of {', '.join(ACTIONS)}")
    if action == "note" and not note.strip():
        raise HTTPException(422, "a note needs some text")
    return [store.record(analyst, a, campaign_id, action, note.strip()) for a in accounts]


def _back(back: str, default: str) -> str:
    return back if back.startswith("/") and not back.startswith("//") else default


# --- JSON API -------------------------------------------------------------------------------------


def _api_routes(app: FastAPI, config: ConsoleConfig) -> None:
    scan, store = config.scan, config.store

    @app.get("/api/campaigns")
    def api_campaigns(min_risk: float = 0.0) -> list[dict[str, Any]]:
        decisions = store.decisions()
        rows = sorted((c for c in scan.campaigns.values() if c.risk >= min_risk), key=SORTS["risk"])
        return [_campaign_json(c) | {"status": _status(c, decisions)} for c in rows]

    @app.get("/api/campaigns/{campaign_id:path}")
    def api_campaign(campaign_id: str) -> dict[str, Any]:
        row = _campaign(scan, campaign_id)
        with scan.cursor() as cur:
            edges = [asdict(e) for e in link_edges(cur, list(row.accounts))]
        status = _status(row, store.decisions())
        return _campaign_json(row) | {"evidence": row.evidence, "links": edges, "status": status}

    @app.get("/api/accounts/{account_id:path}")
    def api_account(account_id: str) -> dict[str, Any]:
        row = _account(scan, account_id)
        history = [asdict(a) for a in store.history(account_id)]
        return asdict(row) | {"features": account_features(scan, account_id), "actions": history}

    @app.post("/api/accounts/{account_id:path}/actions", status_code=201)
    def api_act(request: Request, account_id: str, body: ActionIn) -> dict[str, Any]:
        row = _account(scan, account_id)
        campaign_id = body.campaign_id or row.campaign_id
        if body.campaign_id is not None and account_id not in _campaign(scan, body.campaign_id, 422).accounts:
            raise HTTPException(422, f"account {account_id!r} is not in campaign {body.campaign_id!r}")
        (recorded,) = _record(store, request.state.analyst, [account_id], campaign_id, body.action, body.note)
        return asdict(recorded) | {"label": LABELS.get(recorded.action)}

    @app.get("/api/labels")
    def api_labels() -> PlainTextResponse:
        return PlainTextResponse(store.labels_csv(), media_type="text/csv")


def _campaign_json(row: CampaignRow) -> dict[str, Any]:
    return {
        "campaign_id": row.campaign_id,
        "risk": row.risk,
        "accounts": list(row.accounts),
        "requests": row.requests,
        "first_seen": row.first_seen.isoformat(),
        "last_seen": row.last_seen.isoformat(),
    }


def default_actions_path(scan_dir: Path) -> Path:
    return scan_dir / "analyst.sqlite"
