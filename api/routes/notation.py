"""NOTATION: grade épreuves from their copies, correct QROC and QROL, change barèmes (dry run first), analyse,
publish, export, release to the annals; students read their own published results."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from api.security import GradingAnnals, GradingGrade, GradingOwn, GradingPublish
from services.notation.service import Notation

router = APIRouter(prefix="/notation", tags=["NOTATION"])


def get_notation(request: Request) -> Notation:
    """The NOTATION service of the app."""
    return request.app.state.notation


NotationDep = Annotated[Notation, Depends(get_notation)]
Epreuve = Annotated[str, "an épreuve key: <exam>-<number>, e.g. u0f0e0-1"]


class QrocDecision(BaseModel):
    """A grader's decision on an unexpected QROC answer (as written or normalised)."""

    answer: str
    fraction: float | None = Field(None, description="share of the points in [0, 1]; null undoes the decision")
    synonym: bool = Field(False, description="add it to the accepted synonyms (all the points)")


class QrolMark(BaseModel):
    """Points for one candidate's QROL answer."""

    candidate: str = Field(description="the candidate's IRI")
    points: float | None = Field(None, description="up to the question's maximum; null undoes the mark")
    comment: str | None = None


class Revocation(BaseModel):
    """Why a publication is revoked."""

    reason: str


class Release(BaseModel):
    """Items of the épreuve to release to the annals, by position."""

    items: list[int]


BAREME_EXAMPLE = {"items": {"3": {"max_points": 10, "coefficient": 2}},
                  "questions": {"5": {"neutralised": "remove"}, "7": {"weight": 2}}}


@router.get("/epreuves", summary="Épreuves the caller may grade")
def epreuves(notation: NotationDep, principal: GradingGrade) -> list[dict]:
    """Exam, épreuve, owning organisation, start; whether grades were saved and published."""
    return notation.epreuves(principal)


@router.get("/epreuves/{epreuve_id}", summary="An épreuve's items with their coefficient and grading status")
def overview(epreuve_id: Epreuve, notation: NotationDep, principal: GradingGrade) -> dict:
    """« En cours » while a QROC group or a QROL copy waits for a grader, « Complété » otherwise."""
    return notation.overview(principal, epreuve_id)


@router.post("/epreuves/{epreuve_id}/grades", summary="Compute the grades (and save them)")
def grade(epreuve_id: Epreuve, notation: NotationDep, principal: GradingGrade,
          save: Annotated[bool, Query(description="write the grades and statistics")] = True) -> dict:
    """Scores every copy with the épreuve's method, QROC decisions and QROL marks under the barème in force."""
    return notation.grade(principal, epreuve_id, save)


@router.get("/epreuves/{epreuve_id}/students", summary="Per student: EPPN, names, grade, status")
def students(epreuve_id: Epreuve, notation: NotationDep, principal: GradingGrade) -> dict:
    """The saved grades (« Liste des étudiants »)."""
    return notation.students(principal, epreuve_id)


@router.get("/epreuves/{epreuve_id}/copies", summary="A copy's detail: key, answer, points and why")
def copy(epreuve_id: Epreuve, notation: NotationDep, principal: GradingOwn,
         candidate: Annotated[str, Query(description="the candidate's IRI")]) -> dict:
    """Staff of the épreuve's organisation see every copy; a candidate their own once grades are published."""
    return notation.copy(principal, epreuve_id, candidate)


@router.get("/epreuves/{epreuve_id}/qroc/{question}", summary="A QROC to correct: answers grouped by distance")
def qroc(epreuve_id: Epreuve, question: str, notation: NotationDep, principal: GradingGrade) -> dict:
    """Expected answers counted; unexpected ones grouped, counted, with their Levenshtein distance."""
    return notation.qroc(principal, epreuve_id, question)


@router.post("/epreuves/{epreuve_id}/qroc/{question}", summary="Give points to unexpected QROC answers")
def decide_qroc(epreuve_id: Epreuve, question: str, decisions: list[QrocDecision], notation: NotationDep,
                principal: GradingGrade) -> dict:
    """Once for every candidate who wrote the answer; `synonym` adds it to the accepted answers."""
    return notation.decide_qroc(principal, epreuve_id, question, [d.model_dump() for d in decisions])


@router.get("/epreuves/{epreuve_id}/qrol/{question}", summary="A QROL to correct, copy by copy")
def qrol(epreuve_id: Epreuve, question: str, notation: NotationDep, principal: GradingGrade) -> dict:
    """Each candidate's answer, points and comment so far."""
    return notation.qrol(principal, epreuve_id, question)


@router.post("/epreuves/{epreuve_id}/qrol/{question}", summary="Mark QROL answers")
def grade_qrol(epreuve_id: Epreuve, question: str, marks: list[QrolMark], notation: NotationDep,
               principal: GradingGrade) -> dict:
    """Points up to the question's maximum, and a comment."""
    return notation.grade_qrol(principal, epreuve_id, question, [m.model_dump() for m in marks])


@router.get("/epreuves/{epreuve_id}/bareme", summary="The barème in force and its history")
def bareme(epreuve_id: Epreuve, notation: NotationDep, principal: GradingGrade) -> dict:
    """Items out of x points with their coefficient, question weights and neutralisations; who changed what."""
    return notation.bareme(principal, epreuve_id)


@router.post("/epreuves/{epreuve_id}/bareme/dry-run", summary="What a barème change would do (nothing saved)")
def dry_run(epreuve_id: Epreuve, notation: NotationDep, principal: GradingGrade,
            changes: Annotated[dict[str, Any], Body(examples=[BAREME_EXAMPLE])]) -> dict:
    """Who moves and by how much, the distribution before and after."""
    return notation.dry_run(principal, epreuve_id, changes)


@router.put("/epreuves/{epreuve_id}/bareme", summary="Save a barème change, then the grades")
def save_bareme(epreuve_id: Epreuve, notation: NotationDep, principal: GradingGrade,
                changes: Annotated[dict[str, Any], Body(examples=[BAREME_EXAMPLE])],
                regrade: bool = True) -> dict:
    """Kept in the barème's history with who and when; the grades are recomputed and saved."""
    return notation.save_bareme(principal, epreuve_id, changes, regrade)


@router.get("/epreuves/{epreuve_id}/analysis", summary="Results analysis (classical test theory)")
def analysis(epreuve_id: Epreuve, notation: NotationDep, principal: GradingGrade) -> dict:
    """Per épreuve: n, mean, median, sd, skewness, kurtosis, α, sem, histogram; per question: facility, sd,
    discrimination index, point-biserial, discriminative efficiency, distractors."""
    return notation.analysis(principal, epreuve_id)


@router.post("/epreuves/{epreuve_id}/standard-setting", summary="A pass mark (ECOS borderline methods, Angoff)")
def standard_setting(epreuve_id: Epreuve, notation: NotationDep, principal: GradingGrade,
                     request: Annotated[dict[str, Any], Body()]) -> dict:
    """`borderline-regression` / `borderline-group` on an item with global ratings, or `angoff` estimates."""
    return notation.standard_setting(principal, epreuve_id, request)


@router.get("/epreuves/{epreuve_id}/publication", summary="Publications and revocations (audit trail)")
def publication(epreuve_id: Epreuve, notation: NotationDep, principal: GradingGrade) -> dict:
    """Who published or revoked, when, and why."""
    return notation.publication(principal, epreuve_id)


@router.post("/epreuves/{epreuve_id}/publication", summary="Officially publish the grades (they freeze)")
def publish(epreuve_id: Epreuve, notation: NotationDep, principal: GradingPublish) -> dict:
    """Refused while corrections remain or when the grades were not saved after the last change."""
    return notation.publish(principal, epreuve_id)


@router.post("/epreuves/{epreuve_id}/publication/revoke", summary="Revoke the publication, with a reason")
def revoke(epreuve_id: Epreuve, body: Revocation, notation: NotationDep, principal: GradingPublish) -> dict:
    """The grades may change again; the revocation is kept with its reason."""
    return notation.revoke(principal, epreuve_id, body.reason)


@router.get("/epreuves/{epreuve_id}/export", summary="Export the grades (CSV or JSON)")
def export(epreuve_id: Epreuve, notation: NotationDep, principal: GradingGrade,
           format: Literal["csv", "json"] = "csv") -> Response:
    """EPPN, names, grade, maximum, grade on 20, status, one column per item."""
    media, text = notation.export(principal, epreuve_id, format)
    headers = {"Content-Disposition": f'attachment; filename="grades-{epreuve_id}.{format}"'}
    return Response(text, media_type=media, headers=headers)


@router.post("/epreuves/{epreuve_id}/annals", summary="Release items to the faculty's question bank")
def release(epreuve_id: Epreuve, body: Release, notation: NotationDep, principal: GradingAnnals) -> dict:
    """After the official publication; the students of the épreuve's formations may practise on them."""
    return notation.release_annals(principal, epreuve_id, body.items)


@router.get("/banks", summary="Question banks the caller sees")
def banks(notation: NotationDep, principal: GradingOwn) -> list[dict]:
    """Staff: their faculties' banks; students: banks with items released to their formations."""
    return notation.banks(principal)


@router.get("/banks/{key}", summary="A question bank's released items")
def bank(key: str, notation: NotationDep, principal: GradingOwn) -> dict:
    """The items the caller may practise on."""
    return notation.bank(principal, key)


@router.get("/me/results", summary="One's own officially published grades")
def my_results(notation: NotationDep, principal: GradingOwn) -> list[dict]:
    """Épreuve by épreuve: grade, maximum, grade on 20, item grades."""
    return notation.my_results(principal)
