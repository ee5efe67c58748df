"""EXAMEN pages: « Mes épreuves » (open now, to come), the taking page, the hand-in confirmation.

The taking page is rendered from the session the taking service opens (the candidate's order, their answers,
their deadline); its script (`web/static/exam.js`) saves each change through the JSON API
(`PUT /taking/{exam}/{number}/answers/{question}`), keeps unsent saves in IndexedDB and sends them as one batch
when the network returns; a service worker served from `/ui/exam/sw.js` keeps the page and its assets. Starting,
the next step of a dossier, incidents and the hand-in are plain forms over the same service.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from api.csrf import check_page_request
from api.pages.i18n import _, current, ngettext
from api.pages.render import done, redirect, render
from api.security import ExamTake, Principal, Public
from services.exams.rdf import person_key
from services.taking.service import Taking, TakingError, TakingNotFound
from store.paths import WEB_DIR

router = APIRouter(prefix="/ui/exam", dependencies=[Depends(check_page_request)], include_in_schema=False)
Text = Annotated[str, Form()]
CHOICES = ("QRU", "QRM", "QRP", "QRM_LONG", "QRP_LONG")
SERVICE_WORKER = WEB_DIR / "static" / "exam-sw.js"


def taking_of(request: Request) -> Taking:
    """The app's taking service."""
    return request.app.state.taking


def parse_time(text: str | None) -> dt.datetime | None:
    """An xsd:dateTime text (UTC) as an aware datetime."""
    if not text:
        return None
    value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def shown_time(request: Request, moment: dt.datetime | str | None, with_date: bool = True) -> str:
    """A moment in the platform's time zone, as people read it (10/03/2031 09:00)."""
    if isinstance(moment, str):
        moment = parse_time(moment)
    if moment is None:
        return ""
    local = moment.astimezone(ZoneInfo(request.app.state.platform.settings.timezone))
    if not with_date:
        return local.strftime("%H:%M:%S")
    return local.strftime("%d/%m/%Y %H:%M" if current().locale == "fr" else "%Y-%m-%d %H:%M")


def media_url(request: Request, iri: str | None) -> str | None:
    """The address a picture of the platform is served at (GET /media/{digest}); None for anything else."""
    prefix = request.app.state.platform.settings.base_iri.rstrip("/") + "/media/"
    if iri and iri.startswith(prefix) and re.fullmatch(r"[0-9a-f]{16,128}", iri[len(prefix):]):
        return "/media/" + iri[len(prefix):]
    return None


def dom_key(key: str) -> str:
    """A question key as part of an HTML id ("8.2" → "8-2")."""
    return re.sub(r"[^A-Za-z0-9_-]", "-", key)


def answered(answer: dict | None) -> bool:
    """Whether a saved answer holds a value (a marker or notes alone are not an answer)."""
    if not answer:
        return False
    return any(answer.get(k) not in (None, "", []) for k in ("options", "value", "text", "number", "x", "pairs"))


def candidate_snapshot(request: Request, principal: Principal, exam: str, number: int):
    """The épreuve if the caller is one of its candidates (404 otherwise: its existence is not revealed)."""
    snapshot = taking_of(request).snapshot(exam, number)
    if principal.person is None or principal.person not in snapshot.candidates:
        raise TakingNotFound(f"you are not a candidate of épreuve {exam}-{number}")
    return snapshot


def texts() -> dict[str, str]:
    """The words the page's script shows, in the request's language ({n}, {q}, {reason}, {status} are filled in
    by it)."""
    offline = [ngettext("Offline, %(num)s answer waiting", "Offline, %(num)s answers waiting", n)
               .replace("%(num)s", "{n}") for n in (1, 2)]
    sending = [ngettext("Sending %(num)s answer…", "Sending %(num)s answers…", n).replace("%(num)s", "{n}")
               for n in (1, 2)]
    return {"saved": _("Saved"), "saving": _("Saving…"), "offline_one": offline[0], "offline_many": offline[1],
            "sending_one": sending[0], "sending_many": sending[1],
            "refused": _("Not saved ({q}): {reason}"),
            "failed": _("The server did not take your answers ({status}): they wait on this device."),
            "blocked": _("You are offline: your answers waiting must reach the server first. Wait for the "
                         "network, then try again."),
            "time_up": _("Time is up"), "time_up_long": _("Time is up: your answers can no longer change.")}


def scale_order(values: list[dict]) -> list[dict]:
    """A TCS scale from its lowest value to its highest when every label starts with its value (« -2 : … »,
    « +1 : … »), as candidates read it; as given otherwise."""
    numbers = [re.match(r"^\s*([+\-−]?\d+)", v["label"]) for v in values]
    if not all(numbers):
        return values
    return [v for _n, v in sorted(zip((int(m[1].replace("−", "-")) for m in numbers), values, strict=True),
                                  key=lambda pair: pair[0])]


def decorate(request: Request, view: dict) -> list[dict]:
    """The session's slots as the page shows them: each question with its label in the candidate's numbering,
    its HTML id, its picture's address, whether it is locked, and the candidate's answer."""
    for slot in view["content"]:
        questions = slot["questions"]
        for i, q in enumerate(questions, 1):
            q["dom"] = dom_key(q["key"])
            q["label"] = (_("Question %(n)s") % {"n": slot["number"]}
                          if len(questions) == 1 and not slot["progressive"]
                          else _("Question %(n)s.%(i)s") % {"n": slot["number"], "i": i})
            q["picture"] = media_url(request, q.get("image"))
            q["locked"] = q["key"] in view["locked"]
            q["answer"] = view["answers"].get(q["key"], {})
            q["pairs_by_left"] = {left: right for left, right in q["answer"].get("pairs") or []}
            q["choice"] = q["type"] in CHOICES
            if q.get("scale"):
                q["scale"] = scale_order(q["scale"])
        slot["more_steps"] = slot["progressive"] and len(questions) < slot["steps"]
    return view["content"]


def script_config(principal: Principal, view: dict) -> dict:
    """What the page's script needs: where to save, whose saves it keeps, the clock, its words."""
    return {"exam": view["exam"], "number": view["number"],
            "scope": f"{person_key(principal.person)}|{view['exam']}|{view['number']}",
            "deadline": view["deadline"], "server_time": view["server_time"], "submitted": view["submitted"],
            "locale": current().locale, "texts": texts()}


# --- « Mes épreuves » ---------------------------------------------------------------------------------
@router.get("")
def my_epreuves(request: Request, principal: ExamTake):
    """The épreuves one is a candidate of: open now, to come, ended."""
    taking = taking_of(request)
    now = taking.clock()
    groups: dict[str, list[dict]] = {"open": [], "coming": [], "ended": []}
    for e in taking.my_epreuves(principal):
        start, deadline = parse_time(e["start"]), parse_time(e["deadline"])
        row = {**e, "start_text": shown_time(request, start), "deadline_text": shown_time(request, deadline),
               "href": f"/ui/exam/{e['exam']}/{e['number']}"}
        if e["open"] or (e["started"] and not e["submitted"] and deadline and now <= deadline):
            groups["open"].append(row)
        elif start and now < start:
            groups["coming"].append(row)
        else:
            groups["ended"].append(row)
    return render(request, principal, "exam/list.html", title=_("My épreuves"), groups=groups)


# --- the service worker ---------------------------------------------------------------------------------
@router.get("/sw.js")
def service_worker(_caller: Public):
    """The service worker of the taking pages (its scope is /ui/exam/): the page and its assets offline."""
    return Response(SERVICE_WORKER.read_text(encoding="utf-8"), media_type="text/javascript",
                    headers={"Service-Worker-Allowed": "/ui/exam/", "Cache-Control": "no-cache"})


# --- taking ----------------------------------------------------------------------------------------------
@router.get("/{exam}/{number}")
def take_page(request: Request, exam: str, number: int, principal: ExamTake):
    """The épreuve: the start page before the session exists, else the questions in the candidate's order."""
    taking = taking_of(request)
    snapshot = candidate_snapshot(request, principal, exam, number)
    person = principal.person
    base = f"/ui/exam/{exam}/{number}"
    if taking.sessions(exam, number).get(person) is None:
        now = taking.clock()
        problem = snapshot.window_problem(person, now)
        return render(request, principal, "exam/start.html", title=snapshot.title, snapshot=snapshot, base=base,
                      problem=problem, start_text=shown_time(request, snapshot.start),
                      deadline_text=shown_time(request, snapshot.deadline(person)),
                      minutes=snapshot.duration_minutes + snapshot.extra_time.get(person, 0),
                      opens_later=bool(snapshot.start and now < snapshot.start))
    view = taking.open_session(principal, exam, number)
    server_time, deadline = parse_time(view["server_time"]), parse_time(view["deadline"])
    slots = decorate(request, view)
    config = script_config(principal, view)
    time_up = bool(deadline and server_time and server_time >= deadline)
    return render(request, principal, "exam/take.html", title=view["title"], view=view, slots=slots,
                  base=base, config=config, time_up=time_up, deadline_text=shown_time(request, deadline),
                  submitted_text=shown_time(request, view["submitted"]))


@router.post("/{exam}/{number}/session")
def start(request: Request, exam: str, number: int, principal: ExamTake):
    """Open one's session (inside the window) and go to the questions."""
    try:
        taking_of(request).open_session(principal, exam, number)
    except TakingNotFound:
        raise
    except TakingError as exc:
        return redirect(request, f"/ui/exam/{exam}/{number}", str(exc), "error")
    return redirect(request, f"/ui/exam/{exam}/{number}")


@router.post("/{exam}/{number}/steps/{position}/next")
def next_step(request: Request, exam: str, number: int, position: int, principal: ExamTake):
    """Reveal the next step of a progressive dossier (the steps before it lock)."""
    back = f"/ui/exam/{exam}/{number}"
    try:
        view = taking_of(request).reveal_next(principal, exam, number, position)
    except TakingNotFound:
        raise
    except TakingError as exc:
        return redirect(request, back, str(exc), "error")
    shown = next((s for s in view["content"] if s["position"] == position), None)
    anchor = f"#q-{dom_key(shown['questions'][-1]['key'])}" if shown and shown["questions"] else ""
    return redirect(request, back + anchor, _("Next step shown: the steps before it are locked."))


@router.post("/{exam}/{number}/incidents")
def report_incident(request: Request, exam: str, number: int, principal: ExamTake, description: Text = ""):
    """Tell the supervisors about an incident."""
    back = f"/ui/exam/{exam}/{number}"
    try:
        taking_of(request).report_incident(principal, exam, number, description)
    except TakingNotFound:
        raise
    except TakingError as exc:
        return done(request, principal, back, str(exc), "error", template="exam/_incident.html", base=back,
                    description=description)
    return done(request, principal, back, _("Your report was sent to the supervisors."),
                template="exam/_incident.html", base=back, description="")


@router.get("/{exam}/{number}/submit")
def confirm_submit(request: Request, exam: str, number: int, principal: ExamTake):
    """Before handing in: how many questions are answered, which are marked « to review »."""
    taking = taking_of(request)
    candidate_snapshot(request, principal, exam, number)
    if taking.sessions(exam, number).get(principal.person) is None:
        return redirect(request, f"/ui/exam/{exam}/{number}")
    view = taking.open_session(principal, exam, number)
    questions = [q for slot in decorate(request, view) for q in slot["questions"]]
    marked = [q for q in questions if q["answer"].get("marker")]
    done_count = sum(1 for q in questions if answered(q["answer"]))
    base = f"/ui/exam/{exam}/{number}"
    config = script_config(principal, view)
    return render(request, principal, "exam/submit.html", title=_("Hand in my copy"), view=view, base=base,
                  total=len(questions), answered=done_count, marked=marked, config=config,
                  submitted_text=shown_time(request, view["submitted"]))


@router.post("/{exam}/{number}/submit")
def submit(request: Request, exam: str, number: int, principal: ExamTake):
    """Hand the copy in: no change is accepted afterwards."""
    try:
        outcome = taking_of(request).submit(principal, exam, number)
    except TakingNotFound:
        raise
    except TakingError as exc:
        return redirect(request, f"/ui/exam/{exam}/{number}", str(exc), "error")
    return redirect(request, "/ui/exam", ngettext(
        "Your copy was handed in at %(time)s with %(num)s answer.",
        "Your copy was handed in at %(time)s with %(num)s answers.", outcome["answers"])
        % {"time": shown_time(request, outcome["submitted"], with_date=False), "num": outcome["answers"]})
