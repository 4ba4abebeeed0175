"""The console's pages and forms under ``/console`` (see :mod:`issuer.console`).

Every page needs a live session (:mod:`issuer.console.sessions`); without one it redirects to
the sign-in page, which says why (signed out, idle, key revoked). Every form is a POST carrying
the session's CSRF token (403 ``csrf_failed`` without it, and nothing changes) and an
idempotency key; a write runs the REST API's service function through
:func:`issuer.console.forms.write`, with the role the REST route needs. A refusal is shown on
the page in the service's words, with its code.
"""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from issuer import (
    controls,
    heartbeat,
    indexer,
    itn_desk,
    links,
    operations,
    public,
    register,
    reserves,
)
from issuer.api.auth import authenticate_key, create_key, revoke_key
from issuer.api.context import issuer_of
from issuer.api.schemas import (
    ApiKeyIn,
    CreationIn,
    DelistingIn,
    ItnCloseIn,
    ItnForceCompleteIn,
    PolicyIn,
)
from issuer.console import forms, sessions
from issuer.corporate import calendar as ca_calendar
from issuer.corporate import delistings
from issuer.corporate import figures as ca_figures
from issuer.db import age_of, utcnow
from issuer.errors import IssuerError
from issuer.metrics import open_lifecycles, outbox_pending
from issuer.models import (
    ApiKey,
    Approval,
    AuditEntry,
    CorporateAction,
    Creation,
    ItnRequest,
    Meeting,
    Participant,
    Redemption,
    SymbolHalt,
)
from issuer.operators import Principal
from issuer.service import Issuer
from issuer.units import raw_to_shares
from issuer.voting import ballots
from servicekit.throttle import FailureThrottle

TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).resolve().parent.parent / "templates" / "console"),
    autoescape=select_autoescape(default=True), trim_blocks=True, lstrip_blocks=True)
router = APIRouter(prefix="/console", include_in_schema=False)
#: The pages of the navigation bar: (path, title, least role).
NAV = (("overview", "Overview", "viewer"), ("creations", "Creations", "viewer"),
       ("redemptions", "Redemptions", "viewer"), ("tokenization", "Tokenization", "viewer"),
       ("approvals", "Approvals", "viewer"), ("corporate-actions", "Corporate actions",
                                              "viewer"),
       ("meetings", "Meetings", "viewer"), ("halts", "Halts", "viewer"),
       ("holders", "Holders", "viewer"), ("audit", "Audit trail", "viewer"),
       ("keys", "API keys", "admin"))
#: Every page: never cached, never framed, no script or style from elsewhere.
SECURE_HEADERS = {"Cache-Control": "no-store", "X-Frame-Options": "DENY",
                  "Content-Security-Policy": "default-src 'self'; style-src 'self' "
                  "'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
                  "Referrer-Policy": "same-origin"}
#: Failed sign-ins per source: after this many within the window, 429 (the API guard's rule).
_throttles: dict[int, FailureThrottle] = {}


class SignedIn:
    """The signed-in operator of a request: the issuer, who they are, their forms' token."""

    def __init__(self, issuer: Issuer, principal: Principal, csrf: str) -> None:
        self.issuer, self.principal, self.csrf = issuer, principal, csrf


def _throttle(issuer: Issuer) -> FailureThrottle:
    key = id(issuer)
    if key not in _throttles:
        _throttles[key] = FailureThrottle(issuer.settings.auth_failure_limit,
                                          issuer.settings.auth_failure_window)
    return _throttles[key]


def _cookie_secure(request: Request) -> bool:
    return request.url.scheme == "https"


def render(template: str, status: int = 200, **values: Any) -> HTMLResponse:
    html = TEMPLATES.get_template(template).render(**values)
    return HTMLResponse(html, status, headers=SECURE_HEADERS)


def _page(request: Request, me: SignedIn, template: str, status: int = 200,
          **values: Any) -> HTMLResponse:
    return render(template, status, me=me.principal, csrf=me.csrf, nav=[
        (path, title) for path, title, role in NAV if me.principal.can(role)],
        path=request.url.path, new_key=forms.new_key, fmt=_fmt, age=_age_words,
        notice=request.query_params.get("notice"), **values)


def _to_sign_in(code: str, request: Request) -> RedirectResponse:
    target = "/console/sign-in?" + urlencode({"ended": code, "next": request.url.path})
    response = RedirectResponse(target, 303)
    response.delete_cookie(sessions.COOKIE, path="/console")
    return response


def _signed_in(request: Request) -> SignedIn | sessions.Ended:
    issuer = issuer_of(request)
    with issuer.session() as db:
        found = sessions.resume(db, request.cookies.get(sessions.COOKIE),
                                issuer.settings.console_idle_timeout)
    if isinstance(found, sessions.Ended):
        return found
    return SignedIn(issuer, found.principal, found.csrf)


def view(handler: Callable[..., Response]) -> Callable[..., Any]:
    """A page: signed in, or to the sign-in page with the reason."""
    def page(request: Request, **params: Any) -> Response:
        me = _signed_in(request)
        if isinstance(me, sessions.Ended):
            return _to_sign_in(me.code, request)
        try:
            return handler(request, me, **params)
        except IssuerError as refused:
            return _page(request, me, "error.html", refused.status, error=refused)
    page.__name__ = handler.__name__
    page.__doc__ = handler.__doc__
    signature = inspect.signature(handler)
    page.__signature__ = signature.replace(parameters=[   # type: ignore[attr-defined]
        p for name, p in signature.parameters.items() if name != "me"])
    return page


async def _form_of(request: Request) -> tuple[SignedIn | sessions.Ended, dict[str, str]]:
    form = await forms.read_form(request)
    me = await run_in_threadpool(_signed_in, request)
    return me, form


def _csrf_refused(me: SignedIn, form: dict[str, str]) -> HTMLResponse | None:
    if sessions.same(form.get("csrf"), me.csrf):
        return None
    return render("refused.html", 403, code="csrf_failed",
                  detail="The form's security token is missing or wrong: reload the page and "
                         "submit it again. Nothing was changed.")


def _outcome_page(request: Request, me: SignedIn, outcome: forms.Outcome, done: str,
                  back: str) -> Response:
    if outcome.ok:
        return RedirectResponse(f"{done}{'&' if '?' in done else '?'}notice="
                                f"{quote('replayed' if outcome.replayed else 'done')}", 303)
    assert outcome.error is not None
    return _page(request, me, "error.html", outcome.error.status, error=outcome.error,
                 back=back)


def post_form(role: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A form's POST: the session, its CSRF token, then the handler in a worker thread."""
    def wrap(handler: Callable[..., Response]) -> Callable[..., Any]:
        async def endpoint(request: Request) -> Response:
            try:
                me, form = await _form_of(request)
            except IssuerError as refused:
                return render("refused.html", refused.status, code=refused.code,
                              detail=refused.detail)
            if isinstance(me, sessions.Ended):
                return _to_sign_in(me.code, request)
            if (bad_token := _csrf_refused(me, form)) is not None:
                return bad_token
            if not me.principal.can(role):   # the role first, as the REST API checks it
                return _page(request, me, "error.html", 403, error=IssuerError(
                    403, "forbidden", f"this needs the {role} role; the key "
                    f"{me.principal.name!r} is {me.principal.role}"))
            return await run_in_threadpool(handler, request, me, form,
                                           **request.path_params)
        endpoint.__name__ = handler.__name__
        endpoint.__doc__ = handler.__doc__
        return endpoint
    return wrap


# ------------------------------------------------------------------------- signing in and out

@router.get("", include_in_schema=False)
@router.get("/", include_in_schema=False)
def home() -> Response:
    return RedirectResponse("/console/overview", 303)


@router.get("/sign-in")
def sign_in_page(request: Request, ended: str | None = None, next: str | None = None  # noqa: A002
                 ) -> Response:
    token = sessions.new_token()
    response = render("sign_in.html", csrf=token, message=sessions.ENDED.get(ended or ""),
                      next=_safe_next(next), error=None)
    response.set_cookie(sessions.SIGN_IN_COOKIE, token, httponly=True, samesite="strict",
                        secure=_cookie_secure(request), path="/console")
    return response


def _safe_next(target: str | None) -> str:
    """Where to go after signing in: a console page, never another site."""
    if target and target.startswith("/console/") and "//" not in target and "\\" not in target:
        return target
    return "/console/overview"


@router.post("/sign-in")
async def sign_in(request: Request) -> Response:
    issuer = issuer_of(request)
    try:
        form = await forms.read_form(request)
    except IssuerError as refused:
        return render("refused.html", refused.status, code=refused.code, detail=refused.detail)
    if not sessions.same(form.get("csrf"), request.cookies.get(sessions.SIGN_IN_COOKIE)):
        return render("refused.html", 403, code="csrf_failed",
                      detail="The sign-in form's security token is missing or wrong: reload "
                             "the sign-in page. Nothing was changed.")
    source = (request.client.host if request.client else "unknown")
    throttle = _throttle(issuer)
    if (wait := throttle.retry_after(source)) is not None:
        return render("refused.html", 429, code="too_many_failed_authentications",
                      detail=f"Too many failed sign-ins from here; try again in {wait} s.")

    def start() -> tuple[str, str] | IssuerError:
        with issuer.session() as db:
            try:
                principal = authenticate_key(db, form.get("api_key", "").strip())
            except IssuerError as refused:
                return refused
            token, _ = sessions.open_session(db, principal)
            operations.audit(db, principal.operator, "console.sign_in", principal.key_id)
            return token, principal.operator

    started = await run_in_threadpool(start)
    if isinstance(started, IssuerError):
        throttle.failed(source)
        return render("sign_in.html", 401, csrf=form.get("csrf"), message=None,
                      next=_safe_next(form.get("next")), error="Unknown or revoked API key.")
    response = RedirectResponse(_safe_next(form.get("next")), 303)
    response.set_cookie(sessions.COOKIE, started[0], httponly=True, samesite="strict",
                        secure=_cookie_secure(request), path="/console")
    response.delete_cookie(sessions.SIGN_IN_COOKIE, path="/console")
    return response


@router.post("/sign-out")
async def sign_out(request: Request) -> Response:
    me, form = await _form_of(request)
    if isinstance(me, sessions.Ended):
        return _to_sign_in(me.code, request)
    if (refused := _csrf_refused(me, form)) is not None:
        return refused
    token = request.cookies.get(sessions.COOKIE)

    def close() -> None:
        with me.issuer.session() as db:
            sessions.close(db, token)
            operations.audit(db, me.principal.operator, "console.sign_out", me.principal.key_id)
    await run_in_threadpool(close)
    response = RedirectResponse("/console/sign-in?ended=signed_out", 303)
    response.delete_cookie(sessions.COOKIE, path="/console")
    return response


# ------------------------------------------------------------------------------ the overview

def overview_figures(issuer: Issuer, db: Session) -> dict[str, Any]:
    """Per symbol the public figures (supply against custody, surplus, halts, the last
    attestation and its age), and the desk's state: open lifecycles with the oldest's age, the
    outbox, the newest worker heartbeat. The same functions as ``/v1/reserves`` and
    ``/metrics``."""
    now = utcnow()
    symbols = []
    for symbol in issuer.chain.stocks:
        figures = public.figures(issuer, db, symbol)
        attestation = figures["attestation"]
        figures["attestation_age"] = None if attestation is None else age_of(
            now, dt.datetime.fromisoformat(attestation["as_of"]))
        symbols.append(figures)
    lifecycles = {kind: {"open": sum(counts.values()), "by_status": counts,
                         "oldest_age": age_of(now, first) if first is not None else None}
                  for kind, (counts, first) in open_lifecycles(db).items()}
    pending, first_tx = outbox_pending(db)
    beat = heartbeat.latest(db)
    return {"symbols": symbols, "lifecycles": lifecycles,
            "outbox": {"pending": sum(pending.values()), "by_status": pending,
                       "oldest_age": age_of(now, first_tx) if first_tx is not None else None},
            "heartbeat": None if beat is None else {
                "worker": beat.worker, "passes": beat.passes, "last_error": beat.last_error,
                "age": age_of(now, beat.last_pass_at)}}


@router.get("/overview")
@view
def overview(request: Request, me: SignedIn) -> Response:
    with me.issuer.session() as db:
        figures = overview_figures(me.issuer, db)
    return _page(request, me, "overview.html", **figures)


# ---------------------------------------------------------------------- creations and others

def _age_filter(query: Any, model: Any, older_than: str | None) -> Any:
    if older_than:
        try:
            minutes = int(older_than)
        except ValueError:
            raise IssuerError(422, "invalid_age", "older than is a whole number of minutes") \
                from None
        if minutes < 0 or minutes > 10**7:
            raise IssuerError(422, "invalid_age", "older than is 0 to 10,000,000 minutes")
        query = query.where(model.created_at <= utcnow() - dt.timedelta(minutes=minutes))
    return query


def _listing(db: Session, model: Any, status: str | None, symbol: str | None,
             older_than: str | None) -> list[Any]:
    query = select(model)
    if status:
        query = query.where(model.status == status)
    if symbol:
        query = query.where(model.symbol == symbol.strip().upper())
    query = _age_filter(query, model, older_than)
    return list(db.scalars(query.order_by(model.created_at.desc()).limit(200)))


def _statuses(db: Session, model: Any) -> list[str]:
    return sorted(set(db.scalars(select(model.status).distinct())))


def _work_list(request: Request, me: SignedIn, model: Any, kind: str, title: str,
               filters: dict[str, str | None], **extra: Any) -> Response:
    """A work list: its rows by status, symbol and age (newest first), and its filters."""
    with me.issuer.session() as db:
        return _page(request, me, "lifecycles.html", kind=kind, title=title,
                     rows=_listing(db, model, **filters), statuses=_statuses(db, model),
                     symbols=list(me.issuer.chain.stocks), filters=filters, now=utcnow(),
                     participants=list(db.scalars(select(Participant).order_by(
                         Participant.name))) if kind == "creations" else [], **extra)


@router.get("/creations")
@view
def creations_page(request: Request, me: SignedIn, status: str | None = None,
                   symbol: str | None = None, older_than: str | None = None) -> Response:
    return _work_list(request, me, Creation, "creations", "Creations",
                      {"status": status, "symbol": symbol, "older_than": older_than})


def _timeline(db: Session, *subjects: str) -> list[AuditEntry]:
    return list(db.scalars(select(AuditEntry).where(AuditEntry.subject.in_(subjects))
                           .order_by(AuditEntry.id)))


def _approvals_of(db: Session, field: str, value: str) -> list[Approval]:
    return [a for a in db.scalars(select(Approval).order_by(Approval.created_at))
            if isinstance(a.payload, dict) and a.payload.get(field) == value]


@router.get("/creations/{creation_id}")
@view
def creation_page(request: Request, me: SignedIn, creation_id: str) -> Response:
    with me.issuer.session() as db:
        row = db.get(Creation, creation_id)
        if row is None:
            raise IssuerError(404, "creation_not_found", f"no creation {creation_id!r}")
        approvals = _approvals_of(db, "creation_id", row.id)
        return _page(request, me, "lifecycle.html", kind="creation", row=row,
                     fields=_fields(row), links=links.creation_links(me.issuer, db, row),
                     approvals=approvals,
                     timeline=_timeline(db, row.id, *(a.id for a in approvals)))


@router.post("/creations")
@post_form("operator")
def request_creation(request: Request, me: SignedIn, form: dict[str, str]) -> Response:
    try:
        body = forms.parse(CreationIn, {k: form[k] for k in ("participant_id", "symbol", "qty",
                                                              "kind") if k in form})
    except IssuerError as refused:
        return _page(request, me, "error.html", refused.status, back="/console/creations",
                     error=refused)

    def action(db: Session, who: Principal) -> tuple[int, Any]:
        row = operations.request_creation(
            me.issuer, db, participant_id=body.participant_id, symbol=body.symbol,
            qty=body.qty, kind=body.kind, actor=who.operator)
        return 201, {"id": row.id, "status": row.status}
    outcome = forms.write(me.issuer, request, me.principal, "operator", form, action)
    if outcome.ok:
        return _outcome_page(request, me, outcome, f"/console/creations/{outcome.body['id']}",
                             "/console/creations")
    return _outcome_page(request, me, outcome, "", "/console/creations")


@router.post("/creations/{creation_id}/cancel")
@post_form("operator")
def cancel_creation(request: Request, me: SignedIn, form: dict[str, str],
                    creation_id: str) -> Response:
    def action(db: Session, who: Principal) -> tuple[int, Any]:
        row = operations.cancel_creation(db, creation_id, who.operator)
        return 200, {"id": row.id, "status": row.status}
    outcome = forms.write(me.issuer, request, me.principal, "operator", form, action)
    return _outcome_page(request, me, outcome, f"/console/creations/{creation_id}",
                         f"/console/creations/{creation_id}")


@router.get("/redemptions")
@view
def redemptions_page(request: Request, me: SignedIn, status: str | None = None,
                     symbol: str | None = None, older_than: str | None = None) -> Response:
    return _work_list(request, me, Redemption, "redemptions", "Redemptions",
                      {"status": status, "symbol": symbol, "older_than": older_than})


@router.get("/redemptions/{redemption_id}")
@view
def redemption_page(request: Request, me: SignedIn, redemption_id: str) -> Response:
    with me.issuer.session() as db:
        row = db.get(Redemption, redemption_id)
        if row is None:
            raise IssuerError(404, "redemption_not_found", f"no redemption {redemption_id!r}")
        return _page(request, me, "lifecycle.html", kind="redemption", row=row,
                     fields=_fields(row), links=links.redemption_links(me.issuer, db, row),
                     approvals=[], timeline=_timeline(db, row.id))


@router.get("/tokenization")
@view
def tokenization_page(request: Request, me: SignedIn, status: str | None = None,
                      symbol: str | None = None, older_than: str | None = None) -> Response:
    return _work_list(request, me, ItnRequest, "tokenization", "Tokenization requests",
                      {"status": status, "symbol": symbol, "older_than": older_than})


@router.get("/tokenization/{request_id}")
@view
def tokenization_request_page(request: Request, me: SignedIn, request_id: str) -> Response:
    with me.issuer.session() as db:
        row = db.get(ItnRequest, request_id)
        if row is None:
            raise IssuerError(404, "itn_request_not_found", f"no tokenization request "
                                                            f"{request_id!r}")
        approvals = _approvals_of(db, "request_id", row.id)
        return _page(request, me, "lifecycle.html", kind="tokenization request", row=row,
                     fields=_fields(row, skip=("payload",)),
                     links={"chain": links.itn_chain(db, row),
                            "custody_account_id": me.issuer.settings.broker_account_id},
                     approvals=approvals,
                     timeline=_timeline(db, row.id, *(a.id for a in approvals)))


def _fields(row: Any, skip: tuple[str, ...] = ()) -> list[tuple[str, Any]]:
    return [(c.key, getattr(row, c.key)) for c in row.__table__.columns
            if c.key not in skip and c.key != "row_version"]


def _asks_approval(request: Request, me: SignedIn, form: dict[str, str], back: str,
                   ask: Callable[[Session, Principal], Any]) -> Response:
    """A request that waits for a second operator (the REST route's own service call): on
    success, to the approvals queue."""
    def action(db: Session, who: Principal) -> tuple[int, Any]:
        approval = ask(db, who)
        return 202, {"id": approval.id, "status": approval.status}
    outcome = forms.write(me.issuer, request, me.principal, "operator", form, action)
    return _outcome_page(request, me, outcome, "/console/approvals", back)


@router.post("/tokenization/{request_id}/close")
@post_form("operator")
def close_mint(request: Request, me: SignedIn, form: dict[str, str],
               request_id: str) -> Response:
    """Ask to close a stuck mint (its shares go back to the AP on an admin's approval)."""
    back = f"/console/tokenization/{request_id}"
    try:
        body = forms.parse(ItnCloseIn, {"reason": form.get("reason", "")})
    except IssuerError as refused:
        return _page(request, me, "error.html", refused.status, back=back, error=refused)
    return _asks_approval(request, me, form, back, lambda db, who: itn_desk.request_close_mint(
        db, request_id, reason=body.reason, actor=who.operator))


@router.post("/tokenization/{request_id}/force-complete")
@post_form("operator")
def force_complete(request: Request, me: SignedIn, form: dict[str, str],
                   request_id: str) -> Response:
    """Ask to complete a redemption whose burn is on chain but not recorded."""
    back = f"/console/tokenization/{request_id}"
    try:
        body = forms.parse(ItnForceCompleteIn, {"tx_hash": form.get("tx_hash", "").strip(),
                                                "reason": form.get("reason", "")})
    except IssuerError as refused:
        return _page(request, me, "error.html", refused.status, back=back, error=refused)
    return _asks_approval(request, me, form, back,
                          lambda db, who: itn_desk.request_force_complete(
                              me.issuer, db, request_id, tx_hash=body.tx_hash,
                              reason=body.reason, actor=who.operator))


@router.post("/corporate-actions/{action_id}/apply")
@post_form("operator")
def apply_corporate_action(request: Request, me: SignedIn, form: dict[str, str],
                           action_id: str) -> Response:
    """Ask to apply a proposed multiplier change (a second operator approves it)."""
    def ask(db: Session, who: Principal) -> Any:
        row = db.get(CorporateAction, action_id)
        if row is None:
            raise IssuerError(404, "corporate_action_not_found",
                              f"no corporate action {action_id!r}")
        return controls.request_apply(db, row, who.operator)
    return _asks_approval(request, me, form, f"/console/corporate-actions/{action_id}", ask)


# -------------------------------------------------------------------------------- approvals

@router.get("/approvals")
@view
def approvals_page(request: Request, me: SignedIn) -> Response:
    with me.issuer.session() as db:
        pending = list(db.scalars(select(Approval).where(Approval.status == "pending")
                                  .order_by(Approval.created_at)))
        decided = list(db.scalars(select(Approval).where(Approval.status != "pending")
                                  .order_by(Approval.decided_at.desc()).limit(50)))
        return _page(request, me, "approvals.html", pending=pending, decided=decided,
                     needs=controls.SENSITIVE)


@router.get("/approvals/{approval_id}/{decision}")
@view
def confirm_page(request: Request, me: SignedIn, approval_id: str, decision: str) -> Response:
    """The confirmation step every decision needs: what is decided, and a fresh form."""
    if decision not in ("approve", "reject"):
        raise IssuerError(404, "not_found", "a decision is approve or reject")
    with me.issuer.session() as db:
        approval = db.get(Approval, approval_id)
        if approval is None:
            raise IssuerError(404, "approval_not_found", f"no approval {approval_id!r}")
        return _page(request, me, "confirm.html", approval=approval, decision=decision,
                     needs=controls.SENSITIVE.get(approval.action, "admin"))


@router.post("/approvals/{approval_id}/{decision}")
@post_form("operator")
def decide(request: Request, me: SignedIn, form: dict[str, str], approval_id: str,
           decision: str) -> Response:
    back = f"/console/approvals/{approval_id}/{decision}"
    if decision not in ("approve", "reject"):
        return _page(request, me, "error.html", 404, back="/console/approvals",
                     error=IssuerError(404, "not_found", "a decision is approve or reject"))
    if form.get("confirmed") != "yes":
        return _page(request, me, "error.html", 400, back=back, error=IssuerError(
            400, "confirmation_required", "tick the confirmation box: every decision is "
            "confirmed on its own page"))
    after: list[str] = []

    def action(db: Session, who: Principal) -> tuple[int, Any]:
        decided = controls.decide_as(me.issuer, db, approval_id,
                                     approve=decision == "approve", principal=who)
        if decided.result and "tx_key" in decided.result:
            after.append(decided.result["tx_key"])
        return 200, {"id": decided.id, "status": decided.status}
    outcome = forms.write(me.issuer, request, me.principal, "operator", form, action)
    if outcome.ok:
        for key in after:   # committed: send it now (the worker would, a pass later)
            controls.send_now(me.issuer, key)
    return _outcome_page(request, me, outcome, "/console/approvals", back)


# ------------------------------------------------------------------------ corporate actions

@router.get("/corporate-actions")
@view
def corporate_actions_page(request: Request, me: SignedIn) -> Response:
    with me.issuer.session() as db:
        today = me.issuer.broker.clock().date
        rows = list(reversed(ca_calendar.entries(db, today)))   # newest ex-date first
        return _page(request, me, "corporate_actions.html", rows=rows, today=today,
                     symbols=list(me.issuer.chain.stocks))


@router.post("/corporate-actions/delistings")
@post_form("operator")
def announce_delisting(request: Request, me: SignedIn, form: dict[str, str]) -> Response:
    """Announce a delisting (a second operator approves it): the REST route's service call."""
    back = "/console/corporate-actions"
    try:
        body = forms.parse(DelistingIn, {k: form.get(k, "").strip()
                                         for k in ("symbol", "final_date", "reason")})
    except IssuerError as refused:
        return _page(request, me, "error.html", refused.status, back=back, error=refused)
    return _asks_approval(request, me, form, back, lambda db, who: delistings.request(
        me.issuer, db, symbol=body.symbol, final_date=body.final_date, reason=body.reason,
        actor=who.operator))


@router.get("/corporate-actions/{action_id}")
@view
def corporate_action_page(request: Request, me: SignedIn, action_id: str) -> Response:
    with me.issuer.session() as db:
        row = db.get(CorporateAction, action_id)
        if row is None:
            raise IssuerError(404, "corporate_action_not_found",
                              f"no corporate action {action_id!r}")
        return _page(request, me, "corporate_action.html", row=row,
                     figures=ca_figures.figures(row), owed=ca_figures.owed(db, row),
                     timeline=_timeline(db, row.id, *([row.approval_id] if row.approval_id
                                                     else [])))


# ------------------------------------------------------------------------------- meetings

@router.get("/meetings")
@view
def meetings_page(request: Request, me: SignedIn) -> Response:
    with me.issuer.session() as db:
        rows = list(db.scalars(select(Meeting).order_by(Meeting.meeting_date.desc())))
        return _page(request, me, "meetings.html", rows=rows)


@router.get("/meetings/{meeting_id}")
@view
def meeting_page(request: Request, me: SignedIn, meeting_id: str) -> Response:
    with me.issuer.session() as db:
        row = ballots.meeting(db, meeting_id)
        return _page(request, me, "meeting.html", row=row,
                     tally=ballots.running_tally(db, row), timeline=_timeline(db, row.id))


@router.post("/meetings/{meeting_id}/policy")
@post_form("operator")
def set_meeting_policy(request: Request, me: SignedIn, form: dict[str, str],
                       meeting_id: str) -> Response:
    """The board policy for shares not voted, before the holders' deadline."""
    back = f"/console/meetings/{meeting_id}"
    try:
        body = forms.parse(PolicyIn, {"policy": form.get("policy", "")})
    except IssuerError as refused:
        return _page(request, me, "error.html", refused.status, back=back, error=refused)

    def action(db: Session, who: Principal) -> tuple[int, Any]:
        row = ballots.set_policy(me.issuer, db, meeting_id, body.policy, who.operator)
        return 200, {"id": row.id, "policy": row.unvoted_policy}
    outcome = forms.write(me.issuer, request, me.principal, "operator", form, action)
    return _outcome_page(request, me, outcome, back, back)


# ---------------------------------------------------------------------------------- halts

@router.get("/halts")
@view
def halts_page(request: Request, me: SignedIn) -> Response:
    with me.issuer.session() as db:
        rows = list(db.scalars(select(SymbolHalt).order_by(SymbolHalt.opened_at.desc())))
        return _page(request, me, "halts.html", rows=rows)


@router.post("/halts/{symbol}/clear")
@post_form("admin")
def clear_halt(request: Request, me: SignedIn, form: dict[str, str], symbol: str) -> Response:
    def action(db: Session, who: Principal) -> tuple[int, Any]:
        halt = reserves.clear_halt(me.issuer, db, controls.symbol_of(me.issuer, symbol),
                                   who.operator)
        return 200, {"id": halt.id}
    outcome = forms.write(me.issuer, request, me.principal, "admin", form, action)
    return _outcome_page(request, me, outcome, "/console/halts", "/console/halts")


# -------------------------------------------------------------------------------- holders

@router.get("/holders")
@view
def holders_page(request: Request, me: SignedIn, symbol: str | None = None) -> Response:
    key = controls.symbol_of(me.issuer, symbol or next(iter(me.issuer.chain.stocks)))
    with me.issuer.session() as db:
        indexed = indexer.indexed_to(db)
        holders: list[dict[str, Any]] = []
        multiplier = None
        if indexed is not None:
            multiplier = me.issuer.chain.multiplier(key, indexed)
            holders = [{"wallet": w, "raw": raw, "shares": raw_to_shares(raw, multiplier)}
                       for w, raw in indexer.holders(db, key, indexed).items()]
        return _page(request, me, "holders.html", symbol=key, symbols=list(me.issuer.chain.stocks),
                     block=indexed, multiplier=multiplier, holders=holders,
                     can_export=me.principal.can("compliance"))


@router.get("/holders/{symbol}/register.csv")
@view
def register_export(request: Request, me: SignedIn, symbol: str) -> Response:  # noqa: ARG001
    """The register at the latest indexed block, as the REST API exports it (compliance)."""
    if not me.principal.can("compliance"):
        raise IssuerError(403, "forbidden", "the register export needs the compliance role")
    key = controls.symbol_of(me.issuer, symbol)
    with me.issuer.session() as db:
        head = me.issuer.chain.head()
        at = min(head, indexer.indexed_to(db) or head)
        out = register.build(me.issuer, db, key, at, None)
        register.audit_export(db, out, me.principal.operator, "csv")
    return Response(out.csv(), media_type="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{key}-register-{at}.csv"',
        "Cache-Control": "no-store"})


# ----------------------------------------------------------------------------- audit trail

@router.get("/audit")
@view
def audit_page(request: Request, me: SignedIn, action: str | None = None,
               actor: str | None = None, subject: str | None = None,
               before: int | None = None) -> Response:
    query = select(AuditEntry)
    if action:
        query = query.where(AuditEntry.action.startswith(action.strip(), autoescape=True))
    if actor:
        query = query.where(AuditEntry.actor == actor.strip())
    if subject:
        query = query.where(AuditEntry.subject == subject.strip())
    if before is not None:
        query = query.where(AuditEntry.id < before)
    with me.issuer.session() as db:
        rows = list(db.scalars(query.order_by(AuditEntry.id.desc()).limit(100)))
        return _page(request, me, "audit.html", rows=rows,
                     filters={"action": action, "actor": actor, "subject": subject},
                     older=rows[-1].id if len(rows) == 100 else None)


# -------------------------------------------------------------------------------- API keys

@router.get("/keys")
@view
def keys_page(request: Request, me: SignedIn) -> Response:
    if not me.principal.can("admin"):
        raise IssuerError(403, "forbidden", f"API keys are managed by an admin; the key "
                                            f"{me.principal.name!r} is {me.principal.role}")
    with me.issuer.session() as db:
        rows = list(db.scalars(select(ApiKey).order_by(ApiKey.created_at)))
        return _page(request, me, "keys.html", rows=rows, issued=None)


@router.post("/keys")
@post_form("admin")
def issue_key(request: Request, me: SignedIn, form: dict[str, str]) -> Response:
    clear: list[str] = []
    try:
        body = forms.parse(ApiKeyIn, {k: form[k].strip() for k in ("name", "role", "operator")
                                      if k in form})
    except IssuerError as refused:
        return _page(request, me, "error.html", refused.status, back="/console/keys",
                     error=refused)

    def action(db: Session, who: Principal) -> tuple[int, Any]:
        row, secret = create_key(db, body.name, body.role, operator=body.operator,
                                 issued_by=who.key_id, issuer=who)
        operations.audit(db, who.operator, "api_key.create", row.id, name=row.name,
                         role=row.role, operator=row.operator)
        clear.append(secret)
        return 201, {"id": row.id, "name": row.name}
    outcome = forms.write(me.issuer, request, me.principal, "admin", form, action)
    if not outcome.ok:
        return _outcome_page(request, me, outcome, "", "/console/keys")
    with me.issuer.session() as db:
        rows = list(db.scalars(select(ApiKey).order_by(ApiKey.created_at)))
        # the key itself is shown once, on this answer only (a replay shows that it was made)
        return _page(request, me, "keys.html", 201, rows=rows,
                     issued={"name": outcome.body["name"], "key": clear[0] if clear else None})


@router.post("/keys/{key_id}/revoke")
@post_form("admin")
def revoke(request: Request, me: SignedIn, form: dict[str, str], key_id: str) -> Response:
    def action(db: Session, who: Principal) -> tuple[int, Any]:
        row = revoke_key(db, key_id, who)
        operations.audit(db, who.operator, "api_key.revoke", row.id, name=row.name,
                         operator=row.operator)
        return 200, {"id": row.id}
    outcome = forms.write(me.issuer, request, me.principal, "admin", form, action)
    return _outcome_page(request, me, outcome, "/console/keys", "/console/keys")


# ------------------------------------------------------------------------------- formatting

def _fmt(value: Any) -> str:
    """A figure as an operator reads it: decimals in full (no exponent), times in UTC."""
    if value is None:
        return "–"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else \
            format(value, "f")
    if isinstance(value, dt.datetime):
        moment: dt.datetime = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return str(value)


def _age_words(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    seconds = int(seconds)
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 172800:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} d"
