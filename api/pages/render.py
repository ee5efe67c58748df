"""Rendering the pages: Jinja2 templates, the menu a caller may use, flash messages, htmx fragments.

Every page goes through `page`, which gives the templates the caller, their menu, the anti-forgery token and
the language, and sets the anti-forgery cookie on a first visit. An action answers htmx with a fragment (and the
message, swapped out of band into the page's status region), and a plain form post with a redirect back
(303, the message kept for one page in a cookie), so every page works without JavaScript too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from api.csrf import CSRF_COOKIE, new_token
from api.pages.i18n import N_, _, current, ngettext
from services.access.model import Principal
from services.cockpit.model import CockpitError

FLASH_COOKIE = "ontosides_flash"


@dataclass(frozen=True)
class Destination:
    """A place of the menu: where, its name, what it is for, and the action a caller needs to use it."""

    href: str
    label: str
    description: str
    action: str
    area: str


# The menu and the home page, in the order a person meets them (labels translated when rendered).
DESTINATIONS = (
    Destination("/ui/studio", N_("Exam items"),
                N_("STUDIO: write and tag questions, dossiers and ECOS stations; preview, import and export them."),
                "items:author", "studio"),
    Destination("/ui/lists", N_("List library"),
                N_("Levels Officiel, universities and faculties; each list as a tree, with what your level changed."),
                "lists:read", "planner"),
    Destination("/ui/sparql", N_("SPARQL console"),
                N_("The named queries as forms, results as tables and CSV; your own SPARQL in the editor."),
                "sparql:query", "research"),
    Destination("/ui/me", N_("My information"),
                N_("Your names, e-mail addresses (verified by a code) and the tokens of your scripts."),
                "account:self", "cockpit"),
    Destination("/ui/cockpit/people", N_("Users and functions"),
                N_("Find the people of your organisations and give or remove their functions."),
                "cockpit:manage", "cockpit"),
    Destination("/ui/cockpit/offers", N_("Training offer"),
                N_("The formations of your faculties by year and period, each with its cohort."),
                "cockpit:manage", "cockpit"),
    Destination("/ui/cockpit/cohorts", N_("Cohort groups"),
                N_("The students of each cohort; import them from the template file."),
                "cockpit:manage", "cockpit"),
    Destination("/ui/cockpit/groups", N_("Groups"),
                N_("Groups for a resit or a tutorial: members, administrators, institutions."),
                "groups:administer", "cockpit"),
    Destination("/ui/planner/exams", N_("Exam management"),
                N_("Plan exams and their épreuves: items, registrations, candidates, statuses, the bon à tirer."),
                "planner:read", "planner"),
    Destination("/ui/planner/calendar", N_("Calendar"),
                N_("The épreuves of your organisations by day or week, also for your agenda (.ics)."),
                "planner:read", "planner"),
    Destination("/ui/planner/usage", N_("Usage statistics"),
                N_("Find items by specialty, référentiel item or transversal knowledge: answers and success rates."),
                "planner:read", "planner"),
    Destination("/ui/exam", N_("My épreuves"),
                N_("The épreuves you are a candidate of: take the open ones, see the ones to come."),
                "exam:take", "exam"),
    Destination("/ui/supervision", N_("Supervision"),
                N_("Follow the épreuves under way room by room; attendance, devices and incidents."),
                "exam:supervise", "exam"),
    Destination("/ui/notation", N_("Grading"),
                N_("Correct QROC and QROL, compute the grades, adjust the barème, analyse the results and publish."),
                "grading:grade", "notation"),
    Destination("/ui/audit", N_("Access log"),
                N_("Who read personal data, who was refused, who granted a function (data protection)."),
                "audit:read", "cockpit"),
    Destination("/ui/notation/me", N_("My results"),
                N_("Your officially published grades, with your copies."),
                "grading:own", "notation"),
    Destination("/ui/notation/banks", N_("Question banks"),
                N_("Past épreuves' items released to practise on, with their correction."),
                "grading:own", "notation"),
    Destination("/ui/dashboards/progress", N_("My progress"),
                N_("Your success per référentiel item next to your cohort's."),
                "grading:own", "research"),
    Destination("/ui/dashboards/followup", N_("Students in difficulty"),
                N_("The students of your formations with a low mean, falling grades or missed épreuves."),
                "followup:read", "research"),
    Destination("/ui/research", N_("Research"),
                N_("Your projects' pseudonymised data: SPARQL editor, named queries as examples, charts."),
                "research:read", "research"),
)


def allowed(request: Request, principal: Principal, action: str) -> bool:
    """Whether the policy lets the caller use routes of this action."""
    return request.app.state.access.policy.allows(principal, action)


def destinations(request: Request, principal: Principal) -> list[dict]:
    """The places the caller may go, translated, the current one marked."""
    path = request.url.path
    return [{"href": d.href, "label": _(d.label), "description": _(d.description), "area": d.area,
             "current": path == d.href or path.startswith(d.href + "/")}
            for d in DESTINATIONS if allowed(request, principal, d.action)]


def display_name(request: Request, iri: str) -> str:
    """A person's given and family names (their key when unknown), cached until the store changes."""
    state = request.app.state
    generation = state.platform.store.generation
    names = state.page_names
    if names.get("generation") != generation:
        names.clear()
        names["generation"] = generation
    if iri not in names:
        try:
            names[iri] = state.cockpit.people.get(iri).display()
        except CockpitError:
            names[iri] = iri.rsplit("/", 1)[-1]
    return names[iri]


def function_labels(request: Request) -> dict[str, dict[str, str]]:
    """The labels of every function by language, read once from the ontology."""
    state = request.app.state
    if not state.function_labels:
        platform = state.platform
        for row in platform.store.select(platform.queries_for("web").get("function_labels").text):
            state.function_labels.setdefault(row["function"].value, {})[row["label"].language or ""] = \
                row["label"].value
    return state.function_labels


def function_label(request: Request, function: str) -> str:
    """A function's name in the request's language."""
    iri = function if function.startswith("http") else f"https://w3id.org/ontosides#{function}"
    labels = function_labels(request).get(iri, {})
    return labels.get(current().locale) or labels.get("en") or iri.rsplit("#", 1)[-1]


def templates(folder) -> Environment:
    """The template environment: autoescaped HTML, the i18n extension bound to the request's language."""
    env = Environment(loader=FileSystemLoader(str(folder)), autoescape=select_autoescape(["html"]),
                      extensions=["jinja2.ext.i18n"], trim_blocks=True, lstrip_blocks=True)
    env.install_gettext_callables(gettext=_, ngettext=ngettext, newstyle=True)
    env.filters["urlquote"] = lambda value: quote(str(value or ""), safe="")
    env.filters["short"] = lambda iri: str(iri or "").rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]
    return env


def is_htmx(request: Request) -> bool:
    """Whether htmx sent the request (it then wants a fragment, not a page)."""
    return request.headers.get("hx-request") == "true"


def _csrf(request: Request) -> tuple[str, bool]:
    """The caller's anti-forgery token, and whether it is new (one per request: the form and the cookie agree)."""
    token = request.cookies.get(CSRF_COOKIE)
    if token:
        return token, False
    if not hasattr(request.state, "new_csrf"):
        request.state.new_csrf = new_token()
    return request.state.new_csrf, True


def _set_cookie(request: Request, response: Response, name: str, value: str, max_age: int | None = None,
                http_only: bool = True) -> None:
    response.set_cookie(name, value, max_age=max_age, httponly=http_only, samesite="lax", path="/",
                        secure=request.url.scheme == "https")


def _flash(request: Request) -> dict | None:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return None
    try:
        kind, text = json.loads(unquote(raw))
    except (ValueError, TypeError):
        return None
    return {"kind": "error" if kind == "error" else "ok", "text": str(text)}


def context(request: Request, principal: Principal, **values) -> dict:
    """What every template sees."""
    settings = request.app.state.platform.settings
    person = display_name(request, principal.person) if principal.person else None
    token, _new = _csrf(request)
    return {"request": request, "principal": principal, "person": person, "nav": destinations(request, principal),
            "function_label": lambda f: function_label(request, f),
            "csrf": token, "locale": current().locale, "demo_login": settings.demo_login,
            "here": request.url.path + (f"?{request.url.query}" if request.url.query else ""), **values}


def render(request: Request, principal: Principal, template: str, status: int = 200, **values) -> HTMLResponse:
    """A whole page."""
    token, new = _csrf(request)
    values.setdefault("flash", _flash(request))
    html = request.app.state.templates.get_template(template).render(context(request, principal, **values))
    response = HTMLResponse(html, status_code=status)
    if new:
        _set_cookie(request, response, CSRF_COOKIE, token)
    if request.cookies.get(FLASH_COOKIE):
        response.delete_cookie(FLASH_COOKIE, path="/")
    return response


def fragment(request: Request, principal: Principal, template: str, message: str | None = None,
             kind: str = "ok", status: int = 200, **values) -> HTMLResponse:
    """Part of a page for htmx, with the message swapped into the page's status region."""
    env = request.app.state.templates
    ctx = context(request, principal, **values)
    html = env.get_template(template).render(ctx)
    flash = {"kind": kind, "text": message} if message else None
    html += env.get_template("_flash.html").render({**ctx, "flash": flash, "oob": True})
    return HTMLResponse(html, status_code=status)


def redirect(request: Request, url: str, message: str | None = None, kind: str = "ok") -> RedirectResponse:
    """Back to a page (303), carrying a message for it."""
    response = RedirectResponse(safe_next(url), status_code=303)
    if message:
        _set_cookie(request, response, FLASH_COOKIE, quote(json.dumps([kind, message])), max_age=60)
    return response


def done(request: Request, principal: Principal, back: str, message: str | None, kind: str = "ok",
         template: str | None = None, **values) -> Response:
    """The answer to an action: the fragment for htmx, else a redirect back with the message."""
    if template and is_htmx(request):
        return fragment(request, principal, template, message, kind, **values)
    return redirect(request, back, message, kind)


def safe_next(url: str | None, default: str = "/ui/") -> str:
    """A local path to go to (never another site: `//host` or `https://host` fall back to the default)."""
    if not url:
        return default
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or not url.startswith("/") or url.startswith("//") or "\\" in url:
        return default
    return url
