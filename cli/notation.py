"""`ontosides grade`, `ontosides grades export`, `ontosides publish`: NOTATION on a store, as the administrator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from cli.common import StoreOpt, err, fail, out, platform_for

grades_app = typer.Typer(help="An épreuve's saved grades.", no_args_is_help=True)
EpreuveArg = Annotated[str, typer.Argument(help="the épreuve: <exam>-<number> (e.g. u0f0e0-1) or its IRI")]


def _admin():
    """The administrator the commands act as."""
    from services.access.model import Principal
    from services.notation.service import CLI_AGENT

    return Principal(CLI_AGENT, True, (), "command line")


def _run(store: str | None, action):
    # imported here, not at the top: the services' imports take seconds that `ontosides --help` need not wait
    from services.access import Access
    from services.notation.errors import NotationError
    from services.notation.service import Notation

    with platform_for(store) as platform:
        notation = Notation(platform, Access.build(platform).policy)
        try:
            return action(notation)
        except NotationError as exc:
            fail(str(exc))


def grade(epreuve: EpreuveArg,
          dry_run: Annotated[bool, typer.Option("--dry-run", help="compute and report, write nothing")] = False,
          store: StoreOpt = None):
    """Compute the grades of every copy of an épreuve and save them with its statistics."""
    summary = _run(store, lambda n: n.grade(_admin(), epreuve, save=not dry_run))
    state = "computed, nothing written (--dry-run)" if dry_run else \
        f"{summary['written']} copies written, {summary['unchanged']} unchanged"
    out.print(f"{summary['epreuve']}: {summary['candidates']} candidates, {summary['questions']} questions, "
              f"mean {summary['mean'] or 0:.2f} / {summary['max_total']:g}; {summary['status']} "
              f"({summary['in_progress']} copies wait for a grader); {state}", highlight=False)
    for step, seconds in summary["timings"].items():
        err.print(f"  {step}: {seconds:.2f} s", highlight=False)


@grades_app.command("export")
def export(epreuve: EpreuveArg,
           format: Annotated[str, typer.Option("--format", "-f", help="csv or json")] = "csv",
           output: Annotated[Path | None, typer.Option("--output", "-o", help="file [default: standard output]")] = None,
           store: StoreOpt = None):
    """The saved grades: EPPN, names, grade, maximum, grade on 20, status, one column per item."""
    _, text = _run(store, lambda n: n.export(_admin(), epreuve, format))
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        err.print(f"written to {output}")


def publish(epreuve: EpreuveArg,
            revoke: Annotated[bool, typer.Option("--revoke", help="revoke the publication in force")] = False,
            reason: Annotated[str | None, typer.Option(help="why it is revoked (required with --revoke)")] = None,
            store: StoreOpt = None):
    """Officially publish an épreuve's saved grades (they freeze), or revoke the publication with a reason."""
    if revoke and not reason:
        fail("--revoke needs --reason: say why (it is kept in the audit trail)")
    if reason and not revoke:
        fail("--reason goes with --revoke")
    result = _run(store, lambda n: n.revoke(_admin(), epreuve, reason) if revoke else n.publish(_admin(), epreuve))
    out.print_json(json.dumps(result, ensure_ascii=False))


def register(app: typer.Typer) -> None:
    """Add NOTATION's commands to the CLI."""
    app.command("grade")(grade)
    app.add_typer(grades_app, name="grades")
    app.command("publish")(publish)
