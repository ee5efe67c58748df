"""Research (issue 15): projects approved by an ethics committee, their pseudonymised datasets and exports; and
GDPR: a person's export (themself, the data protection officer) and erasure (the administrator)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from api.security import AccountSelf, GdprRead, ResearchRead, StoreWrite
from services.access.audit import AuditEvent
from services.access.model import Principal
from services.gdpr import Gdpr
from services.research import Research
from services.research.export import export_project
from services.research.projects import Project, ProjectNotFound

router = APIRouter(tags=["Research and GDPR"])


def get_research(request: Request) -> Research:
    """The research services of the app."""
    return request.app.state.research


ResearchDep = Annotated[Research, Depends(get_research)]


class ProjectBody(BaseModel):
    """A research project as the administrator records it after the ethics committee's approval."""

    key: str | None = Field(None, description="lower-case letters, digits, hyphens; minted when absent")
    title: str
    ethics_approval: str = Field(description="the reference of the ethics committee's approval")
    organisations: list[str] = Field(description="IRIs of the organisations covered (their units included)")
    period_start: dt.date
    period_end: dt.date
    researchers: list[str] = Field(default_factory=list, description="IRIs of the researchers (persons)")
    free_text: bool = Field(False, description="free-text answers and notepads allowed")
    coarsening: Literal["none", "day", "week"] = "none"
    k: int = Field(5, ge=1, description="aggregates over fewer than k candidates are suppressed")


def _mine(research: Research, principal: Principal, key: str) -> Project:
    """The project, if the caller administers the platform or is one of its researchers (404 otherwise)."""
    project = research.projects.get(key)
    if principal.is_admin or principal.person in project.researchers:
        return project
    raise ProjectNotFound(f"no research project {key}")


@router.post("/research/projects", status_code=201, summary="Record a research project (administrator)")
def create_project(body: ProjectBody, research: ResearchDep, principal: StoreWrite) -> dict:
    project = Project(key=body.key or research.projects.new_key(), title=body.title,
                      ethics_approval=body.ethics_approval, organisations=body.organisations,
                      period_start=body.period_start, period_end=body.period_end, researchers=body.researchers,
                      free_text=body.free_text, coarsening=body.coarsening, k=body.k)
    return research.projects.create(project).as_dict()


@router.get("/research/projects", summary="The research projects the caller works on (all, for the administrator)")
def list_projects(research: ResearchDep, principal: ResearchRead) -> list[dict]:
    projects = research.projects.all()
    return [p.as_dict() for p in projects if principal.is_admin or principal.person in p.researchers]


@router.get("/research/projects/{key}", summary="A research project, its options and its dataset's graphs")
def get_project(key: str, research: ResearchDep, principal: ResearchRead) -> dict:
    project = _mine(research, principal, key)
    return {**project.as_dict(), "graphs": project.graphs}


@router.post("/research/projects/{key}/build", summary="Build (or rebuild) the project's pseudonymised dataset "
                                                       "(administrator)")
async def build_project(key: str, research: ResearchDep, principal: StoreWrite) -> dict:
    return (await run_in_threadpool(research.pseudonymiser.build, key)).as_dict()


@router.get("/research/projects/{key}/export", summary="The project's dataset: N-Quads, TriG, CSV and a manifest, "
                                                        "zipped", response_class=Response)
async def export(key: str, request: Request, research: ResearchDep, principal: ResearchRead) -> Response:
    _mine(research, principal, key)
    data, _ = await run_in_threadpool(export_project, request.app.state.platform, key)
    return Response(data, media_type="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="research-{key}.zip"'})


# --- GDPR -----------------------------------------------------------------------------------
def _gdpr_export(gdpr: Gdpr, person: str, fmt: str) -> Response:
    if fmt == "csv":
        return Response(gdpr.export_csv(person), media_type="text/csv; charset=utf-8")
    return Response(gdpr.export_jsonld(person), media_type="application/ld+json")


def get_gdpr(request: Request) -> Gdpr:
    return request.app.state.gdpr


GdprDep = Annotated[Gdpr, Depends(get_gdpr)]
Format = Annotated[Literal["jsonld", "csv"], Query(description="JSON-LD (named graphs) or CSV")]


@router.get("/gdpr/me", summary="Everything the platform holds about me", response_class=Response)
async def my_data(gdpr: GdprDep, principal: AccountSelf, format: Format = "jsonld") -> Response:
    return await run_in_threadpool(_gdpr_export, gdpr, principal.person, format)


@router.get("/gdpr/people/{person_id}", summary="Everything the platform holds about a person (data protection "
                                                "officer)", response_class=Response)
async def person_data(person_id: str, request: Request, gdpr: GdprDep, principal: GdprRead,
                      format: Format = "jsonld") -> Response:
    answer = await run_in_threadpool(_gdpr_export, gdpr, gdpr.person_iri(person_id), format)
    request.app.state.access.audit.record(AuditEvent("read", "gdpr:read", principal.person, gdpr.person_iri(person_id),
                                                     f"GDPR export ({format})"))
    return answer


@router.delete("/gdpr/people/{person_id}", summary="Erase a person per ONTOSIDES_ERASURE (administrator)")
async def erase(person_id: str, request: Request, gdpr: GdprDep, principal: StoreWrite) -> dict:
    request.app.state.access.audit.flush()  # what the log holds about them is erased with the rest
    done = await run_in_threadpool(gdpr.erase, gdpr.person_iri(person_id))
    request.app.state.access.directory.forget()
    request.app.state.access.audit.record(AuditEvent("removal", "gdpr:erase", principal.person, None,
                                                     f"GDPR erasure of a person ({done['policy']})"))
    return done
