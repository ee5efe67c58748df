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
import threading
import time
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from api.csrf import check_header
from api.security import (SESSION_COOKIE, ExamSupervise, ExamTake, Principal, Requires, _bearer, authenticate,
                          demand_failed)
from services.taking.checks import AnswerIn
from services.taking.service import REFUSED, Taking
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


class SaverRequires(Requires):
    """`exam:take` for the save routes, checked on the event loop: the caller is authenticated by the platform's
    own `authenticate` (in the thread pool, as every route) the first time, then trusted for a few seconds on
    the same platform token (bearer or session cookie; the session's anti-forgery header is checked on each
    request) while nothing was written to the store. The policy is asked on every request."""

    async def __call__(self, request: Request,  # type: ignore[override]
                       credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Principal:
        state = request.app.state
        callers = getattr(state, "saver_callers", None)
        if callers is None:
            embedded = isinstance(state.platform.store, OxigraphStore)
            callers = state.saver_callers = _Callers(SAVER_SECONDS_EMBEDDED if embedded else SAVER_SECONDS_REMOTE)
        token = credentials.credentials if credentials is not None else request.cookies.get(SESSION_COOKIE)
        key = hashlib.sha256(f"{credentials is not None}:{token}".encode()).hexdigest() if token else None
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


async def loaded(request: Request, taking: Taking, exam: str, number: int) -> None:
    """Read the épreuve's snapshot if it is not in memory yet, once: the saves arriving meanwhile (a crowd, at
    the start or after a restart) wait for that one reading instead of each starting its own."""
    if taking.loaded(exam, number):
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
async def open_session(exam: str, number: int, principal: ExamTake, taking: TakingDep) -> dict:
    return await run_in_threadpool(taking.open_session, principal, exam, number)


@router.put("/taking/{exam}/{number}/answers/{question}",
            summary="Save my answer to a question (acknowledged once on disk); 409 once time is up or handed in")
async def save_answer(exam: str, number: int, question: str, body: AnswerBody, principal: ExamSave,
                      taking: Annotated[Taking, Depends(get_taking_here)], request: Request):
    await loaded(request, taking, exam, number)
    (outcome,) = await taking.save(principal, exam, number, [body.record(question)])
    if outcome.status == REFUSED:
        closed = outcome.reason and ("time is up" in outcome.reason or "handed in" in outcome.reason
                                     or "not open" in outcome.reason or "starts at" in outcome.reason)
        return JSONResponse({"detail": outcome.reason, **outcome.as_dict()}, status_code=409 if closed else 422)
    return JSONResponse(outcome.as_dict())


@router.post("/taking/{exam}/{number}/answers",
             summary="Send answers kept offline: each is kept, superseded (a newer one is stored) or refused")
async def save_batch(exam: str, number: int, body: Batch, principal: ExamSave,
                     taking: Annotated[Taking, Depends(get_taking_here)], request: Request) -> dict:
    await loaded(request, taking, exam, number)
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


@router.put("/supervision/{exam}/{number}/ecos/{question}",
            summary="An ECOS examiner saves a candidate's checklist (idempotent by sequence number)")
async def ecos_checklist(exam: str, number: int, question: str, body: Checklist, principal: ExamSupervise,
                         supervision: SupervisionDep, taking: TakingDep):
    await run_in_threadpool(supervision.examiner_check, principal, exam, number)
    answer = AnswerIn(question, body.seq, checks=tuple(body.checks))
    (outcome,) = await taking.save(principal, exam, number, [answer], examiner_for=body.person)
    if outcome.status == REFUSED:
        return JSONResponse({"detail": outcome.reason, **outcome.as_dict()}, status_code=422)
    return outcome.as_dict()
