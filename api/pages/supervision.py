"""SUPERVISEUR pages: the épreuves one follows, the live view of an épreuve per room (polled by htmx every
4 seconds), and the attendance screen (émargement: sign in and out, room and seat, devices, incidents), over the
supervision service the API calls. The attendance sheet is the API's CSV and PDF.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse

from api.csrf import check_page_request
from api.pages.exam import parse_time, shown_time
from api.pages.i18n import N_, _
from api.pages.render import context, display_name, redirect, render
from api.security import ExamSupervise, Principal
from services.exams.rdf import person_key
from services.taking.checks import AnswerIn
from services.taking.service import REFUSED, SUPERSEDED, TakingError, TakingNotFound
from services.taking.supervision import Supervision, SupervisionForbidden

router = APIRouter(prefix="/ui/supervision", dependencies=[Depends(check_page_request)], include_in_schema=False)
Text = Annotated[str, Form()]
Many = Annotated[list[str], Form()]
POLL_SECONDS = 4
STATUS_NAMES = {"absent": N_("absent"), "present": N_("present"), "started": N_("started"),
                "submitted": N_("handed in")}
EPREUVE_STATUS = {"ready": N_("ready"), "running": N_("running")}


def supervision_of(request: Request) -> Supervision:
    """The app's supervision service."""
    return request.app.state.supervision


def back_to(base: str, room: str | None, page: str = "") -> str:
    """A supervision page again, with its room filter."""
    return base + page + (f"?{urlencode({'room': room})}" if room else "")


def live_context(request: Request, principal: Principal, exam: str, number: int, room: str | None) -> dict:
    """What the live view and the attendance screen show: the service's live view, in words and local times."""
    supervision = supervision_of(request)
    live = supervision.live(principal, exam, number, room or None)
    found = supervision.planner.exam_or_none(exam)
    supervises = bool(found and supervision.may_supervise(principal, found))
    names = {r["person"]: r["name"] for r in live["candidates"]}
    for r in live["candidates"]:
        r["key"] = person_key(r["person"])
        r["status_text"] = _(STATUS_NAMES.get(r["status"], r["status"]))
        for field in ("signed_in", "signed_out", "started", "submitted", "last_seen"):
            r[field + "_text"] = shown_time(request, r[field], with_date=False) if r[field] else ""
        for d in r["devices"]:
            d["handed_text"] = shown_time(request, d["handed"], with_date=False) if d["handed"] else ""
    for i in live["incidents"]:
        i["candidate_name"] = names.get(i["candidate"]) or (display_name(request, i["candidate"])
                                                             if i["candidate"] else None)
        i["reporter_name"] = display_name(request, i["reported_by"]) if i["reported_by"] else ""
        i["resolver_name"] = display_name(request, i["resolved_by"]) if i["resolved_by"] else ""
        i["reported_text"] = shown_time(request, i["reported"], with_date=False)
        i["resolved_text"] = shown_time(request, i["resolved"], with_date=False) if i["resolved"] else ""
        i["dom"] = "incident-" + i["incident"].rsplit("/", 1)[-1]
    base = f"/ui/supervision/{exam}/{number}"
    stations = any(q.type == "ECOS" for q in supervision.taking.snapshot(exam, number).sheet.questions)
    return {"live": live, "room": room or "", "base": base, "supervises": supervises, "stations": stations,
            "api": f"/supervision/{exam}/{number}", "poll": POLL_SECONDS,
            "now_text": shown_time(request, live["server_time"], with_date=False),
            "start_text": shown_time(request, live["start"]),
            "open_incidents": sum(1 for i in live["incidents"] if not i["resolved"])}


def act(request: Request, back: str, action, success) -> object:
    """Do a supervision action and go back with its outcome in words (the service's reason when it refuses)."""
    try:
        result = action()
    except (TakingNotFound, SupervisionForbidden):
        raise
    except TakingError as exc:
        return redirect(request, back, str(exc), "error")
    return redirect(request, back, success(result) if callable(success) else success)


# --- the épreuves one follows ------------------------------------------------------------------------------
@router.get("")
def followed(request: Request, principal: ExamSupervise):
    """The ready and running épreuves of one's organisations, with their live view and attendance screen."""
    rows = supervision_of(request).followable(principal)
    now = request.app.state.taking.clock()
    for r in rows:
        start = parse_time(r["start"])
        r["start_text"] = shown_time(request, start)
        r["status_text"] = _(EPREUVE_STATUS.get(r["status"], r["status"]))
        r["now"] = bool(start and start <= now <= start + dt.timedelta(minutes=r["duration_minutes"]))
        r["href"] = f"/ui/supervision/{r['exam']}/{r['number']}"
    return render(request, principal, "supervision/list.html", title=_("Supervision"), rows=rows)


# --- the live view -------------------------------------------------------------------------------------------
@router.get("/{exam}/{number}")
def live_page(request: Request, exam: str, number: int, principal: ExamSupervise, room: str = ""):
    """Who is present, started, handed in, last seen, disconnected; incidents — for a room or all of them."""
    ctx = live_context(request, principal, exam, number, room)
    return render(request, principal, "supervision/live.html", title=ctx["live"]["title"], **ctx)


@router.get("/{exam}/{number}/live")
def live_fragment(request: Request, exam: str, number: int, principal: ExamSupervise, room: str = ""):
    """The live view's figures, table and incidents (htmx polls them)."""
    ctx = live_context(request, principal, exam, number, room)
    # No message with it: a poll leaves the page's status region as it is.
    html = request.app.state.templates.get_template("supervision/_live.html").render(
        context(request, principal, **ctx))
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})


@router.post("/{exam}/{number}/incidents/resolve")
def resolve(request: Request, exam: str, number: int, principal: ExamSupervise, incident: Text, resolution: Text = "",
            room: Text = "", page: Text = ""):
    """Close an incident: how it was resolved (who and when are recorded)."""
    back = back_to(f"/ui/supervision/{exam}/{number}", room, "/attendance" if page == "attendance" else "")
    return act(request, back, lambda: supervision_of(request).resolve(principal, exam, number, incident, resolution),
               _("Incident resolved."))


# --- the attendance screen -----------------------------------------------------------------------------------
@router.get("/{exam}/{number}/attendance")
def attendance_page(request: Request, exam: str, number: int, principal: ExamSupervise, room: str = ""):
    """Émargement: each candidate's room and seat, sign-in and sign-out, devices; incidents to report."""
    ctx = live_context(request, principal, exam, number, room)
    return render(request, principal, "supervision/attendance.html",
                  title=_("Attendance: %(title)s") % {"title": ctx["live"]["title"]}, **ctx)


@router.post("/{exam}/{number}/attendance")
def sign(request: Request, exam: str, number: int, principal: ExamSupervise, person: Text, direction: Text,
         room: Text = "", seat: Text = "", filter_room: Text = ""):
    """Sign a candidate in or out (with room and seat), or only place them."""
    supervision = supervision_of(request)
    back = back_to(f"/ui/supervision/{exam}/{number}", filter_room, "/attendance")
    name = display_name(request, person)

    def apply():
        if direction == "place":
            return supervision.place(principal, exam, number, person, room.strip() or None, seat.strip() or None)
        return supervision.sign(principal, exam, number, person, direction, room.strip() or None,
                                seat.strip() or None)

    def said(result: dict) -> str:
        if direction == "in":
            return _("%(name)s checked in at %(time)s.") % {
                "name": name, "time": shown_time(request, result["sign_in"], with_date=False)}
        if direction == "out":
            return _("%(name)s checked out at %(time)s.") % {
                "name": name, "time": shown_time(request, result["sign_out"], with_date=False)}
        return _("%(name)s is placed.") % {"name": name}

    return act(request, back, apply, said)


@router.post("/{exam}/{number}/devices")
def hand_device(request: Request, exam: str, number: int, principal: ExamSupervise, person: Text, device_id: Text = "",
                replaces: Text = "", filter_room: Text = ""):
    """Record a device handed to a candidate, or one replacing a device that failed."""
    back = back_to(f"/ui/supervision/{exam}/{number}", filter_room, "/attendance")
    return act(request, back, lambda: supervision_of(request).hand_device(principal, exam, number, person, device_id,
                                                                          replaces or None),
               _("Device %(id)s handed to %(name)s.") % {"id": device_id.strip(),
                                                         "name": display_name(request, person)})


@router.post("/{exam}/{number}/incidents")
def report(request: Request, exam: str, number: int, principal: ExamSupervise, description: Text = "",
           candidate: Text = "", filter_room: Text = ""):
    """Report an incident, about a candidate or the room."""
    back = back_to(f"/ui/supervision/{exam}/{number}", filter_room, "/attendance")
    return act(request, back, lambda: supervision_of(request).report(principal, exam, number, description,
                                                                     candidate or None),
               _("Incident reported."))


# --- the ECOS examiner's sheet ---------------------------------------------------------------------------------
@router.get("/{exam}/{number}/ecos")
def ecos_page(request: Request, exam: str, number: int, principal: ExamSupervise, station: str = "", room: str = ""):
    """An ECOS station's checklist and global rating for each candidate (of a room), saved one candidate at a time."""
    supervision = supervision_of(request)
    sheet = supervision.station_sheet(principal, exam, number, station or None, room or None)
    for n, r in enumerate(sheet["candidates"], 1):
        r["key"], r["n"] = person_key(r["person"]), n
    return render(request, principal, "supervision/ecos.html",
                  title=_("ECOS examiner: %(title)s") % {"title": sheet["title"]}, sheet=sheet, room=room,
                  base=f"/ui/supervision/{exam}/{number}")


@router.post("/{exam}/{number}/ecos")
async def ecos_save(request: Request, exam: str, number: int, principal: ExamSupervise, person: Text, station: Text,
                    seq: Text, checks: Many = None, rating: Text = "", filter_room: Text = ""):
    """Save one candidate's ticks and global rating (a resubmitted form keeps its sequence number: nothing twice)."""
    supervision = supervision_of(request)
    back = f"/ui/supervision/{exam}/{number}/ecos?" + urlencode(
        {k: v for k, v in (("station", station), ("room", filter_room)) if v})
    name = display_name(request, person)
    try:
        supervision.examiner_check(principal, exam, number)
        answer = AnswerIn(station, int(seq) if seq.isdigit() else -1, value=rating or None, checks=tuple(checks or ()))
        (outcome,) = await request.app.state.taking.save(principal, exam, number, [answer], examiner_for=person)
    except (TakingNotFound, SupervisionForbidden):
        raise
    except TakingError as exc:
        return redirect(request, back, str(exc), "error")
    if outcome.status == REFUSED:
        return redirect(request, back, _("Nothing was saved for %(name)s: %(reason)s") % {
            "name": name, "reason": outcome.reason}, "error")
    if outcome.status == SUPERSEDED:
        return redirect(request, back, _("Nothing was saved for %(name)s: another examiner saved a newer sheet; "
                                         "here it is.") % {"name": name}, "error")
    return redirect(request, back, _("Sheet of %(name)s saved.") % {"name": name})
