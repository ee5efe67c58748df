"""PLANIFICATEUR: exams and épreuves, linked items, registrations, candidates, extra time, statuses, the
calendar (JSON and iCalendar), the bon à tirer (HTML and PDF), downloads (TriG, JSON), usage statistics."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from api.security import PlannerManage, PlannerRead
from services.planner.documents import Documents
from services.planner.exams import Planner
from services.planner.inputs import (
    EpreuveChange, EpreuveInput, ExamChange, ExamInput, ExtraTimeInput, Registrations, SlotInput, Status,
)
from services.planner.usage import UsageStatistics

router = APIRouter(prefix="/planner", tags=["PLANIFICATEUR"])


def get_planner(request: Request) -> Planner:
    """The planner of the app."""
    return request.app.state.planner


def get_documents(request: Request) -> Documents:
    """The planner's views of the app."""
    return request.app.state.planner_documents


def get_usage(request: Request) -> UsageStatistics:
    """The usage statistics of the app."""
    return request.app.state.usage


PlannerDep = Annotated[Planner, Depends(get_planner)]
DocumentsDep = Annotated[Documents, Depends(get_documents)]
UsageDep = Annotated[UsageStatistics, Depends(get_usage)]
Organisation = Annotated[str | None, Query(description="an organisation IRI: its exams and its units'")]
From = Annotated[dt.date | None, Query(alias="from", description="first day (YYYY-MM-DD)")]
To = Annotated[dt.date | None, Query(alias="to", description="last day (YYYY-MM-DD)")]


def run(function, *args, **kwargs):
    """A planner call off the event loop; its errors are answered by the app's error table."""
    return run_in_threadpool(function, *args, **kwargs)


class StatusChange(BaseModel):
    """The status an épreuve moves to."""

    status: Status


# --- exams -----------------------------------------------------------------------------------------
@router.get("/exams", summary="The exam list: one row per épreuve (name, type, dates, duration, status)")
async def list_exams(documents: DocumentsDep, principal: PlannerRead, organisation: Organisation = None,
                     status: Status | None = None, start: From = None, end: To = None):
    """The épreuves of the exams the caller may read, soonest first (undated drafts last)."""
    return await run(documents.listing, principal, organisation, status, start, end)


@router.post("/exams", status_code=201, summary="Create an exam with its épreuves")
async def create_exam(body: ExamInput, planner: PlannerDep, documents: DocumentsDep, principal: PlannerManage):
    """Universities default to the owner's, the owner to the caller's organisation; every rule is checked and
    nothing is written on a refusal."""
    exam = await run(planner.create, principal, body)
    return await run(documents.exam_detail, principal, exam.key)


@router.get("/exams/{key}", summary="An exam: its épreuves, linked items, registrations, extra time, statuses")
async def get_exam(key: str, documents: DocumentsDep, principal: PlannerRead):
    """The exam as its graph holds it, with each épreuve's candidate count."""
    return await run(documents.exam_detail, principal, key)


@router.patch("/exams/{key}", summary="Change an exam's name, short name, identifier, universities or formations")
async def change_exam(key: str, body: ExamChange, planner: PlannerDep, documents: DocumentsDep,
                      principal: PlannerManage):
    """Universities and formations no longer change once an épreuve started."""
    await run(planner.change, principal, key, body)
    return await run(documents.exam_detail, principal, key)


@router.delete("/exams/{key}", status_code=204, summary="Delete an exam (409 once an épreuve started)")
async def delete_exam(key: str, planner: PlannerDep, principal: PlannerManage):
    """The exam's graph goes; the item versions it linked stay (other épreuves may link them)."""
    await run(planner.delete, principal, key)
    return Response(status_code=204)


@router.get("/exams/{key}/groups", summary="The groups this exam may register")
async def exam_groups(key: str, planner: PlannerDep, principal: PlannerRead):
    """Cohorts of its formations (of its universities when it names none) and ad-hoc groups of its universities."""
    return await run(planner.registrable_groups, principal, key)


@router.get("/exams/{key}/items", summary="The STUDIO items this exam may link, by words and kind")
async def linkable_items(key: str, planner: PlannerDep, principal: PlannerManage,
                         text: Annotated[str | None, Query(description="words of the title or the text")] = None,
                         kind: Annotated[str | None, Query(description="QI, DP, LCA … or QRU, QRM …")] = None,
                         limit: Annotated[int, Query(ge=1, le=500)] = 50):
    """Current items that are national or owned by the exam's organisation, a unit below it or an organisation
    above it (the visibility rule of linking), by title."""
    return await run(planner.linkable_items, principal, key, text, kind, limit)


@router.get("/exams/{key}/download", summary="Download an exam: TriG of its graphs, or JSON")
async def download_exam(key: str, documents: DocumentsDep, principal: PlannerRead,
                        format: Literal["trig", "json"] = "trig"):
    """TriG: the exam's graph, its frozen candidate lists and every item version it links; JSON: the same
    content in the API's form, candidates included."""
    if format == "json":
        body = await run(documents.download_json, principal, key)
        return JSONResponse(body, headers={"Content-Disposition": f'attachment; filename="exam-{key}.json"'})
    content = await run(documents.trig, principal, key)
    return Response(content, media_type="application/trig",
                    headers={"Content-Disposition": f'attachment; filename="exam-{key}.trig"'})


# --- épreuves ---------------------------------------------------------------------------------------
@router.post("/exams/{key}/epreuves", status_code=201, summary="Add an épreuve to an exam")
async def add_epreuve(key: str, body: EpreuveInput, planner: PlannerDep, documents: DocumentsDep,
                      principal: PlannerManage):
    """A new épreuve (a draft), numbered after the others."""
    epreuve = await run(planner.add_epreuve, principal, key, body)
    return documents.epreuve_json(epreuve)


@router.patch("/exams/{key}/epreuves/{number}", summary="Change an épreuve's name, type, date, duration, grading "
                                                        "method or display options")
async def change_epreuve(key: str, number: int, body: EpreuveChange, planner: PlannerDep, documents: DocumentsDep,
                         principal: PlannerManage):
    """A ready épreuve is checked again (complete, no overlap); a started one no longer changes (409)."""
    return documents.epreuve_json(await run(planner.change_epreuve, principal, key, number, body))


@router.delete("/exams/{key}/epreuves/{number}", status_code=204, summary="Remove an épreuve that has not started")
async def delete_epreuve(key: str, number: int, planner: PlannerDep, principal: PlannerManage):
    """An exam keeps at least one épreuve."""
    await run(planner.delete_epreuve, principal, key, number)
    return Response(status_code=204)


@router.put("/exams/{key}/epreuves/{number}/slots", summary="Link items to an épreuve, in order, with coefficients")
async def link_items(key: str, number: int, body: Annotated[list[SlotInput], Body()], planner: PlannerDep,
                     documents: DocumentsDep, principal: PlannerManage):
    """The whole list: each item is linked by a published (frozen) version, so later edits never reach the
    épreuve; an item invisible to the exam's organisation is refused."""
    return documents.epreuve_json(await run(planner.link, principal, key, number, body))


@router.put("/exams/{key}/epreuves/{number}/registrations", summary="Register groups, add and exclude candidates")
async def register(key: str, number: int, body: Registrations, planner: PlannerDep, documents: DocumentsDep,
                   principal: PlannerManage):
    """The whole registration: groups offered to the exam, people added one by one, members excluded."""
    return documents.epreuve_json(await run(planner.register, principal, key, number, body))


@router.put("/exams/{key}/epreuves/{number}/extra-time", summary="Extra time (tiers-temps) of candidates")
async def extra_time(key: str, number: int, body: Annotated[list[ExtraTimeInput], Body()], planner: PlannerDep,
                     documents: DocumentsDep, principal: PlannerManage):
    """The whole list of candidates granted extra time, in minutes."""
    return documents.epreuve_json(await run(planner.set_extra_time, principal, key, number, body))


@router.get("/exams/{key}/epreuves/{number}/candidates", summary="The candidates of an épreuve")
async def candidates(key: str, number: int, planner: PlannerDep, documents: DocumentsDep, principal: PlannerRead):
    """Recomputed from the groups until the épreuve starts, then the frozen list."""
    epreuve, found = await run(planner.candidates, principal, key, number)
    return documents.candidates_json(epreuve, found)


@router.post("/exams/{key}/epreuves/{number}/freeze", summary="Freeze the candidate list now")
async def freeze(key: str, number: int, planner: PlannerDep, documents: DocumentsDep, principal: PlannerManage):
    """What the exam's start does (EXAMEN calls it); calling it again changes nothing."""
    found = await run(planner.freeze, principal, key, number)
    _, epreuve = await run(planner.epreuve, principal, key, number)
    return documents.candidates_json(epreuve, found)


@router.post("/exams/{key}/epreuves/{number}/status", summary="Move an épreuve: draft → ready → running → "
                                                              "finished → archived")
async def set_status(key: str, number: int, body: StatusChange, planner: PlannerDep, documents: DocumentsDep,
                     principal: PlannerManage):
    """Ready needs a complete épreuve (items, registrations, date) with no candidate in two épreuves at once;
    running freezes the candidates."""
    return documents.epreuve_json(await run(planner.set_status, principal, key, number, body.status))


@router.get("/exams/{key}/epreuves/{number}/bat", summary="The bon à tirer of an épreuve (HTML or PDF)")
async def bon_a_tirer(key: str, number: int, documents: DocumentsDep, principal: PlannerRead,
                      format: Literal["html", "pdf"] = "html"):
    """Every item and question numbered as candidates see them before shuffling, the shuffle options stated,
    coefficients, and the answer key in a separate part."""
    if format == "pdf":
        content = await run(documents.bat_pdf, principal, key, number)
        return Response(content, media_type="application/pdf",
                        headers={"Content-Disposition": f'inline; filename="bat-{key}-{number}.pdf"'})
    return HTMLResponse(await run(documents.bat_html, principal, key, number))


# --- calendar and usage --------------------------------------------------------------------------------
@router.get("/calendar", summary="The calendar of épreuves, by day or week")
async def calendar(documents: DocumentsDep, principal: PlannerRead, start: From = None, end: To = None,
                   organisation: Organisation = None, view: Literal["day", "week"] = "week"):
    """Dated épreuves between two days (default: this week and the next three)."""
    today = dt.date.today()
    start = start or today - dt.timedelta(days=today.weekday())
    end = end or start + dt.timedelta(days=27)
    return await run(documents.calendar, principal, start, end, organisation, view)


@router.get("/calendar.ics", summary="The calendar of épreuves as iCalendar, for agendas")
async def calendar_ics(documents: DocumentsDep, principal: PlannerRead, start: From = None, end: To = None,
                       organisation: Organisation = None):
    """One event per dated épreuve (its IRI as UID); drafts are tentative."""
    content = await run(documents.calendar_ics, principal, start, end, organisation)
    return Response(content, media_type="text/calendar; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="epreuves.ics"'})


@router.get("/usage", summary="Usage statistics of items: students who answered, success rate, épreuves")
async def usage(stats: UsageDep, principal: PlannerRead,
                specialty: Annotated[str | None, Query(description="an entry of the Spécialités list")] = None,
                entry: Annotated[str | None, Query(description="a référentiel entry (its subtree counts)")] = None,
                transversal: Annotated[str | None, Query(description="an entry of the Familles de connaissance")] = None,
                limit: Annotated[int, Query(ge=1, le=5000)] = 200):
    """Items of the caller's organisations matching every filter given: type, title, number of students who
    answered, success rate (0 before any answer), number of épreuves that used it."""
    return await run(stats.search, principal, specialty, entry, transversal, limit)
