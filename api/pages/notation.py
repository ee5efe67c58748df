"""NOTATION pages: the épreuves one grades, an épreuve's items and grading status with the grades computed (dry
run or saved), the students and their copies, QROC correction by groups of answers, QROL correction copy by
copy, the barème with a dry run before saving, the results analysis, publication (and revocation, the audit
trail), exports and the annals; a student's published results. Over `app.state.notation`, as the API.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from markupsafe import Markup

from api.csrf import check_page_request
from api.pages.i18n import N_, _
from api.pages.render import allowed, display_name, redirect, render
from api.security import GradingAnnals, GradingGrade, GradingOwn, GradingPublish
from services.notation.errors import Forbidden, NotationError, NotFound
from services.notation.service import Notation
from services.studio.preview import preview_fragment, student_view, teacher_view

router = APIRouter(prefix="/ui/notation", dependencies=[Depends(check_page_request)], include_in_schema=False)
Text = Annotated[str, Form()]
Many = Annotated[list[str], Form()]
STATUS = {"En cours": N_("In progress"), "Complété": N_("Completed"), "Non noté": N_("Not graded")}
NEUTRALISED = {"": N_("no"), "remove": N_("removed, the item rescaled"), "full": N_("everyone given the points")}


def notation_of(request: Request) -> Notation:
    """The app's NOTATION service."""
    return request.app.state.notation


def status_text(status: str | None) -> str:
    """A grading status in words of the page's language."""
    return _(STATUS[status]) if status in STATUS else (status or "")


def act(request: Request, back: str, action, success) -> object:
    """Do a grading action and go back with its outcome; a refusal (422, 409) in words, nothing written."""
    try:
        result = action()
    except (NotFound, Forbidden):
        raise
    except NotationError as exc:
        return redirect(request, back, _("Nothing was saved: %(reason)s") % {"reason": str(exc)}, "error")
    return redirect(request, back, success(result) if callable(success) else success)


def number(text: str, field: str) -> float | None:
    """A number typed in a form (a comma allowed), None when empty."""
    text = (text or "").strip().replace(",", ".")
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise NotationError(_("%(field)s: “%(text)s” is not a number") % {"field": field, "text": text}) from None


def base_context(request: Request, principal, epreuve_id: str, tab: str) -> dict:
    """What every page of an épreuve shows: its overview (title, items, status) and the tabs."""
    overview = notation_of(request).overview(principal, epreuve_id)
    for item in overview["items"]:
        item["status_text"] = status_text(item["status"])
    pending = sum(i["pending"] for i in overview["items"])
    return {"ov": overview, "base": f"/ui/notation/{overview['epreuve']}", "tab": tab, "pending": pending,
            "api": f"/notation/epreuves/{overview['epreuve']}",
            "status_text": status_text("En cours" if pending else "Complété")}


# --- a student's own results (before the épreuve routes: "me" is no épreuve) --------------------------------------
@router.get("/me")
def my_results(request: Request, principal: GradingOwn):
    """One's officially published grades, épreuve by épreuve, each with its copy."""
    rows = notation_of(request).my_results(principal)
    for r in rows:
        r["href"] = f"/ui/notation/{r['epreuve']}/copy?" + urlencode({"candidate": principal.person or ""})
    return render(request, principal, "notation/me.html", title=_("My results"), rows=rows)


# --- question banks (annals) ------------------------------------------------------------------------------------
@router.get("/banks")
def banks(request: Request, principal: GradingOwn):
    """The question banks one sees: one's faculties' (staff), those released to one's formations (students)."""
    rows = notation_of(request).banks(principal)
    return render(request, principal, "notation/banks.html", title=_("Question banks"), rows=rows)


@router.get("/banks/{key}")
def bank(request: Request, key: str, principal: GradingOwn):
    """A bank's released items, each with its subject (as a student reads it) and its correction."""
    found = notation_of(request).bank_with_items(principal, key)
    for n, entry in enumerate(found["items"], 1):
        item = entry["content"]
        entry["dom"] = f"item-{n}"
        entry["subject"] = Markup(preview_fragment(student_view(item), teacher=False))
        entry["correction"] = Markup(preview_fragment(teacher_view(item, types=False), teacher=True))
        entry["released_text"] = (entry["released_at"] or "")[:10]
    return render(request, principal, "notation/bank.html", title=found["label"], bank=found)


# --- the épreuves ------------------------------------------------------------------------------------------------
@router.get("")
def epreuves(request: Request, principal: GradingGrade):
    """The épreuves one may grade: whether grades were saved and published."""
    rows = notation_of(request).epreuves(principal)
    rows.sort(key=lambda r: r["start"] or "", reverse=True)
    return render(request, principal, "notation/list.html", title=_("Grading"), rows=rows)


@router.get("/{epreuve_id}")
def overview(request: Request, epreuve_id: str, principal: GradingGrade):
    """The items with coefficient, maximum and grading status; compute the grades (dry run or saved)."""
    ctx = base_context(request, principal, epreuve_id, "overview")
    return render(request, principal, "notation/epreuve.html", title=ctx["ov"]["title"] or epreuve_id, **ctx)


@router.post("/{epreuve_id}/grades")
def grade(request: Request, epreuve_id: str, principal: GradingGrade, save: Text = "1"):
    """Compute the grades of every copy; saved unless it is a dry run."""
    saving = save == "1"

    def said(summary: dict) -> str:
        values = {"n": summary["candidates"], "mean": _fmt(summary["mean"]), "max": _fmt(summary["max_total"]),
                  "status": status_text(summary["status"])}
        if saving:
            return _("Grades saved: %(n)s copies, mean %(mean)s out of %(max)s, %(status)s.") % values
        return _("Dry run, nothing saved: %(n)s copies, mean %(mean)s out of %(max)s, %(status)s.") % values

    return act(request, f"/ui/notation/{epreuve_id}",
               lambda: notation_of(request).grade(principal, epreuve_id, saving), said)


def _fmt(value) -> str:
    if value is None:
        return "—"
    return f"{value:.2f}".rstrip("0").rstrip(".")


# --- students and copies ---------------------------------------------------------------------------------------
@router.get("/{epreuve_id}/students")
def students(request: Request, epreuve_id: str, principal: GradingGrade):
    """EPPN, names, grade, status of every candidate, each with their copy."""
    ctx = base_context(request, principal, epreuve_id, "students")
    found = notation_of(request).students(principal, epreuve_id)
    for s in found["students"]:
        s["status_text"] = status_text(s["status"])
        s["href"] = f"{ctx['base']}/copy?" + urlencode({"candidate": s["candidate"]})
        s["grade_text"] = _fmt(s["grade"])
        s["max_text"] = _fmt(s["max_points"])
    return render(request, principal, "notation/students.html", title=_("Students: %(title)s") % {
        "title": ctx["ov"]["title"]}, rows=found["students"], **ctx)


@router.get("/{epreuve_id}/copy")
def copy(request: Request, epreuve_id: str, principal: GradingOwn, candidate: str = ""):
    """A copy: each question, the key, the answer, the points and why (the candidate's own once published)."""
    found = notation_of(request).copy(principal, epreuve_id, candidate)
    for q in found["questions"]:
        q["points_text"] = _fmt(q["points"])
        q["max_text"] = _fmt(q["max_points"])
    own = principal.person == candidate
    return render(request, principal, "notation/copy.html",
                  title=_("Copy of %(name)s") % {"name": display_name(request, candidate)}, copy=found, own=own,
                  base=f"/ui/notation/{found['epreuve']}", status_text=status_text(found["status"]),
                  grade_text=_fmt(found["grade"]), max_text=_fmt(found["max_points"]))


# --- QROC and QROL ----------------------------------------------------------------------------------------------
@router.get("/{epreuve_id}/qroc/{question}")
def qroc(request: Request, epreuve_id: str, question: str, principal: GradingGrade):
    """The unexpected answers grouped, counted, sorted by their distance to the nearest expected one."""
    ctx = base_context(request, principal, epreuve_id, "overview")
    found = notation_of(request).qroc(principal, epreuve_id, question)
    for i, g in enumerate(found["unexpected"]):
        g["dom"] = f"group-{i}"
    return render(request, principal, "notation/qroc.html",
                  title=_("QROC %(question)s: %(title)s") % {"question": question, "title": ctx["ov"]["title"]},
                  q=found, **ctx)


@router.post("/{epreuve_id}/qroc/{question}")
def decide_qroc(request: Request, epreuve_id: str, question: str, principal: GradingGrade, answer: Text,
                points: Text = "", synonym: Text = ""):
    """Points (a share of the question's, from 0 to 1) for everyone who wrote this answer, or accept it."""
    back = f"/ui/notation/{epreuve_id}/qroc/{question}"

    def apply():
        fraction = number(points, _("Share of the points"))
        accept = synonym == "1"
        if accept and fraction is None:
            fraction = 1.0
        return notation_of(request).decide_qroc(principal, epreuve_id, question,
                                                [{"answer": answer, "fraction": fraction, "synonym": accept}])

    return act(request, back, apply, _("Answer « %(answer)s » corrected.") % {"answer": answer})


@router.get("/{epreuve_id}/qrol/{question}")
def qrol(request: Request, epreuve_id: str, question: str, principal: GradingGrade, todo: str = ""):
    """Each candidate's answer with points and a comment to give."""
    ctx = base_context(request, principal, epreuve_id, "overview")
    found = notation_of(request).qrol(principal, epreuve_id, question)
    copies = [c for c in found["copies"] if c["to_correct"] or not todo]
    for i, c in enumerate(copies):
        c["name"] = display_name(request, c["candidate"])
        c["dom"] = f"copy-{i}"
        c["points_text"] = _fmt(c["points"]) if c["points"] is not None else ""
    return render(request, principal, "notation/qrol.html",
                  title=_("QROL %(question)s: %(title)s") % {"question": question, "title": ctx["ov"]["title"]},
                  q=found, copies=copies, todo=todo, **ctx)


@router.post("/{epreuve_id}/qrol/{question}")
def grade_qrol(request: Request, epreuve_id: str, question: str, principal: GradingGrade, candidate: Text,
               points: Text = "", comment: Text = "", todo: Text = ""):
    """Points up to the question's maximum and a comment for one copy."""
    back = f"/ui/notation/{epreuve_id}/qrol/{question}" + ("?todo=1" if todo else "")

    def apply():
        value = number(points, _("Points"))
        return notation_of(request).grade_qrol(principal, epreuve_id, question, [
            {"candidate": candidate, "points": value, "comment": comment.strip() or None}])

    return act(request, back, apply, _("Copy of %(name)s corrected.") % {"name": display_name(request, candidate)})


# --- the barème ----------------------------------------------------------------------------------------------------
def bareme_rows(bareme: dict, ov: dict) -> tuple[list[dict], list[dict]]:
    """The barème as form rows: items (out of, coefficient) and questions (weight, neutralised)."""
    titles = {str(i["position"]): i["title"] for i in ov["items"]}
    types = {q["key"]: q["type"] for i in ov["items"] for q in i["questions"]}
    items = [{"position": p, "title": titles.get(p, ""), "max_points": _fmt(r.get("max_points")),
              "coefficient": _fmt(r.get("coefficient")), "questions": r.get("questions", [])}
             for p, r in bareme["items"].items()]
    questions = []
    for item in items:
        for key in item["questions"]:
            rule = bareme["questions"].get(key, {})
            questions.append({"key": key, "type": types.get(key, ""), "position": item["position"],
                              "weight": _fmt(rule.get("weight", 1)), "neutralised": rule.get("neutralised") or ""})
    return items, questions


def changes_of(form, bareme: dict) -> dict:
    """The barème change a form describes (only what differs from the barème in force)."""
    changes: dict = {"items": {}, "questions": {}}
    weight_label = _("Weight")
    for position, rule in bareme["items"].items():
        for field, label in (("max_points", _("Out of")), ("coefficient", _("Coefficient"))):
            value = number(form.get(f"item-{position}-{field}", ""), f"{label} ({position})")
            if value is not None and value != rule.get(field):
                changes["items"].setdefault(position, {})[field] = value
        for key in rule.get("questions", []):
            current = bareme["questions"].get(key, {})
            weight = number(form.get(f"question-{key}-weight", ""), f"{weight_label} ({key})")
            if weight is not None and weight != current.get("weight", 1):
                changes["questions"].setdefault(key, {})["weight"] = weight
            neutralised = form.get(f"question-{key}-neutralised", "") or None
            if neutralised != current.get("neutralised"):
                changes["questions"].setdefault(key, {})["neutralised"] = neutralised
    return {k: v for k, v in changes.items() if v}


def bareme_page(request: Request, principal, epreuve_id: str, form: dict | None = None, dry: dict | None = None,
                status: int = 200, error: str | None = None):
    ctx = base_context(request, principal, epreuve_id, "bareme")
    found = notation_of(request).bareme(principal, epreuve_id)
    items, questions = bareme_rows(found["bareme"], ctx["ov"])
    if form:
        for i in items:
            for field in ("max_points", "coefficient"):
                i[field] = form.get(f"item-{i['position']}-{field}", i[field])
        for q in questions:
            q["weight"] = form.get(f"question-{q['key']}-weight", q["weight"])
            q["neutralised"] = form.get(f"question-{q['key']}-neutralised", q["neutralised"])
    for h in found["history"]:
        h["by_name"] = display_name(request, h["by"]) if h.get("by") and "/person/" in h["by"] else (h.get("by") or "")
    if dry:
        for m in dry["moved"]:
            m["name"] = display_name(request, m["candidate"])
            for f in ("before", "after", "delta"):
                m[f + "_text"] = _fmt(m[f])
        dry["gains"] = [m for m in dry["moved"] if m["delta"] > 0]
        dry["losses"] = [m for m in dry["moved"] if m["delta"] < 0]
    flash = {"kind": "error", "text": error} if error else None
    return render(request, principal, "notation/bareme.html", status=status,
                  title=_("Barème: %(title)s") % {"title": ctx["ov"]["title"]}, bareme=found, items=items,
                  questions=questions, dry=dry, fmt=_fmt, neutralisations=[(k, _(v)) for k, v in NEUTRALISED.items()],
                  **({"flash": flash} if flash else {}), **ctx)


@router.get("/{epreuve_id}/bareme")
def bareme(request: Request, epreuve_id: str, principal: GradingGrade):
    """The barème in force, its history, and the change form."""
    return bareme_page(request, principal, epreuve_id)


@router.post("/{epreuve_id}/bareme")
async def change_bareme(request: Request, epreuve_id: str, principal: GradingGrade):
    """`action=dry-run`: what the change would do (nothing written, shown on the page); `action=save`: keep it
    in the history and recompute the grades, then back to the barème."""
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    notation = notation_of(request)
    back = f"/ui/notation/{epreuve_id}/bareme"
    try:
        changes = changes_of(form, notation.bareme(principal, epreuve_id)["bareme"])
        if not changes:
            raise NotationError(_("the form changes nothing in the barème in force"))
        if form.get("action") == "save":
            result = notation.save_bareme(principal, epreuve_id, changes)
            return redirect(request, back, _("Barème saved (%(change)s); grades recomputed.") % {
                "change": result["change"]})
        dry = notation.dry_run(principal, epreuve_id, changes)
    except (NotFound, Forbidden):
        raise
    except NotationError as exc:
        if form.get("action") == "save":
            return redirect(request, back, _("Nothing was saved: %(reason)s") % {"reason": str(exc)}, "error")
        return bareme_page(request, principal, epreuve_id, form, None, 200,
                           _("Nothing was saved: %(reason)s") % {"reason": str(exc)})
    return bareme_page(request, principal, epreuve_id, form, dry)


# --- analysis ----------------------------------------------------------------------------------------------------
@router.get("/{epreuve_id}/analysis")
def analysis(request: Request, epreuve_id: str, principal: GradingGrade):
    """Classical test theory: the épreuve's figures, its histogram, and per question."""
    ctx = base_context(request, principal, epreuve_id, "analysis")
    found = notation_of(request).analysis(principal, epreuve_id)
    top = max([b["count"] for b in found["test"].get("histogram", [])] or [1]) or 1
    for b in found["test"].get("histogram", []):
        b["width"] = round(85 * b["count"] / top)
    return render(request, principal, "notation/analysis.html",
                  title=_("Results analysis: %(title)s") % {"title": ctx["ov"]["title"]}, stats=found,
                  fmt=lambda v, d=3: "—" if v is None else f"{v:.{d}f}", **ctx)


# --- standard setting ---------------------------------------------------------------------------------------------
SETTING_METHODS = {"borderline-regression": N_("Borderline regression"), "borderline-group": N_("Borderline group"),
                   "angoff": N_("Angoff")}


def angoff_rows(text: str, items: int) -> list[list[float]]:
    """Judges' estimates typed one judge per line, one number per item (spaces or semicolons between them)."""
    rows = []
    for n, line in enumerate((text or "").splitlines(), 1):
        cells = line.replace(";", " ").split()
        if not cells:
            continue
        if len(cells) != items:
            raise NotationError(_("estimates, line %(n)s: %(found)s numbers for %(items)s items") % {
                "n": n, "found": len(cells), "items": items})
        rows.append([number(c, _("estimates, line %(n)s") % {"n": n}) for c in cells])
    if not rows:
        raise NotationError(_("estimates: one line per judge"))
    return rows


@router.get("/{epreuve_id}/standard-setting")
def standard_setting(request: Request, epreuve_id: str, principal: GradingGrade, method: str = "", item: str = "",
                     borderline: str = "", statistic: str = "mean", estimates: str = ""):
    """A pass mark: borderline regression or group on an ECOS station from the examiners' global ratings, or
    Angoff from judges' estimates; who passes. Nothing is written."""
    ctx = base_context(request, principal, epreuve_id, "setting")
    notation = notation_of(request)
    stations = notation.station_scales(principal, epreuve_id)
    titles = {str(i["position"]): i["title"] for i in ctx["ov"]["items"]}
    chosen = item if item in stations else next(iter(stations), "")
    scale = stations[chosen]["scale"] if chosen else []
    usual = next((v for v in scale if v.lower().startswith(("limite", "borderline"))), scale[min(1, len(scale) - 1)]
                 if scale else "")
    form = {"method": method or ("borderline-regression" if stations else "angoff"), "item": chosen,
            "borderline": borderline or usual, "statistic": statistic, "estimates": estimates}
    result, error = None, None
    if method:
        try:
            if method == "angoff":
                request_body = {"method": method, "estimates": angoff_rows(estimates, len(ctx["ov"]["items"]))}
            else:
                request_body = {"method": method, "item": item, "borderline": borderline, "statistic": statistic}
            result = notation.standard_setting(principal, epreuve_id, request_body)
        except NotationError as exc:
            error = str(exc)
    if result:
        for r in result["outcome"]:
            r["name"] = display_name(request, r["candidate"])
            r["score_text"] = _fmt(r["score"])
        result["pass_mark_text"] = _fmt(result["pass_mark"])
        result["passed"] = sum(1 for r in result["outcome"] if r["passed"])
    flash = {"kind": "error", "text": _("No pass mark: %(reason)s") % {"reason": error}} if error else None
    return render(request, principal, "notation/setting.html", status=422 if error else 200,
                  title=_("Standard setting: %(title)s") % {"title": ctx["ov"]["title"]},
                  stations=[{"key": k, "title": titles.get(k, k), **v} for k, v in stations.items()],
                  methods=[(k, _(v)) for k, v in SETTING_METHODS.items()], form=form, result=result,
                  **({"flash": flash} if flash else {}), **ctx)


# --- publication, exports, annals ----------------------------------------------------------------------------------
@router.get("/{epreuve_id}/publication")
def publication(request: Request, epreuve_id: str, principal: GradingGrade):
    """Publish (with confirmation), revoke (with a reason), the audit trail; exports; the annals."""
    ctx = base_context(request, principal, epreuve_id, "publication")
    found = notation_of(request).publication(principal, epreuve_id)
    for h in found["history"]:
        h["by_name"] = display_name(request, h["published_by"]) if h.get("published_by") else ""
        h["revoker_name"] = display_name(request, h["revoked_by"]) if h.get("revoked_by") else ""
    return render(request, principal, "notation/publication.html",
                  title=_("Publication: %(title)s") % {"title": ctx["ov"]["title"]}, pub=found,
                  may_publish=allowed(request, principal, "grading:publish"),
                  may_release=allowed(request, principal, "grading:annals"), **ctx)


@router.post("/{epreuve_id}/publication")
def publish(request: Request, epreuve_id: str, principal: GradingPublish, confirm: Text = ""):
    """Officially publish the saved grades (they freeze) once the grader confirms."""
    back = f"/ui/notation/{epreuve_id}/publication"
    if confirm != "1":
        return redirect(request, back, _("Nothing was saved: tick the box to confirm the publication."), "error")
    return act(request, back, lambda: notation_of(request).publish(principal, epreuve_id),
               _("Grades officially published."))


@router.post("/{epreuve_id}/publication/revoke")
def revoke(request: Request, epreuve_id: str, principal: GradingPublish, reason: Text = ""):
    """Revoke the publication in force, with a reason."""
    back = f"/ui/notation/{epreuve_id}/publication"
    return act(request, back, lambda: notation_of(request).revoke(principal, epreuve_id, reason.strip()),
               _("Publication revoked."))


@router.post("/{epreuve_id}/annals")
def release(request: Request, epreuve_id: str, principal: GradingAnnals, items: Many = None):
    """Release the ticked items to the faculty's question bank."""
    back = f"/ui/notation/{epreuve_id}/publication"

    def apply():
        positions = [int(i) for i in (items or []) if i.isdigit()]
        if not positions:
            raise NotationError(_("tick at least one item to release"))
        return notation_of(request).release_annals(principal, epreuve_id, positions)

    return act(request, back, apply, lambda bank: _("Items released to the question bank %(bank)s.") % {
        "bank": bank.get("label") or bank.get("bank")})
