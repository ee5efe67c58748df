"""`ontosides research …` (projects, pseudonymised datasets, exports) and `ontosides gdpr …` (a person's export
and erasure), as the administrator."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated

import typer

from cli.common import StoreOpt, fail, out, platform_for

research_app = typer.Typer(help="Research projects and their pseudonymised datasets.", no_args_is_help=True)
gdpr_app = typer.Typer(help="GDPR: a person's data, exported or erased.", no_args_is_help=True)


@research_app.command("create")
def create(title: Annotated[str, typer.Option(help="the project's title")],
           ethics: Annotated[str, typer.Option(help="the ethics committee's approval reference")],
           organisation: Annotated[list[str], typer.Option(help="IRI of an organisation covered (repeat)")],
           start: Annotated[str, typer.Option(help="first day of the period (YYYY-MM-DD)")],
           end: Annotated[str, typer.Option(help="last day of the period (YYYY-MM-DD)")],
           researcher: Annotated[list[str] | None, typer.Option(help="IRI of a researcher (repeat)")] = None,
           key: Annotated[str | None, typer.Option(help="the project's key [default: minted]")] = None,
           free_text: Annotated[bool, typer.Option("--free-text", help="free-text answers allowed")] = False,
           coarsening: Annotated[str, typer.Option(help="none, day or week")] = "none",
           k: Annotated[int, typer.Option(help="minimum group size for aggregates")] = 5,
           build: Annotated[bool, typer.Option("--build", help="build the pseudonymised dataset now")] = False,
           store: StoreOpt = None):
    """Record a research project approved by an ethics committee."""
    # each command imports the services it uses: their imports take seconds that `ontosides --help` need not wait
    from services.research.projects import Project, Projects, ResearchError
    from services.research.pseudonymise import Pseudonymiser

    with platform_for(store) as platform:
        projects = Projects(platform)
        try:
            project = projects.create(Project(
                key=key or projects.new_key(), title=title, ethics_approval=ethics, organisations=organisation,
                period_start=dt.date.fromisoformat(start), period_end=dt.date.fromisoformat(end),
                researchers=researcher or [], free_text=free_text, coarsening=coarsening, k=k))
            out.print(f"project {project.key} recorded", highlight=False)
            if build:
                out.print(json.dumps(Pseudonymiser(platform, projects).build(project.key).as_dict(), indent=1))
        except (ResearchError, ValueError) as exc:
            fail(str(exc))


@research_app.command("build")
def build(key: str, store: StoreOpt = None):
    """Build (or rebuild) a project's pseudonymised dataset."""
    from services.research.projects import ProjectNotFound, ResearchError
    from services.research.pseudonymise import Pseudonymiser

    with platform_for(store) as platform:
        try:
            out.print(json.dumps(Pseudonymiser(platform).build(key).as_dict(), indent=1))
        except (ProjectNotFound, ResearchError) as exc:
            fail(str(exc))


@research_app.command("list")
def list_projects(store: StoreOpt = None):
    """The research projects."""
    from services.research.projects import Projects

    with platform_for(store) as platform:
        out.print(json.dumps([p.as_dict() for p in Projects(platform).all()], indent=1, ensure_ascii=False))


@research_app.command("export")
def export(key: str, output: Annotated[Path, typer.Option("--output", "-o", help="the zip file to write")],
           store: StoreOpt = None):
    """Export a project's dataset: N-Quads, TriG, CSV and manifest.json, zipped."""
    from services.research.export import export_project
    from services.research.projects import ProjectNotFound

    with platform_for(store) as platform:
        try:
            data, manifest = export_project(platform, key)
        except ProjectNotFound as exc:
            fail(str(exc))
        output.write_bytes(data)
        out.print(f"{output}: {manifest['counts']}", highlight=False)


@gdpr_app.command("export")
def gdpr_export(person: Annotated[str, typer.Argument(help="the person's key or IRI")],
                output: Annotated[Path, typer.Option("--output", "-o")],
                format: Annotated[str, typer.Option("--format", "-f", help="jsonld or csv")] = "jsonld",
                store: StoreOpt = None):
    """Everything the platform holds about a person."""
    from services.gdpr import Gdpr, PersonNotFound

    with platform_for(store) as platform:
        gdpr = Gdpr(platform)
        try:
            iri = gdpr.person_iri(person)
            output.write_bytes(gdpr.export_csv(iri) if format == "csv" else gdpr.export_jsonld(iri))
        except PersonNotFound as exc:
            fail(str(exc))
        out.print(f"{output} written", highlight=False)


@gdpr_app.command("erase")
def gdpr_erase(person: Annotated[str, typer.Argument(help="the person's key or IRI")],
               policy: Annotated[str | None, typer.Option(help="pseudonymise or delete [default: ONTOSIDES_ERASURE]")]
               = None,
               yes: Annotated[bool, typer.Option("--yes", help="do it (there is no undo)")] = False,
               store: StoreOpt = None):
    """Erase a person: account removed, answers and grades pseudonymised or deleted."""
    from services.gdpr import Gdpr, PersonNotFound

    if not yes:
        fail("erasure cannot be undone: add --yes")
    with platform_for(store) as platform:
        gdpr = Gdpr(platform)
        try:
            out.print(json.dumps(gdpr.erase(gdpr.person_iri(person), policy), indent=1))
        except (PersonNotFound, ValueError) as exc:
            fail(str(exc))


def register(app: typer.Typer) -> None:
    """Add the research and GDPR commands to the CLI."""
    app.add_typer(research_app, name="research")
    app.add_typer(gdpr_app, name="gdpr")
