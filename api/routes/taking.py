"""EXAMEN (a candidate takes an épreuve) and SUPERVISEUR (live follow-up, attendance, devices, incidents).

Saves are the hot path: `async` routes whose check runs on the event loop and which answer once the journal
has the save on disk, with no hop to the thread pool on the way when the caller was seen recently
(`SaverRequires`). The rest runs in the thread pool like the other modules.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import re
import threading
import time
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from api.csrf import CSRF_HEADER, check_header
from api.csrf import matches as csrf_matches
from api.security import (SESSION_COOKIE, ExamSupervise, ExamTake, Principal, Requires, _bearer, authenticate,
                          demand_failed)
from services.taking.checks import AnswerIn
from services.taking.service import REFUSED, Taking, TakingError
from services.taking.supervision import Supervision
from store.embedded import OxigraphStore

router = APIRouter(tags=["EXAMEN", "SUPERVISEUR"])
Number = Annotated[int, Field(ge=1, le=10_000)]


def get_taking(request: Request) -> Taking:
    """The taking service of the app."""
    return request.app.state.taking


async def get_taking_here(request: Request) -> Taking:
    """The taking service of the app, on the event loop (a plain function dependency hops to the thread pool)."""
    return request.app.state.taking


# How long a save route trusts a caller it authenticated, never past a write to the store through this process
# (a token revoked, a function withdrawn: the store's generation moves), midnight (functions held until a date)
# or the token's expiry. On the embedded store, which no other process writes, that is all it takes; on a
# remote store other processes may write, so no longer than the platform-token cache (services/access/tokens.py).
SAVER_SECONDS_EMBEDDED = 900.0
SAVER_SECONDS_REMOTE = 30.0
SAVER_ENTRIES = 50_000


class _Callers:
    """The callers the save routes authenticated lately, by the digest of their platform token."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.entries: dict[str, tuple[Principal, int, float, dt.date, dt.datetime]] = {}
        self.lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: str, generation: int) -> Principal | None:
        found = self.entries.get(key)
        if found is None:
            self.misses += 1
            return None
        principal, seen_generation, until, day, expires = found
        if (seen_generation != generation or time.monotonic() > until or dt.date.today() != day
                or dt.datetime.now(dt.timezone.utc) >= expires):
            self.misses += 1
            return None
        self.hits += 1
        return principal

    def put(self, key: str, principal: Principal, generation: int, expires: dt.datetime) -> None:
        with self.lock:
            if len(self.entries) >= SAVER_ENTRIES:
                self.entries.clear()
            self.entries[key] = (principal, generation, time.monotonic() + self.seconds, dt.date.today(), expires)


def saver_callers(state) -> _Callers:
    """The app's cache of the save routes' callers."""
    callers = getattr(state, "saver_callers", None)
    if callers is None:
        embedded = isinstance(state.platform.store, OxigraphStore)
        callers = state.saver_callers = _Callers(SAVER_SECONDS_EMBEDDED if embedded else SAVER_SECONDS_REMOTE)
    return callers


def caller_key(bearer: bool, token: str | None) -> str | None:
    """A caller's key in that cache: the digest of their platform token and how it came."""
    return hashlib.sha256(f"{bearer}:{token}".encode()).hexdigest() if token else None


class SaverRequires(Requires):
    """`exam:take` for the save routes, checked on the event loop: the caller is authenticated by the platform's
    own `authenticate` (in the thread pool, as every route) the first time, then trusted for a few seconds on
    the same platform token (bearer or session cookie; the session's anti-forgery header is checked on each
    request) while nothing was written to the store. The policy is asked on every request."""

    async def __call__(self, request: Request,  # type: ignore[override]
                       credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Principal:
        state = request.app.state
        callers = saver_callers(state)
        token = credentials.credentials if credentials is not None else request.cookies.get(SESSION_COOKIE)
        key = caller_key(credentials is not None, token)
        generation = state.platform.store.generation
        principal = callers.get(key, generation) if key else None
        if principal is None:
            principal, expires = await run_in_threadpool(_authenticate, request, credentials, token)
            if key and expires is not None:
                callers.put(key, principal, generation, expires)
        elif credentials is None:
            check_header(request)
        if state.access.policy.allows(principal, self.action):
            return principal
        demand_failed(request, principal, self.action)
        raise AssertionError("unreachable")


def _authenticate(request: Request, credentials: HTTPAuthorizationCredentials | None,
                  token: str | None) -> tuple[Principal, dt.datetime | None]:
    """The platform's authentication, and the expiry of the platform token it rests on (None: not one)."""
    principal = authenticate(request, credentials)
    if not token or principal.via not in ("token", "session"):
        return principal, None
    record = request.app.state.access.tokens.verify_quietly(token)
    return principal, (record.expires if record is not None and not record.revoked else None)


ExamSave = Annotated[Principal, Depends(SaverRequires("exam:take"))]


WARM_SECONDS = 25  # under the token cache's 30 s: a crowd spread over minutes finds it warm all along


def warm_candidates(state, taking: Taking, exam: str, number: int) -> None:
    """Every WARM_SECONDS while an épreuve in memory is used, in the background: its candidates' tokens and
    functions in two queries, so the crowd arriving at its start signs in from the caches instead of three
    queries each."""
    warmed = getattr(state, "warmed_epreuves", None)
    if warmed is None:
        warmed = state.warmed_epreuves = {}
    now = time.monotonic()
    if now - warmed.get((exam, number), -WARM_SECONDS) < WARM_SECONDS:
        return
    warmed[(exam, number)] = now
    candidates = taking.snapshot(exam, number).candidates
    asyncio.ensure_future(run_in_threadpool(state.access.warm, candidates))


async def loaded(request: Request, taking: Taking, exam: str, number: int, person: str | None = None) -> None:
    """Read the épreuve's snapshot if it is not in memory yet, once: the saves arriving meanwhile (a crowd, at
    the start or after a restart) wait for that one reading instead of each starting its own. Then the caller's
    session, when it was read back after a restart without its sequence numbers (in the thread pool, not on
    the event loop)."""
    if taking.loaded(exam, number):
        warm_candidates(request.app.state, taking, exam, number)
        if taking.needs_loading(exam, number, person):
            await run_in_threadpool(taking.load_session, exam, number, person)
        return
    state = request.app.state
    readings = getattr(state, "snapshot_readings", None)
    if readings is None:
        readings = state.snapshot_readings = {}
    key = (exam, number, asyncio.get_running_loop())
    reading = readings.get(key)
    if reading is None:
        reading = readings[key] = asyncio.ensure_future(run_in_threadpool(taking.snapshot, exam, number))
        reading.add_done_callback(lambda _: readings.pop(key, None))
    await asyncio.shield(reading)
    warm_candidates(state, taking, exam, number)
    if taking.needs_loading(exam, number, person):
        await run_in_threadpool(taking.load_session, exam, number, person)


def get_supervision(request: Request) -> Supervision:
    """The supervision service of the app."""
    return request.app.state.supervision


TakingDep = Annotated[Taking, Depends(get_taking)]
SupervisionDep = Annotated[Supervision, Depends(get_supervision)]


class AnswerBody(BaseModel):
    """One save of a question: its whole state and the client's sequence number (a late duplicate never
    overwrites a newer answer). Give the field of the question's type only."""

    seq: int = Field(ge=0, lt=2**53, description="the client's sequence number, increasing with each save")
    options: list[str] = Field([], max_length=200, description="QRU/QRM/QRP: the IRIs of the ticked options")
    value: str | None = Field(None, max_length=2_000, description="TCS: the IRI of the chosen scale value")
    text: str | None = Field(None, max_length=20_000, description="QROC/QROL: the typed text")
    number: float | None = Field(None, description="NUMERIQUE: the number")
    unit: str | None = Field(None, max_length=40, description="NUMERIQUE: its unit")
    x: float | None = Field(None, description="ZONE: the clicked point, in picture pixels")
    y: float | None = None
    pairs: list[tuple[str, str]] = Field([], max_length=200, description="ASSOCIATION: [left, right] pairs")
    marker: bool = Field(False, description="« à revoir »: the candidate wants to come back to it")
    notepad: str | None = Field(None, max_length=20_000, description="the candidate's notes on the question")

    def record(self, question: str) -> AnswerIn:
        """The service's form."""
        return AnswerIn(question, self.seq, tuple(self.options), self.value, self.text, self.number, self.unit,
                        self.x, self.y, tuple(tuple(p) for p in self.pairs), (), self.marker, self.notepad)


class BatchAnswer(AnswerBody):
    """A save kept on the candidate's device while offline."""

    question: str = Field(max_length=20, description="the question's key: slot position, and step (\"3\", \"5.2\")")


class Batch(BaseModel):
    """Saves sent together when the network came back."""

    answers: list[BatchAnswer] = Field(max_length=5_000)


class Incident(BaseModel):
    """An incident in words."""

    description: str = Field(min_length=1, max_length=4_000)


# --- EXAMEN ------------------------------------------------------------------------------------------
@router.get("/taking/epreuves", summary="The épreuves I am a candidate of, open now or to come")
def my_epreuves(principal: ExamTake, taking: TakingDep) -> list[dict]:
    return taking.my_epreuves(principal)


@router.post("/taking/{exam}/{number}/session",
             summary="Open (or resume) my session: the content in my order, my answers, my deadline")
async def open_session(exam: str, number: int, principal: ExamSave, taking: TakingDep) -> dict:
    # The save routes' authentication (cached per platform token): the candidate's saves that follow find the
    # caller already checked.
    return await run_in_threadpool(taking.open_session, principal, exam, number)


@router.put("/taking/{exam}/{number}/answers/{question}",
            summary="Save my answer to a question (acknowledged once on disk); 409 once time is up or handed in")
async def save_answer(exam: str, number: int, question: str, body: AnswerBody, principal: ExamSave,
                      taking: Annotated[Taking, Depends(get_taking_here)], request: Request):
    await loaded(request, taking, exam, number, principal.person)
    (outcome,) = await taking.save(principal, exam, number, [body.record(question)])
    return save_response(outcome)


def save_response(outcome) -> JSONResponse:
    """The answer to one save (the route's, and the fast path's in `FastSaves`)."""
    if outcome.status == REFUSED:
        closed = outcome.reason and ("time is up" in outcome.reason or "handed in" in outcome.reason
                                     or "not open" in outcome.reason or "starts at" in outcome.reason)
        return JSONResponse({"detail": outcome.reason, **outcome.as_dict()}, status_code=409 if closed else 422)
    return JSONResponse(outcome.as_dict())


@router.post("/taking/{exam}/{number}/answers",
             summary="Send answers kept offline: each is kept, superseded (a newer one is stored) or refused")
async def save_batch(exam: str, number: int, body: Batch, principal: ExamSave,
                     taking: Annotated[Taking, Depends(get_taking_here)], request: Request) -> dict:
    await loaded(request, taking, exam, number, principal.person)
    outcomes = await taking.save(principal, exam, number, [a.record(a.question) for a in body.answers], batch=True)
    return {"results": [o.as_dict() for o in outcomes]}


@router.post("/taking/{exam}/{number}/steps/{position}/next",
             summary="Reveal the next step of a progressive dossier (the steps before it lock)")
async def reveal_next(exam: str, number: int, position: int, principal: ExamTake, taking: TakingDep) -> dict:
    return await run_in_threadpool(taking.reveal_next, principal, exam, number, position)


@router.post("/taking/{exam}/{number}/heartbeat", summary="My page is alive; the server's time and my deadline")
async def heartbeat(exam: str, number: int, principal: ExamTake, taking: TakingDep) -> dict:
    return await run_in_threadpool(taking.heartbeat, principal, exam, number)


@router.post("/taking/{exam}/{number}/submit", summary="Hand my copy in: no change is accepted afterwards")
async def submit(exam: str, number: int, principal: ExamTake, taking: TakingDep) -> dict:
    return await run_in_threadpool(taking.submit, principal, exam, number)


@router.post("/taking/{exam}/{number}/incidents", status_code=201,
             summary="Report an incident to the supervisors")
async def report_incident(exam: str, number: int, body: Incident, principal: ExamTake, taking: TakingDep) -> dict:
    return await run_in_threadpool(taking.report_incident, principal, exam, number, body.description)


# --- SUPERVISEUR ------------------------------------------------------------------------------------
Room = Annotated[str | None, Query(max_length=60, description="only this room")]


class Sign(BaseModel):
    """A sign-in or sign-out (émargement)."""

    person: str = Field(max_length=500, description="the candidate's IRI")
    direction: Literal["in", "out"]
    room: str | None = Field(None, max_length=60)
    seat: str | None = Field(None, max_length=20)


class Placement(BaseModel):
    """A candidate's room and seat."""

    person: str = Field(max_length=500)
    room: str | None = Field(None, max_length=60)
    seat: str | None = Field(None, max_length=20)


class DeviceBody(BaseModel):
    """A device handed to a candidate."""

    person: str = Field(max_length=500)
    device_id: str = Field(min_length=1, max_length=80)
    replaces: str | None = Field(None, max_length=500, description="the device (IRI) this one replaces")


class SupervisorIncident(BaseModel):
    """An incident a supervisor reports."""

    description: str = Field(min_length=1, max_length=4_000)
    candidate: str | None = Field(None, max_length=500)


class Resolution(BaseModel):
    """How an incident was resolved."""

    incident: str = Field(max_length=500)
    resolution: str = Field(min_length=1, max_length=4_000)


class Checklist(BaseModel):
    """An ECOS examiner's checklist for one candidate."""

    person: str = Field(max_length=500)
    seq: int = Field(ge=0, lt=2**53)
    checks: list[str] = Field([], max_length=500)
    rating: str | None = Field(None, max_length=500,
                               description="the global rating: a value (IRI) of the station's global rating scale")


@router.get("/supervision/{exam}/{number}",
            summary="Live view: present, started, handed in, last seen, disconnected, incidents (per room)")
def live(exam: str, number: int, principal: ExamSupervise, supervision: SupervisionDep, room: Room = None) -> dict:
    return supervision.live(principal, exam, number, room)


@router.get("/supervision/{exam}/{number}/events", response_class=StreamingResponse,
            summary="The live view pushed every 3 seconds (server-sent events)")
async def live_events(exam: str, number: int, request: Request, principal: ExamSupervise,
                      supervision: SupervisionDep, room: Room = None, once: bool = False):
    first = await run_in_threadpool(supervision.live, principal, exam, number, room)

    async def stream():
        view = first
        while True:
            yield f"event: live\ndata: {json.dumps(view, ensure_ascii=False)}\n\n"
            if once or await request.is_disconnected():
                return
            await asyncio.sleep(3)
            view = await run_in_threadpool(supervision.live, principal, exam, number, room)

    return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-store"})


@router.post("/supervision/{exam}/{number}/attendance", summary="Sign a candidate in or out (émargement)")
def sign(exam: str, number: int, body: Sign, principal: ExamSupervise, supervision: SupervisionDep) -> dict:
    return supervision.sign(principal, exam, number, body.person, body.direction, body.room, body.seat)


@router.put("/supervision/{exam}/{number}/placement", summary="Put a candidate in a room and a seat")
def place(exam: str, number: int, body: Placement, principal: ExamSupervise, supervision: SupervisionDep) -> dict:
    return supervision.place(principal, exam, number, body.person, body.room, body.seat)


@router.post("/supervision/{exam}/{number}/devices", status_code=201,
             summary="Record a device handed to a candidate, or one replacing a device that failed")
def hand_device(exam: str, number: int, body: DeviceBody, principal: ExamSupervise,
                supervision: SupervisionDep) -> dict:
    return supervision.hand_device(principal, exam, number, body.person, body.device_id, body.replaces)


@router.post("/supervision/{exam}/{number}/incidents", status_code=201, summary="Report an incident")
def supervisor_incident(exam: str, number: int, body: SupervisorIncident, principal: ExamSupervise,
                        supervision: SupervisionDep) -> dict:
    return supervision.report(principal, exam, number, body.description, body.candidate)


@router.post("/supervision/{exam}/{number}/incidents/resolve", summary="Close an incident: how, who, when")
def resolve(exam: str, number: int, body: Resolution, principal: ExamSupervise, supervision: SupervisionDep) -> dict:
    return supervision.resolve(principal, exam, number, body.incident, body.resolution)


@router.get("/supervision/{exam}/{number}/attendance.csv", response_class=Response,
            summary="The attendance sheet (CSV)")
def attendance_csv(exam: str, number: int, principal: ExamSupervise, supervision: SupervisionDep) -> Response:
    return Response(supervision.sheet_csv(principal, exam, number), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="emargement-{exam}-{number}.csv"'})


@router.get("/supervision/{exam}/{number}/attendance.pdf", response_class=Response,
            summary="The attendance sheet (PDF)")
def attendance_pdf(exam: str, number: int, principal: ExamSupervise, supervision: SupervisionDep) -> Response:
    return Response(supervision.sheet_pdf(principal, exam, number), media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="emargement-{exam}-{number}.pdf"'})


@router.get("/supervision/{exam}/{number}/ecos",
            summary="An ECOS examiner's sheet: the stations, one station's checklist and rating scale, each "
                    "candidate's saved ticks and global rating (per room)")
def ecos_sheet(exam: str, number: int, principal: ExamSupervise, supervision: SupervisionDep, room: Room = None,
               station: Annotated[str | None, Query(max_length=20, description="the station's position")] = None
               ) -> dict:
    return supervision.station_sheet(principal, exam, number, station, room)


@router.put("/supervision/{exam}/{number}/ecos/{question}",
            summary="An ECOS examiner saves a candidate's checklist (idempotent by sequence number)")
async def ecos_checklist(exam: str, number: int, question: str, body: Checklist, principal: ExamSupervise,
                         supervision: SupervisionDep, taking: TakingDep):
    await run_in_threadpool(supervision.examiner_check, principal, exam, number)
    answer = AnswerIn(question, body.seq, value=body.rating, checks=tuple(body.checks))
    (outcome,) = await taking.save(principal, exam, number, [answer], examiner_for=body.person)
    if outcome.status == REFUSED:
        return JSONResponse({"detail": outcome.reason, **outcome.as_dict()}, status_code=422)
    return outcome.as_dict()


# --- the save's fast path -----------------------------------------------------------------------------------
SAVE_PATH = re.compile(r"/taking/([^/]+)/([0-9]{1,5})/answers/([^/]+)")


class FastSaves:
    """A pure ASGI middleware answering the common case of `PUT /taking/{exam}/{n}/answers/{question}` without
    the router and the dependency machinery (a third of the event loop's time per save went to matching some
    hundred routes and solving the route's dependencies): a caller the save routes authenticated lately (the
    same cache and the same checks as `SaverRequires`: token, anti-forgery header for a session, the policy), a
    JSON body the route's model accepts, an épreuve in memory. Anything else — a first request, a body the
    model refuses, an error of the service — goes on to the route with the body as it came, so answers and
    errors are the route's own."""

    def __init__(self, app, max_bytes: int = 1_000_000):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] != "PUT" or not scope["path"].startswith("/taking/"):
            return await self.app(scope, receive, send)
        found = SAVE_PATH.fullmatch(scope["path"])
        if found is None:
            return await self.app(scope, receive, send)
        request = Request(scope)
        principal, taking = self._caller(request)
        length = request.headers.get("content-length", "")
        content_type = request.headers.get("content-type", "")
        exam, number, question = found.group(1), int(found.group(2)), found.group(3)
        if (principal is None or not length.isdigit() or int(length) > self.max_bytes
                or content_type.split(";", 1)[0].strip().lower() != "application/json"
                or not taking.loaded(exam, number) or taking.needs_loading(exam, number, principal.person)):
            return await self.app(scope, receive, send)
        body, more = b"", True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return await self.app(scope, _replay(body, message, receive), send)
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.max_bytes:
                return await self.app(scope, _replay(body, None, receive, more), send)
        answer = _parsed(body, question)
        if answer is None:
            return await self.app(scope, _replay(body, None, receive), send)
        try:
            outcomes, futures = taking.prepare(principal, exam, number, [answer])
        except TakingError:  # raised before anything was queued: the route raises it again and maps it
            return await self.app(scope, _replay(body, None, receive), send)
        waiting = [asyncio.wrap_future(f) for f in futures if f is not None]
        if waiting:
            await asyncio.gather(*waiting)
        await save_response(outcomes[0])(scope, receive, send)

    @staticmethod
    def _caller(request: Request) -> tuple[Principal | None, Taking | None]:
        """The caller as `SaverRequires` finds them in its cache (None: let the route authenticate)."""
        state = request.app.state
        header = request.headers.get("authorization")
        if header is not None:
            scheme, _, token = header.partition(" ")  # as HTTPBearer reads it
            token = token.strip()
            if scheme.lower() != "bearer" or not token:
                return None, None
            key = caller_key(True, token)
        else:
            key = caller_key(False, request.cookies.get(SESSION_COOKIE))
        callers = getattr(state, "saver_callers", None)
        if key is None or callers is None:
            return None, None
        principal = callers.get(key, state.platform.store.generation)
        if principal is None or not state.access.policy.allows(principal, "exam:take"):
            return None, None
        if header is None and not csrf_matches(request, request.headers.get(CSRF_HEADER)):
            return None, None
        return principal, state.taking


def _parsed(body: bytes, question: str) -> AnswerIn | None:
    """The save as the route's model reads it (None: the route says what is wrong)."""
    try:
        return AnswerBody.model_validate(json.loads(body)).record(question)
    except (ValueError, ValidationError):
        return None


def _replay(body: bytes, last: dict | None, receive, more: bool = False):
    """A `receive` giving the body already read, then what the client sends next."""
    sent = False

    async def replayed():
        nonlocal sent
        if not sent:
            sent = True
            if last is not None:  # a disconnect (or another event) came in place of the body's end
                return {"type": "http.request", "body": body, "more_body": True} if body else last
            return {"type": "http.request", "body": body, "more_body": more}
        return await receive()

    return replayed
