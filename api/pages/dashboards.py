"""Dashboards (issue 15): « Étudiants en difficulté » for a Directeur des études or the school office (the students
of a formation listed by the thresholds of `students_in_difficulty`, each with their grades' trend), « Ma
progression » for a student (their success per référentiel item next to their cohort's quartiles), and « Recherche »
for a researcher (their projects, a SPARQL console with YASGUI installed from npm and the named queries as examples,
and a chart of a named query's results).

Charts are inline SVG drawn here, each with its figures in a table beside it: no script, no CDN. Who sees what is
the policy's: the follow-up needs `followup:read` and covers the offers of the organisations the caller follows, the
progress page reads the caller's own published grades (`grading:own`) and their cohort as quartiles only, the
research page `research:read` and runs queries over the caller's dataset (their projects' pseudonymised view).
"""

from __future__ import annotations

import json
from html import escape

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse
from starlette.concurrency import run_in_threadpool

from api.csrf import check_page_request
from api.deps import ReadScopeDep
from api.pages.i18n import _
from api.pages.render import display_name, render
from api.pages.sparql_console import named_query_form
from api.routes.sparql import execute_query
from api.security import GradingOwn, Public, ResearchRead, permission
from services.research.dashboards import Dashboards, DashboardNotFound
from store.errors import QueryError, StoreError
from store.paths import WEB_DIR
from store.port import Rows
from store.queries import ParamError
from store.sparql_text import inject_values

FollowupRead = permission("followup:read")
router = APIRouter(prefix="/ui", dependencies=[Depends(check_page_request)], include_in_schema=False)
# YASGUI (npm @zazuko/yasgui's build, vendored under web/static like htmx, the same files /ui/sparql uses); the page
# falls back to the plain console of /ui/sparql if they are missing.
YASGUI_DIR = WEB_DIR / "static" / "vendor" / "yasgui"
YASGUI_FILES = {"yasgui.min.js": "text/javascript", "yasgui.min.css": "text/css"}
# Named queries offered as YASGUI's example tabs, and the ones whose results the chart draws well.
EXAMPLES = ("success_by_referentiel_rank", "students_in_difficulty", "item_difficulty_by_specialty",
            "cohort_comparison", "referentiel_success_by_student", "student_referentiel_progress", "answer_patterns",
            "student_progress")
CHART_ROWS = 40
# The column a chart draws when none is asked: the rate or mean a query is about, before counts.
PREFERRED_VALUES = ("successRate", "meanScore", "difficulty", "meanSeconds", "on20", "trend")


def dashboards(request: Request) -> Dashboards:
    state = request.app.state
    if getattr(state, "dashboards", None) is None:
        state.dashboards = Dashboards(state.platform, state.access.policy)
    return state.dashboards


# --- SVG ------------------------------------------------------------------------------
def sparkline(points: list[float], low: float = 0, high: float = 20, width: int = 120, height: int = 28,
              label: str = "") -> str:
    """A line of values (grades out of 20, in time order) as inline SVG, its values in its accessible name."""
    if not points:
        return ""
    span = (high - low) or 1
    step = width / max(len(points) - 1, 1)
    xy = [(round(i * step, 1), round(height - 2 - (min(max(v, low), high) - low) / span * (height - 4), 1))
          for i, v in enumerate(points)]
    path = " ".join(f"{x},{y}" for x, y in xy)
    dots = "".join(f'<circle cx="{x}" cy="{y}" r="2.5"/>' for x, y in xy)
    return (f'<svg class="spark" role="img" aria-label="{escape(label)}" viewBox="-3 -3 {width + 6} {height + 6}" '
            f'width="{width + 6}" height="{height + 6}"><polyline points="{path}" fill="none"/>{dots}</svg>')


def boxplot(own: float, q: tuple[float, float, float] | None, label: str, width: int = 260, height: int = 26) -> str:
    """The cohort's quartiles (a box from Q1 to Q3, the median a line) and the student's rate (a dot), 0–100 %."""
    def x(v: float) -> float:
        return round(4 + min(max(v, 0), 1) * (width - 8), 1)
    parts = [f'<line class="axis" x1="4" y1="{height - 3}" x2="{width - 4}" y2="{height - 3}"/>']
    if q:
        parts.append(f'<rect class="box" x="{x(q[0])}" y="4" width="{max(x(q[2]) - x(q[0]), 1)}" height="{height - 10}"/>')
        parts.append(f'<line class="median" x1="{x(q[1])}" y1="2" x2="{x(q[1])}" y2="{height - 4}"/>')
    parts.append(f'<circle class="own" cx="{x(own)}" cy="{(height - 6) / 2 + 2}" r="5"/>')
    return (f'<svg class="box-plot" role="img" aria-label="{escape(label)}" viewBox="0 0 {width} {height}" '
            f'width="{width}" height="{height}">{"".join(parts)}</svg>')


def bar_chart(rows: list[tuple[str, float]], title: str, width: int = 640) -> str:
    """Horizontal bars, one per row (label, value), scaled to the largest value."""
    if not rows:
        return ""
    top = max((abs(v) for _, v in rows), default=1) or 1
    bar_h, gap, left = 18, 6, 210
    height = len(rows) * (bar_h + gap) + gap
    out = [f'<svg class="bars" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}" '
           f'width="100%" preserveAspectRatio="xMinYMin meet">']
    for i, (label, value) in enumerate(rows):
        y = gap + i * (bar_h + gap)
        length = round(abs(value) / top * (width - left - 70), 1)
        short = label if len(label) <= 32 else "…" + label[-31:]
        out.append(f'<text x="{left - 6}" y="{y + 13}" text-anchor="end">{escape(short)}</text>'
                   f'<rect x="{left}" y="{y}" width="{max(length, 1)}" height="{bar_h}"/>'
                   f'<text x="{left + length + 4}" y="{y + 13}">{value:.4g}</text>')
    out.append("</svg>")
    return "".join(out)


# --- the follow-up --------------------------------------------------------------------
def _float(text: str, default: float) -> float:
    try:
        return float(text.replace(",", ".")) if text not in (None, "") else default
    except ValueError:
        return default


@router.get("/dashboards/followup")
async def followup(request: Request, principal: FollowupRead, offer: str = "", threshold: str = "",
                   fall: str = "", absences: str = ""):
    """The students in difficulty of one formation's cohort, with their trend."""
    board = dashboards(request)
    params = dict(threshold=_float(threshold, 8), fall=_float(fall, 1), absences=int(_float(absences, 1)))
    try:
        data = await run_in_threadpool(board.followup, principal, offer or None, **params)
    except DashboardNotFound as exc:
        raise HTTPException(404, str(exc)) from None
    rows = []
    for s in data["students"]:
        name = display_name(request, s.student)
        values = [v for _start, v in s.grades]
        label = _("Grades of %(name)s out of 20, in time order: %(values)s") % {
            "name": name, "values": ", ".join(f"{v:.1f}" for v in values)}
        rows.append({"name": name, "student": s, "spark": sparkline(values, label=label)})
    rows.sort(key=lambda r: (r["student"].mean is None, r["student"].mean or 0))
    return render(request, principal, "dashboards/followup.html", title=_("Students in difficulty"),
                  data=data, rows=rows, params=params)


# --- a student's progress -------------------------------------------------------------
@router.get("/dashboards/progress")
async def progress(request: Request, principal: GradingOwn):
    """My success per référentiel item next to my cohort's distribution."""
    data = await run_in_threadpool(dashboards(request).progress, principal)
    rows = []
    for item in data["items"]:
        if item.cohort:
            text = _("%(label)s: you %(own)s %%, cohort quartiles %(q1)s %%, %(q2)s %%, %(q3)s %%") % {
                "label": item.label, "own": f"{item.own * 100:.0f}", "q1": f"{item.cohort[0] * 100:.0f}",
                "q2": f"{item.cohort[1] * 100:.0f}", "q3": f"{item.cohort[2] * 100:.0f}"}
        else:
            text = _("%(label)s: you %(own)s %%") % {"label": item.label, "own": f"{item.own * 100:.0f}"}
        rows.append({"item": item, "chart": boxplot(item.own, item.cohort, text)})
    return render(request, principal, "dashboards/progress.html", title=_("My progress"), data=data, rows=rows)


# --- research -------------------------------------------------------------------------
def yasgui_available() -> bool:
    return all((YASGUI_DIR / name).is_file() for name in YASGUI_FILES)


@router.get("/research/assets/{name}")
def yasgui_asset(name: str, _: Public):
    """YASGUI's script and stylesheet (the vendored build)."""
    if name not in YASGUI_FILES or not (YASGUI_DIR / name).is_file():
        raise HTTPException(404, f"no asset {name}")
    return FileResponse(YASGUI_DIR / name, media_type=YASGUI_FILES[name],
                        headers={"Cache-Control": "public, max-age=3600"})


def _examples(request: Request) -> list[dict]:
    platform = request.app.state.platform
    found = []
    for name in EXAMPLES:
        try:
            query = platform.queries.get(name)
        except KeyError:
            continue
        defaults = {p.name: p.to_term(p.default) for p in query.params if p.default is not None}
        runnable = inject_values(query.text, defaults, per_variable=True) if defaults else query.text
        found.append({"name": name, "summary": query.summary, "sparql": query.text, "runnable": runnable,
                      "params": [p.as_dict() for p in query.params]})
    return found


@router.get("/research")
async def research_home(request: Request, principal: ResearchRead):
    """My research projects, the SPARQL console with the named queries as examples, and the charts."""
    projects = request.app.state.research.projects
    mine = await run_in_threadpool(
        lambda: projects.all() if principal.is_admin else projects.of_researcher(principal.person))
    examples = _examples(request)
    return render(request, principal, "dashboards/research.html", title=_("Research"), projects=mine,
                  examples=examples, yasgui=yasgui_available(),
                  examples_json=json.dumps([{"name": e["name"], "query": e["runnable"]} for e in examples]).replace("<", "\\u003c"))


def _chartable(rows: Rows, value: str | None) -> tuple[str | None, str | None, list[tuple[str, float]]]:
    """The label column (the first not numeric), the value column (the one asked, else the first numeric) and the
    (label, value) pairs."""
    def numeric(var: str) -> bool:
        cells = [r.get(var) for r in rows.rows if r.get(var) is not None]
        if not cells:
            return False
        try:
            [float(c.value) for c in cells]
        except (AttributeError, ValueError):
            return False
        return True
    numbers = [v for v in rows.variables if numeric(v)]
    labels = [v for v in rows.variables if v not in numbers]
    preferred = [v for v in PREFERRED_VALUES if v in numbers]
    value_var = value if value in numbers else (preferred[0] if preferred else next(
        (v for v in numbers if v not in ("number", "position")), numbers[0] if numbers else None))
    label_var = labels[0] if labels else None
    if value_var is None:
        return label_var, None, []
    pairs = []
    for row in rows.rows[:CHART_ROWS]:
        cell = row.get(value_var)
        if cell is None:
            continue
        name = row.get(label_var).value if label_var and row.get(label_var) is not None else str(len(pairs) + 1)
        if label_var and row.get("rank") is not None and label_var != "rank":
            name += f" ({row['rank'].value})"
        pairs.append((name.rsplit("/", 1)[-1] if name.startswith("http") else name, float(cell.value)))
    return label_var, value_var, pairs


@router.get("/research/chart/{name}")
async def chart(name: str, request: Request, principal: ResearchRead, readable: ReadScopeDep):
    """A named query run over my dataset, its results drawn as bars (the first numeric column, or `value`)."""
    platform = request.app.state.platform
    query, values = named_query_form(request, name)
    error, svg, pairs, label_var, value_var, variables = None, "", [], None, None, []
    try:
        result = await execute_query(request, platform, query.text, readable,
                                     bindings=query.bind({k: v for k, v in values.items() if v != ""}),
                                     interrupt=False)
        if isinstance(result, Rows):
            variables = result.variables
            label_var, value_var, pairs = _chartable(result, request.query_params.get("value"))
            svg = bar_chart(pairs, _("%(query)s: %(value)s by %(label)s") % {
                "query": name, "value": value_var or "", "label": label_var or ""})
    except (ParamError, QueryError, StoreError) as exc:
        error = str(exc)
    return render(request, principal, "dashboards/chart.html", title=_("Chart of %(query)s") % {"query": name},
                  name=name, query=query, values=values, svg=svg, pairs=pairs, error=error, label_var=label_var,
                  value_var=value_var, variables=variables, chosen_value=request.query_params.get("value", ""))
