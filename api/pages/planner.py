"""PLANIFICATEUR pages: « Gestion des examens » (the exam list; an exam and its épreuves: settings and display
options, items picked from a STUDIO search with their coefficients, registrations and extra time, candidates,
statuses), the printable bon à tirer, the calendar by day or week (with its iCalendar file) and « Statistiques
d'usage », over the planner services the API calls (`app.state.planner`, `planner_documents`, `usage`).

Forms are plain posts answered by a redirect back with a message, so every page works without JavaScript; htmx
boosts them and runs the item search as one types. A rule's refusal (422) or a started épreuve (409) is that
message, in words, and nothing is written.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal
from urllib.parse import urlencode

from babel.dates import format_date, format_datetime
from fastapi import APIRouter, Depends, Form, Query, Request
from markupsafe import Markup
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from api.csrf import check_page_request
from api.pages.cockpit import organisations, person_iri
from api.pages.i18n import N_, _, current
from api.pages.render import display_name, fragment, is_htmx, redirect, render
from api.security import PlannerManage, PlannerRead, Principal
from services.access.model import EXAM_STAFF, PLANNING
from services.cockpit.model import CockpitError
from services.exams.model import DISPLAY_FLAGS, Exam
from services.lists.repository import OFFICIEL
from services.planner.errors import PlannerError
from services.planner.inputs import (
    EpreuveChange, EpreuveInput, ExamChange, ExamInput, ExtraTimeInput, Registrations, SlotInput,
)
from services.planner.rules import TRANSITIONS

router = APIRouter(prefix="/ui/planner", dependencies=[Depends(check_page_request)], include_in_schema=False)
Text = Annotated[str, Form()]

STATUS_NAMES = {"draft": N_("Draft"), "ready": N_("Ready"), "running": N_("Running"), "finished": N_("Finished"),
                "archived": N_("Archived")}
MOVES = {"ready": N_("Make it ready"), "draft": N_("Back to draft"), "running": N_("Start it now"),
         "finished": N_("Mark it finished"), "archived": N_("Archive it")}
MOVED = {"ready": N_("The épreuve is ready."), "draft": N_("The épreuve is a draft again."),
         "running": N_("The épreuve is running: its candidates are frozen."),
         "finished": N_("The épreuve is finished."), "archived": N_("The épreuve is archived.")}
CHANGED = N_("The status was changed.")
METHODS = {"edn-2023": N_("EDN 2023 (R2C docimology)"), "sides-legacy": N_("Legacy SIDES table"),
           "tcs-aggregate": N_("TCS aggregated over the expert panel")}
DISPLAY_NAMES = {"shuffle_items": N_("Shuffle the items"), "shuffle_questions": N_("Shuffle the questions"),
                 "shuffle_options": N_("Shuffle the answer options"),
                 "show_item_coefficient": N_("Show the items' coefficients"),
                 "show_question_coefficient": N_("Show the questions' coefficients"),
                 "show_question_count": N_("Show the number of questions")}
ITEM_STATUS = {"Draft": N_("being written"), "ToReview": N_("to be reviewed"), "Validated": N_("validated")}
# Suggestions for the type of an épreuve (a free text: the seed's « Type d'évaluation »).
EPREUVE_TYPES = ("Épreuve facultaire", "Examen blanc", "Contrôle continu", "Rattrapage", "ECOS")
KINDS = ("QI", "SQI", "DP", "MDCP", "DL", "LCA", "KFP", "ECOS", "QRU", "QRM", "QRP", "QROC", "QROL", "TCS")
SEARCHED = 50  # items shown by one search of the item picker
USAGE_ROWS = 200


# --- shared helpers --------------------------------------------------------------------------------
def planner_of(request: Request):
    """The app's planner."""
    return request.app.state.planner


def documents_of(request: Request):
    """The app's planner views (lists, calendar, bon à tirer)."""
    return request.app.state.planner_documents


def tree_labels(request: Request) -> dict[str, str]:
    """Organisation names by IRI."""
    return request.app.state.access.directory.tree().labels


def when(value: str | dt.datetime | None, pattern: str = "EEE d MMM y, HH:mm") -> str:
    """A date and time as the reader's language writes it ("" when unset)."""
    if not value:
        return ""
    moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    return format_datetime(moment, pattern, locale=current().locale)


def day_text(value: dt.date) -> str:
    """A day written in full in the reader's language."""
    return format_date(value, "EEEE d MMMM y", locale=current().locale)


def hours(minutes: int | None) -> str:
    """A duration: 45 min, 2 h, 1 h 30."""
    if not minutes:
        return ""
    h, m = divmod(int(minutes), 60)
    return f"{m} min" if not h else f"{h} h" + (f" {m:02d}" if m else "")


def parse_day(text: str | None) -> dt.date | None:
    """A day typed in a filter (YYYY-MM-DD), None when empty or unreadable."""
    try:
        return dt.date.fromisoformat(text.strip()) if text and text.strip() else None
    except ValueError:
        return None


def refusal(exc: Exception) -> str:
    """A refusal of the planner (or of a bad field) in words: nothing was written."""
    if isinstance(exc, ValidationError):
        reasons = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
    else:
        reasons = str(exc)
    return _("Nothing was saved: %(reason)s") % {"reason": reasons}


def attempt(request: Request, back: str, action, success: str, then: str | None = None):
    """Do a planner action and go back with its outcome in words (the rule's reason when it refuses)."""
    try:
        action()
    except (PlannerError, CockpitError, ValidationError, ValueError) as exc:
        return redirect(request, back, refusal(exc), "error")
    return redirect(request, then or back, success)


def exam_url(key: str) -> str:
    return f"/ui/planner/exams/{key}"


def epreuve_url(key: str, number: int, tab: str = "") -> str:
    return f"/ui/planner/exams/{key}/epreuves/{number}" + (f"/{tab}" if tab else "")


def status_name(status: str) -> str:
    """A status in words."""
    return _(STATUS_NAMES.get(status, status))


def common(request: Request) -> dict:
    """What every planner template may use."""
    return {"when": when, "hours": hours, "status_name": status_name, "exam_url": exam_url,
            "epreuve_url": epreuve_url, "labels": tree_labels(request)}


def may_manage_exam(request: Request, principal: Principal, key: str, owner: str | None) -> bool:
    """Whether the caller may change an exam of the list (its owner decides)."""
    planner = planner_of(request)
    if owner is None:
        exam = planner.exam_or_none(key)
        return exam is not None and planner.may_manage(principal, exam)
    return planner.may_manage(principal, Exam(key, planner.names.exam(key), "", [], owner))


def universities(request: Request) -> list[tuple[str, str]]:
    """Every university of the platform, by name."""
    tree = request.app.state.access.directory.tree()
    return sorted(((o, tree.labels.get(o, o)) for o, kind in tree.kinds.items() if kind == "University"),
                  key=lambda o: o[1])


def local_start(day: str, time: str) -> dt.datetime | None:
    """The start an office typed (a day and a time in the platform's time zone); None without a day."""
    day, time = day.strip(), time.strip()
    if not day:
        return None
    try:
        return dt.datetime.combine(dt.date.fromisoformat(day), dt.time.fromisoformat(time or "09:00"))
    except ValueError:
        raise PlannerError(f"start: {day} {time} is not a date (YYYY-MM-DD) and a time (HH:MM)") from None


def display_of(form) -> dict[str, bool]:
    """The display options ticked in a form."""
    return {name: form.get(name) == "on" for name in DISPLAY_FLAGS}


def epreuve_fields(form) -> dict:
    """An épreuve's settings as a form sends them."""
    minutes = (form.get("duration") or "").strip()
    if not minutes.isdigit():
        raise PlannerError(f"duration: {minutes or 'nothing'} is not a number of minutes")
    return {"title": (form.get("epreuve_title") or "").strip(), "type": (form.get("type") or "").strip()
            or "Épreuve facultaire", "start": local_start(form.get("day") or "", form.get("time") or ""),
            "duration_minutes": int(minutes), "grading_method": form.get("grading_method") or "edn-2023",
            "display": display_of(form)}


def epreuve_form(epreuve: dict | None = None) -> dict:
    """The values an épreuve's form shows (a new one's defaults when none)."""
    if epreuve is None:
        return {"epreuve_title": "", "type": "Épreuve facultaire", "day": "", "time": "09:00", "duration": "120",
                "grading_method": "edn-2023", "display": {n: n == "show_question_count" for n in DISPLAY_FLAGS}}
    start = epreuve.get("start") or ""
    return {"epreuve_title": epreuve["title"], "type": epreuve["type"], "day": start[:10], "time": start[11:16],
            "duration": str(epreuve["duration_minutes"]), "grading_method": epreuve["grading_method"] or "edn-2023",
            "display": epreuve["display"]}


def epreuve_choices() -> dict:
    """The choices an épreuve's form offers (translated)."""
    return {"methods": [(k, _(v)) for k, v in METHODS.items()],
            "display_names": [(k, _(v)) for k, v in DISPLAY_NAMES.items()], "epreuve_types": EPREUVE_TYPES}


# --- « Gestion des examens »: the list -------------------------------------------------------------
@router.get("")
def planner_home(request: Request, principal: PlannerRead):
    """The planner opens on the exam list."""
    return redirect(request, "/ui/planner/exams")


@router.get("/exams")
def exams_page(request: Request, principal: PlannerRead, organisation: str = "", status: str = "",
               start: Annotated[str, Query(alias="from")] = "", end: Annotated[str, Query(alias="to")] = ""):
    """The exams the caller may read, one row per épreuve (exam, épreuve, type, dates, duration, status), with
    the actions modify, show, print, download and delete."""
    rows = documents_of(request).listing(principal, organisation or None,
                                         status if status in STATUS_NAMES else None, parse_day(start), parse_day(end))
    manages: dict[str, bool] = {}
    for row in rows:
        if row["exam"] not in manages:
            manages[row["exam"]] = may_manage_exam(request, principal, row["exam"], row["owner"])
        row["may_manage"] = manages[row["exam"]]
    planner_ = request.app.state.access.policy.allows(principal, "planner:manage")
    return render(request, principal, "planner/exams.html", title=_("Exam management"), rows=rows,
                  organisation=organisation, chosen_status=status, start=start, end=end,
                  places=organisations(request, principal, EXAM_STAFF),
                  statuses=[(k, _(v)) for k, v in STATUS_NAMES.items()], may_plan=planner_, **common(request))


# --- a new exam -------------------------------------------------------------------------------------
def new_exam_page(request: Request, principal: Principal, values: dict | None = None, flash: dict | None = None):
    """The form of a new exam with its first épreuve."""
    places = organisations(request, principal, PLANNING)
    tree = request.app.state.access.directory.tree()
    if values is None:
        owner = places[0][0] if places else ""
        values = {"title": "", "short_name": "", "identifier": "", "owner": owner,
                  "universities": [o for o in tree.ancestors(owner) if tree.kinds.get(o) == "University"][:1]
                  if owner else [], "offers": [], **epreuve_form()}
    return render(request, principal, "planner/new.html", title=_("New exam"), values=values, places=places,
                  universities=universities(request), offers=planner_of(request).offer_choices(principal),
                  flash=flash, **epreuve_choices(), **common(request))


@router.get("/exams/new")
def new_exam(request: Request, principal: PlannerManage):
    """Create an exam: its information and its first épreuve."""
    return new_exam_page(request, principal)


@router.post("/exams")
async def create_exam(request: Request, principal: PlannerManage, title: Text):
    """Create the exam; a refusal shows the form again, as filled, with the reason."""
    form = await request.form()
    values = {"title": title, "short_name": form.get("short_name") or "", "identifier": form.get("identifier") or "",
              "owner": form.get("owner") or "", "universities": form.getlist("universities"),
              "offers": form.getlist("offers"), "epreuve_title": form.get("epreuve_title") or "",
              "type": form.get("type") or "", "day": form.get("day") or "", "time": form.get("time") or "",
              "duration": form.get("duration") or "", "grading_method": form.get("grading_method") or "",
              "display": display_of(form)}

    def create():
        epreuve = EpreuveInput(**epreuve_fields(form))
        data = ExamInput(title=title, short_name=values["short_name"] or None,
                         identifier=values["identifier"] or None, owner=values["owner"] or None,
                         universities=values["universities"], offers=values["offers"], epreuves=[epreuve])
        return planner_of(request).create(principal, data)

    try:
        exam = await run_in_threadpool(create)
    except (PlannerError, ValidationError) as exc:
        return await run_in_threadpool(new_exam_page, request, principal, values,
                                       {"kind": "error", "text": refusal(exc)})
    return redirect(request, exam_url(exam.key), _("Exam « %(title)s » created.") % {"title": exam.title})


# --- an exam ----------------------------------------------------------------------------------------
@router.get("/exams/{key}")
def exam_page(request: Request, key: str, principal: PlannerRead):
    """An exam: its information (changed here by those who plan it), its épreuves, a new épreuve, downloads."""
    planner = planner_of(request)
    exam = documents_of(request).exam_detail(principal, key)
    found = planner.exam(principal, key)
    manages = planner.may_manage(principal, found)
    offers = planner.offer_choices(principal)
    known = {o["iri"] for o in offers}
    offers += [{"iri": o, "label": o.rsplit("/", 1)[-1], "component": "", "period": None}
               for o in exam["offers"] if o not in known]
    return render(request, principal, "planner/exam.html", title=exam["title"], exam=exam, manages=manages,
                  started=any(planner.started(e) for e in found.epreuves),
                  universities=universities(request), offers=offers,
                  values=epreuve_form(), **epreuve_choices(), **common(request))


@router.post("/exams/{key}")
async def change_exam(request: Request, key: str, principal: PlannerManage, title: Text):
    """Change an exam's name, short name, identifier, universities and formations."""
    form = await request.form()

    def change():
        planner = planner_of(request)
        exam = planner.exam(principal, key, manage=True)
        scope = {}
        if form.get("scope") == "on":  # the form showed the universities and formations
            wanted, offers = form.getlist("universities"), form.getlist("offers")
            if set(wanted) != set(exam.universities) or set(offers) != set(exam.offers):
                scope = {"universities": wanted, "offers": offers}
        planner.change(principal, key, ExamChange(title=title, short_name=form.get("short_name") or None,
                                                  identifier=(form.get("identifier") or "").strip() or None, **scope))

    return await run_in_threadpool(attempt, request, exam_url(key), change, _("The exam was saved."))


@router.get("/exams/{key}/delete")
def delete_exam_page(request: Request, key: str, principal: PlannerManage):
    """Ask before deleting an exam."""
    exam = planner_of(request).exam(principal, key, manage=True)
    return render(request, principal, "planner/delete.html", title=_("Delete %(title)s") % {"title": exam.title},
                  exam=exam, **common(request))


@router.post("/exams/{key}/delete")
def delete_exam(request: Request, key: str, principal: PlannerManage):
    """Delete an exam none of whose épreuves started (refused in words otherwise)."""
    exam = planner_of(request).exam(principal, key, manage=True)
    return attempt(request, exam_url(key), lambda: planner_of(request).delete(principal, key),
                   _("Exam « %(title)s » deleted.") % {"title": exam.title}, then="/ui/planner/exams")


@router.post("/exams/{key}/epreuves")
async def add_epreuve(request: Request, key: str, principal: PlannerManage):
    """Add an épreuve (a draft) to an exam."""
    form = await request.form()
    try:
        epreuve = await run_in_threadpool(lambda: planner_of(request).add_epreuve(
            principal, key, EpreuveInput(**epreuve_fields(form))))
    except (PlannerError, ValidationError) as exc:
        return redirect(request, exam_url(key), refusal(exc), "error")
    return redirect(request, epreuve_url(key, epreuve.number),
                    _("Épreuve %(n)s added: link its items and register its candidates.") % {"n": epreuve.number})


# --- an épreuve -------------------------------------------------------------------------------------
TABS = (("", N_("Settings")), ("items", N_("Items")), ("registrations", N_("Registrations")),
        ("candidates", N_("Candidates")), ("bat", N_("Bon à tirer")))


def epreuve_context(request: Request, principal: Principal, key: str, number: int, tab: str) -> dict:
    """What every tab of an épreuve shows: the exam, the épreuve, whether the caller may change it."""
    planner = planner_of(request)
    exam, epreuve = planner.epreuve(principal, key, number)
    detail = documents_of(request).exam_detail(principal, key)
    view = next(e for e in detail["epreuves"] if e["number"] == number)
    manages = planner.may_manage(principal, exam)
    started = planner.started(epreuve)
    return {"exam": detail, "epreuve": view, "manages": manages, "started": started,
            "editable": manages and not started, "tab": tab,
            "tabs": [(t, _(label), epreuve_url(key, number, t)) for t, label in TABS], **common(request)}


@router.get("/exams/{key}/epreuves/{number}")
def epreuve_page(request: Request, key: str, number: int, principal: PlannerRead):
    """An épreuve's settings (name, type, date, duration, grading method, display options) and status."""
    ctx = epreuve_context(request, principal, key, number, "")
    epreuve = ctx["epreuve"]
    moves = [(s, _(MOVES[s])) for s in sorted(TRANSITIONS.get(epreuve["status"], ()),
                                              key=lambda s: list(STATUS_NAMES).index(s))]
    start = dt.datetime.fromisoformat(epreuve["start"]) if epreuve["start"] else None
    week = (start.date() - dt.timedelta(days=start.weekday())).isoformat() if start else None
    return render(request, principal, "planner/epreuve.html",
                  title=f"{epreuve['title']} — {ctx['exam']['title']}", moves=moves, week=week,
                  values=epreuve_form(epreuve), **epreuve_choices(), **ctx)


@router.post("/exams/{key}/epreuves/{number}")
async def change_epreuve(request: Request, key: str, number: int, principal: PlannerManage):
    """Change an épreuve's settings (a ready one is checked again)."""
    form = await request.form()
    return await run_in_threadpool(
        attempt, request, epreuve_url(key, number),
        lambda: planner_of(request).change_epreuve(principal, key, number, EpreuveChange(**epreuve_fields(form))),
        _("The épreuve was saved."))


@router.post("/exams/{key}/epreuves/{number}/status")
def epreuve_status(request: Request, key: str, number: int, principal: PlannerManage, status: Text):
    """Move an épreuve to another status; the rules' refusal is shown in words."""
    return attempt(request, epreuve_url(key, number),
                   lambda: planner_of(request).set_status(principal, key, number, status),
                   _(MOVED.get(status, CHANGED)))


@router.post("/exams/{key}/epreuves/{number}/delete")
def delete_epreuve(request: Request, key: str, number: int, principal: PlannerManage):
    """Remove an épreuve that has not started (an exam keeps one at least)."""
    return attempt(request, epreuve_url(key, number),
                   lambda: planner_of(request).delete_epreuve(principal, key, number),
                   _("Épreuve %(n)s removed.") % {"n": number}, then=exam_url(key))


# --- linked items -----------------------------------------------------------------------------------
def search_items(request: Request, principal: Principal, key: str, q: str, kind: str) -> tuple[list[dict], str]:
    """The items the exam may link that match the search, and the reason when the search was refused."""
    try:
        found = planner_of(request).linkable_items(principal, key, q or None, kind or None, SEARCHED)
    except PlannerError as exc:
        return [], str(exc)
    for item in found:
        state = item["status"]
        item["status_text"] = _(ITEM_STATUS[state]) if state in ITEM_STATUS else ""
    return found, ""


@router.get("/exams/{key}/epreuves/{number}/items")
def items_page(request: Request, key: str, number: int, principal: PlannerRead, q: str = "", kind: str = ""):
    """The épreuve's items in order with their coefficients, and the search of the items it may link."""
    ctx = epreuve_context(request, principal, key, number, "items")
    found, problem = search_items(request, principal, key, q, kind) if ctx["editable"] else ([], "")
    linked = {s["item_id"] for s in ctx["epreuve"]["slots"]}
    return render(request, principal, "planner/items.html", title=f"{_('Items')} — {ctx['epreuve']['title']}",
                  found=found, problem=problem, linked=linked, q=q, kind=kind, kinds=KINDS, **ctx)


@router.get("/exams/{key}/epreuves/{number}/items/search")
def items_search(request: Request, key: str, number: int, principal: PlannerManage, q: str = "", kind: str = ""):
    """The search results alone (htmx swaps them in as one types); the whole page otherwise."""
    if not is_htmx(request):
        return redirect(request, epreuve_url(key, number, "items") + "?" + urlencode({"q": q, "kind": kind}))
    _exam, epreuve = planner_of(request).epreuve(principal, key, number)
    found, problem = search_items(request, principal, key, q, kind)
    return fragment(request, principal, "planner/_found.html", found=found, problem=problem,
                    linked={s.item_id for s in epreuve.slots}, exam={"key": key}, epreuve={"number": number},
                    q=q, kind=kind, **common(request))


def slots_of(epreuve) -> list[SlotInput]:
    """The épreuve's links as they are (each item keeps its planned version)."""
    return [SlotInput(item=s.item, coefficient=s.coefficient) for s in epreuve.slots]


def coefficient(text: str | None) -> float:
    """A coefficient typed in a form (a decimal comma is read too)."""
    try:
        return float((text or "1").strip().replace(",", "."))
    except ValueError:
        raise PlannerError(f"coefficient: {text!r} is not a number") from None


@router.post("/exams/{key}/epreuves/{number}/items")
async def save_items(request: Request, key: str, number: int, principal: PlannerManage):
    """The whole list of links as the form shows it: coefficients, moves up and down, removals, and the items
    whose current content is taken (a new published version)."""
    form = await request.form()
    action = form.get("action") or "save"

    def save():
        items = form.getlist("item")
        coefficients = form.getlist("coefficient")
        if len(items) != len(coefficients):
            raise PlannerError("slots: each linked item needs its coefficient")
        update = set(form.getlist("update"))
        slots = [SlotInput(item=i, coefficient=coefficient(c), update_version=i in update)
                 for i, c in zip(items, coefficients)]
        verb, _sep, where = action.partition(":")
        if verb in ("up", "down", "remove"):
            position = int(where)
            if not 0 <= position < len(slots):
                raise PlannerError(f"slots: there is no item {position + 1}")
            if verb == "remove":
                slots.pop(position)
            else:
                other = position - 1 if verb == "up" else position + 1
                if 0 <= other < len(slots):
                    slots[position], slots[other] = slots[other], slots[position]
        planner_of(request).link(principal, key, number, slots)

    message = {"remove": _("The item was removed from the épreuve."), "up": _("The items were reordered."),
               "down": _("The items were reordered.")}.get(action.partition(":")[0], _("The linked items were saved."))
    return await run_in_threadpool(attempt, request, epreuve_url(key, number, "items"), save, message)


@router.post("/exams/{key}/epreuves/{number}/items/add")
def add_item(request: Request, key: str, number: int, principal: PlannerManage, item: Text, weight: Text = "1",
             q: Text = "", kind: Text = ""):
    """Link one more item at the end (published now: later edits of the item never reach the épreuve)."""
    planner = planner_of(request)
    back = epreuve_url(key, number, "items") + (f"?{urlencode({'q': q, 'kind': kind})}" if q or kind else "")

    def add():
        _exam, epreuve = planner.epreuve(principal, key, number, manage=True)
        planner.link(principal, key, number, [*slots_of(epreuve), SlotInput(item=item.strip(),
                                                                            coefficient=coefficient(weight))])

    return attempt(request, back, add, _("Item %(item)s linked.") % {"item": item.strip()})


# --- registrations, extra time, candidates ----------------------------------------------------------------
def person_lines(request: Request, text: str) -> list[str]:
    """The people a text area names, one a line (id, IRI or verified e-mail address)."""
    return [person_iri(request, line) for line in (t.strip() for t in text.splitlines()) if line]


def keys_text(iris: list[str]) -> str:
    """People as a text area shows them: their keys, one a line."""
    return "\n".join(i.rsplit("/", 1)[-1] for i in iris)


@router.get("/exams/{key}/epreuves/{number}/registrations")
def registrations_page(request: Request, key: str, number: int, principal: PlannerRead):
    """The groups the exam may register, people added or excluded one by one, and extra time."""
    ctx = epreuve_context(request, principal, key, number, "registrations")
    groups = planner_of(request).registrable_groups(principal, key)
    registrations = ctx["epreuve"]["registrations"]
    known = {g["iri"] for g in groups}
    groups += [{"iri": g, "id": g.rsplit("/", 1)[-1], "name": g.rsplit("/", 1)[-1], "kind": "?", "members": None}
               for g in registrations["groups"] if g not in known]  # registered, no longer offered
    extra = [{"iri": e["candidate"], "key": e["candidate"].rsplit("/", 1)[-1],
              "name": display_name(request, e["candidate"]), "minutes": e["minutes"]}
             for e in ctx["epreuve"]["extra_time"]]
    return render(request, principal, "planner/registrations.html",
                  title=f"{_('Registrations')} — {ctx['epreuve']['title']}", groups=groups,
                  registered=set(registrations["groups"]), added=keys_text(registrations["added"]),
                  excluded=keys_text(registrations["excluded"]), extra=extra, **ctx)


@router.post("/exams/{key}/epreuves/{number}/registrations")
async def save_registrations(request: Request, key: str, number: int, principal: PlannerManage):
    """Register the ticked groups, and the people added or excluded one by one."""
    form = await request.form()

    def save():
        data = Registrations(groups=form.getlist("groups"), added=person_lines(request, form.get("added") or ""),
                             excluded=person_lines(request, form.get("excluded") or ""))
        planner_of(request).register(principal, key, number, data)

    return await run_in_threadpool(attempt, request, epreuve_url(key, number, "registrations"), save,
                                   _("The registrations were saved."))


@router.post("/exams/{key}/epreuves/{number}/extra-time")
async def save_extra_time(request: Request, key: str, number: int, principal: PlannerManage):
    """Set the extra time of candidates (tiers-temps): the rows kept, and one more."""
    form = await request.form()

    def save():
        rows = list(zip(form.getlist("candidate"), form.getlist("minutes")))
        if (form.get("new_candidate") or "").strip():
            rows.append((person_iri(request, form["new_candidate"]), form.get("new_minutes") or ""))
        extra = []
        for candidate, minutes in rows:
            minutes = minutes.strip()
            if minutes in ("", "0"):
                continue  # no more extra time
            if not minutes.isdigit():
                raise PlannerError(f"extra_time: {minutes!r} is not a number of minutes")
            extra.append(ExtraTimeInput(candidate=candidate, minutes=int(minutes)))
        planner_of(request).set_extra_time(principal, key, number, extra)

    return await run_in_threadpool(attempt, request, epreuve_url(key, number, "registrations"), save,
                                   _("The extra time was saved."))


@router.get("/exams/{key}/epreuves/{number}/candidates")
def candidates_page(request: Request, key: str, number: int, principal: PlannerRead):
    """The candidates: recomputed from the groups until the épreuve starts, then the frozen list."""
    ctx = epreuve_context(request, principal, key, number, "candidates")
    planner, documents = planner_of(request), documents_of(request)
    epreuve, found = planner.candidates(principal, key, number)
    listing = documents.candidates_json(epreuve, found)
    names = {g["iri"]: g["name"] for g in planner.registrable_groups(principal, key)}
    for c in listing["candidates"]:
        c["group_names"] = [names.get(g, g.rsplit("/", 1)[-1]) for g in c["groups"]]
    return render(request, principal, "planner/candidates.html",
                  title=f"{_('Candidates')} — {ctx['epreuve']['title']}", listing=listing, **ctx)


# --- the bon à tirer ---------------------------------------------------------------------------------
@router.get("/exams/{key}/epreuves/{number}/bat")
def bat_page(request: Request, key: str, number: int, principal: PlannerRead):
    """The bon à tirer inside the page (printing the page prints it alone), with its PDF and printable page."""
    ctx = epreuve_context(request, principal, key, number, "bat")
    body = documents_of(request).bat_body(principal, key, number)
    return render(request, principal, "planner/bat.html", title=f"{_('Bon à tirer')} — {ctx['epreuve']['title']}",
                  document=Markup(body), **ctx)


# --- the calendar ------------------------------------------------------------------------------------
@router.get("/calendar")
def calendar_page(request: Request, principal: PlannerRead, organisation: str = "",
                  view: Literal["day", "week"] = "week", start: Annotated[str, Query(alias="from")] = ""):
    """The épreuves by week (four weeks) or by day (one week), of an organisation, with the iCalendar file."""
    first = parse_day(start) or dt.date.today()
    if view == "week":
        first -= dt.timedelta(days=first.weekday())
    span = 28 if view == "week" else 7
    last = first + dt.timedelta(days=span - 1)
    found = documents_of(request).calendar(principal, first, last, organisation or None, view)
    periods = []
    for period in found["periods"]:
        if view == "week":
            monday = dt.date.fromisoformat(period["week"])
            heading = _("Week %(n)s, from %(day)s") % {"n": period["iso_week"], "day": day_text(monday)}
        else:
            heading = day_text(dt.date.fromisoformat(period["day"]))
        periods.append({"heading": heading, "epreuves": period["epreuves"]})

    def link(day: dt.date, other_view: str = view) -> str:
        return "/ui/planner/calendar?" + urlencode({"organisation": organisation, "view": other_view,
                                                    "from": day.isoformat()})

    ics = "/planner/calendar.ics" + (f"?{urlencode({'organisation': organisation})}" if organisation else "")
    return render(request, principal, "planner/calendar.html", title=_("Calendar of épreuves"), periods=periods,
                  count=found["count"], view=view, organisation=organisation, first=day_text(first),
                  last=day_text(last), start=first.isoformat(), ics=ics,
                  previous=link(first - dt.timedelta(days=span)), following=link(first + dt.timedelta(days=span)),
                  today=link(dt.date.today()), other=link(first, "day" if view == "week" else "week"),
                  places=organisations(request, principal, EXAM_STAFF), zone=found["time_zone"], **common(request))


# --- « Statistiques d'usage » -------------------------------------------------------------------------
def list_choices(request: Request, principal: Principal, key: str, roots_only: bool = False) -> list[tuple[str, str]]:
    """The entries of a list as the caller's organisation sees it (its roots only, for the référentiel)."""
    held = sorted(principal.organisations(EXAM_STAFF))
    level = held[0] if held else OFFICIEL
    try:
        entries = request.app.state.lists.effective(key, level).entries
    except ValueError:
        return []
    locale = current().locale
    return [(r.iri, (f"{r.entry.notation} — " if r.entry.notation and roots_only else "") + r.entry.label(locale))
            for r in entries if not r.hidden and (not roots_only or r.depth == 0)]


@router.get("/usage")
def usage_page(request: Request, principal: PlannerRead, specialty: str = "", entry: str = "",
               transversal: str = ""):
    """Find items by specialty, référentiel item and transversal knowledge: type, title, students who answered,
    success rate, épreuves that used them."""
    found = request.app.state.usage.search(principal, specialty or None, entry or None, transversal or None,
                                           USAGE_ROWS)
    return render(request, principal, "planner/usage.html", title=_("Usage statistics"), found=found,
                  specialty=specialty, entry=entry, transversal=transversal, limit=USAGE_ROWS,
                  specialties=list_choices(request, principal, "specialites"),
                  entries=list_choices(request, principal, "referentiel", roots_only=True),
                  families=list_choices(request, principal, "familles-connaissance"), **common(request))

