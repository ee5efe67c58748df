"""`ontosides accounts …` and `ontosides groups …`: the cockpit from the command line, as the administrator."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from cli.common import StoreOpt, err, fail, out, platform_for

if TYPE_CHECKING:
    from services.access.model import Principal
    from services.cockpit import Cockpit

accounts_app = typer.Typer(help="Accounts, functions and tokens (the cockpit, as the administrator).",
                           no_args_is_help=True)
groups_app = typer.Typer(help="Training offers, cohort groups, ad-hoc groups, student imports.", no_args_is_help=True)


def _cockpit(platform) -> tuple[Cockpit, Principal]:
    # imported here, not at the top: the services' imports take seconds that `ontosides --help` need not wait
    from services.access import Access
    from services.access.model import Principal
    from services.cockpit import Cockpit
    from services.lists.library import ListLibrary

    access = Access.build(platform)
    cockpit = Cockpit.build(access, ListLibrary(platform))
    admin = cockpit.people.ensure_administrator(None)
    return cockpit, Principal(admin, True, (), "command line")


def _run(store: str | None, action):
    from services.cockpit.model import CockpitError

    with platform_for(store) as platform:
        cockpit, admin = _cockpit(platform)
        try:
            return action(cockpit, admin)
        except CockpitError as exc:
            fail(str(exc))
        finally:
            cockpit.people.access.audit.flush()


@accounts_app.command("list")
def accounts_list(q: Annotated[str | None, typer.Option("--q", help="words of a name, e-mail, EPPN or id")] = None,
                  organisation: Annotated[str | None, typer.Option("--org", help="an organisation IRI")] = None,
                  function: Annotated[str | None, typer.Option(help="e.g. Etudiant")] = None,
                  limit: int = 50, store: StoreOpt = None):
    """People, with their e-mails, EPPNs and functions."""
    found = _run(store, lambda c, admin: c.people.search(admin, q, organisation, function, limit))
    table = Table("id", "name", "e-mails", "EPPN", "functions")
    for p in found["people"]:
        table.add_row(p["id"], f"{p['given_name'] or ''} {p['family_name']}".strip(), ", ".join(p["emails"]),
                      ", ".join(p["eppns"]), ", ".join(f["function"] for f in p["functions"]))
    out.print(table)
    out.print(f"{found['total']} person(s)")


@accounts_app.command("show")
def accounts_show(person: Annotated[str, typer.Argument(help="a person's id or IRI")], store: StoreOpt = None):
    """A person's account as JSON."""
    record = _run(store, lambda c, admin: c.people.read(admin, person).as_dict(c.people.access.directory.tree().labels))
    out.print_json(json.dumps(record, ensure_ascii=False))


@accounts_app.command("create")
def accounts_create(family_name: Annotated[str, typer.Option("--family-name")],
                    university: Annotated[str, typer.Option(help="the university IRI that issued the EPPN")],
                    eppn: Annotated[str, typer.Option()],
                    given_name: Annotated[str | None, typer.Option("--given-name")] = None,
                    email: Annotated[str | None, typer.Option()] = None, store: StoreOpt = None):
    """Create a person with their university account."""
    person = _run(store, lambda c, admin: c.people.create(admin, family_name, given_name, email, eppn, university))
    out.print(f"created {person.iri} ({person.unique_id})")


@accounts_app.command("grant")
def accounts_grant(person: Annotated[str, typer.Argument(help="a person's id or IRI")],
                   function: Annotated[str, typer.Argument(help="Enseignant, GestionnaireEpreuves …")],
                   organisation: Annotated[str, typer.Argument(help="the organisation IRI")],
                   start: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
                   end: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None, store: StoreOpt = None):
    """Give a person a function on an organisation."""
    try:
        first, last = (dt.date.fromisoformat(d) if d else None for d in (start, end))
    except ValueError as exc:
        fail(f"dates are YYYY-MM-DD: {exc}")
    record = _run(store, lambda c, admin: c.functions.assign(admin, person, function, organisation, first, last))
    out.print(f"{record.display()} now holds {function} on {organisation}")


@accounts_app.command("remove-function")
def accounts_remove_function(person: Annotated[str, typer.Argument(help="a person's id or IRI")],
                             assignment: Annotated[str, typer.Argument(help="the function's id (see `show`)")],
                             store: StoreOpt = None):
    """Take a function away."""
    record = _run(store, lambda c, admin: c.functions.remove(admin, person, assignment))
    out.print(f"removed from {record.display()}")


@accounts_app.command("token")
def accounts_token(person: Annotated[str, typer.Argument(help="a person's id or IRI")],
                   label: Annotated[str, typer.Option()] = "command line",
                   days: Annotated[int, typer.Option(min=1, max=3650)] = 90, store: StoreOpt = None):
    """Issue a platform token to a person; it is printed once and stored hashed."""

    def issue(cockpit, admin):
        iri = cockpit.people.get(person).iri
        return cockpit.people.access.tokens.issue(iri, label, days, admin.person)

    token, iri = _run(store, issue)
    err.print(f"token {iri.rsplit('/', 1)[-1]} for {person}, valid {days} days (shown once):")
    out.print(token, highlight=False)


@accounts_app.command("audit")
def accounts_audit(since: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
                   kind: Annotated[str | None, typer.Option(help="refusal, grant, removal, token, login, read")] = None,
                   limit: int = 100, store: StoreOpt = None):
    """The access log, newest first."""
    day = dt.date.fromisoformat(since) if since else None
    events = _run(store, lambda c, admin: c.people.access.audit.read(day, kind, limit))
    for e in events:
        out.print(f"{e['at']}  {e['kind']:8} {e['action']:20} {e['actor'] or '-'}  {e['target'] or ''}  {e['detail']}",
                  highlight=False)


@groups_app.command("offers")
def groups_offers(organisation: Annotated[str | None, typer.Option("--org")] = None, store: StoreOpt = None):
    """The training offer with each cohort's size."""
    for o in _run(store, lambda c, admin: c.offers.listing(admin, organisation)):
        out.print(f"{o['id']:14} {o['label']:28} {o['students']:5} students  {o['component']}", highlight=False)


@groups_app.command("import-students")
def groups_import_students(path: Annotated[Path, typer.Argument(help="CSV: Nom;Prénom;Courriel;EPPN")],
                           offer: Annotated[str, typer.Option("--offer", help="the training offer's id")],
                           dry_run: Annotated[bool, typer.Option("--dry-run", help="check only")] = False,
                           store: StoreOpt = None):
    """Import a cohort's students, all or nothing; every bad line is reported with its number."""
    if not path.is_file():
        fail(f"{path}: no such file")
    report = _run(store, lambda c, admin: c.offers.import_students(admin, offer, path.read_bytes(), dry_run))
    for problem in report.warnings:
        err.print(f"[yellow]![/] line {problem['line']}: {problem['message']}", highlight=False)
    for problem in report.errors:
        err.print(f"[red]✗[/] line {problem['line']}" + (f" ({problem['field']})" if problem["field"] else "")
                  + f": {problem['message']}", highlight=False)
    if report.errors:
        fail(f"{len(report.errors)} line(s) refused; nothing was written")
    state = "checked, nothing written (--dry-run)" if dry_run else (
        "written" if report.written else "nothing to change")
    out.print(f"{len(report.created)} created, {len(report.linked)} linked, {len(report.unchanged)} unchanged: {state}")


def register(app: typer.Typer) -> None:
    """Add the cockpit's commands to the CLI."""
    app.add_typer(accounts_app, name="accounts")
    app.add_typer(groups_app, name="groups")
