"""`ontosides exams …`: the planner from the command line, as the administrator (list, show, bon à tirer, calendar,
freeze, start the épreuves whose time came)."""

from __future__ import annotations

import datetime as dt
import json
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from cli.common import StoreOpt, fail, out, platform_for

exams_app = typer.Typer(help="PLANIFICATEUR: exams, bons à tirer, the calendar (as the administrator).",
                        no_args_is_help=True)
OutputOpt = Annotated[Path | None, typer.Option("--output", "-o", help="file to write; default stdout")]


@contextmanager
def documents_for(store: str | None):
    """The planner's views over the store; planner errors end in one line."""
    # imported here, not at the top: the services' imports take seconds that `ontosides --help` need not wait
    from services.access import Access
    from services.lists.library import ListLibrary
    from services.planner.documents import Documents
    from services.planner.errors import PlannerError
    from services.planner.exams import Planner
    from services.studio.items import Studio

    with platform_for(store) as platform:
        planner = Planner(platform, Studio(platform, ListLibrary(platform)), Access.build(platform))
        try:
            yield Documents(planner)
        except PlannerError as exc:
            fail(str(exc))


def _admin():
    """The administrator the commands act as."""
    from services.access.model import Principal

    return Principal("urn:ontosides:admin", True, (), "command line")


def _write(content: bytes, output: Path | None) -> None:
    if output:
        output.write_bytes(content)
        out.print(f"written {output} ({len(content):,} bytes)")
    else:
        sys.stdout.buffer.write(content)


@exams_app.command("list")
def exams_list(organisation: Annotated[str | None, typer.Option("--org", help="an organisation IRI")] = None,
               status: Annotated[str | None, typer.Option(help="draft, ready, running, finished, archived")] = None,
               store: StoreOpt = None):
    """The exam list: one row per épreuve."""
    with documents_for(store) as documents:
        rows = documents.listing(_admin(), organisation, status)
    table = Table("exam", "title", "épreuve", "type", "start", "end", "min", "status")
    for r in rows:
        table.add_row(r["exam"], r["exam_title"], f"{r['number']}. {r['title']}", r["type"], r["start"] or "—",
                      r["end"] or "—", str(r["duration_minutes"]), r["status"])
    out.print(table)
    out.print(f"{len(rows)} épreuve(s)")


@exams_app.command("show")
def exams_show(key: Annotated[str, typer.Argument(help="the exam's key")], store: StoreOpt = None):
    """An exam as JSON."""
    with documents_for(store) as documents:
        sys.stdout.write(json.dumps(documents.exam_detail(_admin(), key), ensure_ascii=False, indent=1) + "\n")


@exams_app.command("bat")
def exams_bat(key: Annotated[str, typer.Argument(help="the exam's key")],
              number: Annotated[int, typer.Argument(help="the épreuve's number")],
              html: Annotated[bool, typer.Option("--html", help="HTML instead of PDF")] = False,
              output: OutputOpt = None, store: StoreOpt = None):
    """The bon à tirer of an épreuve (PDF by default)."""
    with documents_for(store) as documents:
        content = (documents.bat_html(_admin(), key, number).encode() if html
                   else documents.bat_pdf(_admin(), key, number))
    _write(content, output)


@exams_app.command("ics")
def exams_ics(organisation: Annotated[str | None, typer.Option("--org", help="an organisation IRI")] = None,
              start: Annotated[str | None, typer.Option("--from", help="first day, YYYY-MM-DD")] = None,
              end: Annotated[str | None, typer.Option("--to", help="last day, YYYY-MM-DD")] = None,
              output: OutputOpt = None, store: StoreOpt = None):
    """The calendar of épreuves as iCalendar."""
    try:
        days = [dt.date.fromisoformat(d) if d else None for d in (start, end)]
    except ValueError as exc:
        fail(f"--from/--to: {exc}")
    with documents_for(store) as documents:
        content = documents.calendar_ics(_admin(), days[0], days[1], organisation)
    _write(content, output)


@exams_app.command("freeze")
def exams_freeze(key: Annotated[str, typer.Argument(help="the exam's key")],
                 number: Annotated[int, typer.Argument(help="the épreuve's number")], store: StoreOpt = None):
    """Freeze an épreuve's candidate list now (what its start does)."""
    with documents_for(store) as documents:
        found = documents.planner.freeze(_admin(), key, number)
    out.print(f"{len(found.people)} candidate(s) frozen at {documents.local(found.frozen_at)}")


@exams_app.command("start-due")
def exams_start_due(store: StoreOpt = None):
    """Start every ready épreuve whose time came: freeze its candidates, mark it running."""
    with documents_for(store) as documents:
        started = documents.planner.start_due(_admin())
    for iri in started:
        out.print(f"started {iri}", highlight=False)
    out.print(f"{len(started)} épreuve(s) started")


def register(app: typer.Typer) -> None:
    """Add `ontosides exams` to the application."""
    app.add_typer(exams_app, name="exams")
