"""`ontosides`: create, fill, check, query, export and serve the knowledge graph."""

from __future__ import annotations

import csv
import json
import os
import sys
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from cli.common import ADMIN_AGENT, StoreOpt, err, fail, out, platform_for
from cli.cockpit import register as register_cockpit
from cli.grading import register as register_grading
from cli.notation import register as register_notation
from cli.planner import register as register_planner
from cli.research import register as register_research

# The store, the services and the API are imported by the commands that use them, not here: `ontosides --help`
# and a mistyped command answer at once (the platform's imports take seconds).
if TYPE_CHECKING:
    from services.platform import Platform
    from store.port import Rows
    from store.queries import NamedQuery

app = typer.Typer(help="OntoSIDES-KG: the knowledge graph of medical e-assessment.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
import_app = typer.Typer(help="Import a source format: LiSA référentiel, list CSV, QTI, Moodle XML, legacy SIDES.",
                         no_args_is_help=True)
app.add_typer(import_app, name="import")
lists_app = typer.Typer(help="The list library: effective lists, local changes.", no_args_is_help=True)
app.add_typer(lists_app, name="lists")
index_app = typer.Typer(help="The items' full-text search index.", no_args_is_help=True)
app.add_typer(index_app, name="index")
LevelOpt = Annotated[str, typer.Option("--level", "-l", help="level IRI [default: Officiel]")]


@app.callback()
def global_options(store: StoreOpt = None):
    """Options that hold for every command; `--store` may come before the command or after it."""
    if store:
        # The same meaning as ONTOSIDES_STORE, so every command (and sub-application) opens this store.
        os.environ["ONTOSIDES_STORE"] = store


def byte_progress(total: int):
    """A progress bar in bytes; returns (progress, callback)."""
    bar = Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TimeElapsedColumn(),
                   console=err, transient=True, disable=not err.is_terminal)
    task = bar.add_task("loading", total=total)
    return bar, lambda done: bar.update(task, completed=done)


@app.command()
def init(store: StoreOpt = None):
    """Create the store (if needed), load the ontology and add the Officiel list library."""
    from services.lists.seed import ensure_library

    with platform_for(store) as platform:
        changed = platform.ensure_ontology()
        lists = ensure_library(platform)
        out.print(f"store ready at {platform.store.location} "
                  f"({'ontology loaded' if changed else 'ontology up to date'}; "
                  f"{len(lists)} list-library graph(s) added)")


@app.command()
def load(files: Annotated[list[Path], typer.Argument(help="Turtle, TriG, N-Triples, N-Quads or JSON-LD files")],
         graph: Annotated[str | None, typer.Option("--graph", "-g", help="target graph IRI (triple formats)")] = None,
         validate: Annotated[bool, typer.Option(help="validate the loaded graphs; drop them on a violation")] = True,
         store: StoreOpt = None):
    """Bulk-load files into named graphs, all or nothing per file."""
    from services import dataset

    with platform_for(store) as platform:
        platform.ensure_ontology()
        for path in files:
            if not path.is_file():
                fail(f"{path}: no such file")
            bar, callback = byte_progress(path.stat().st_size)
            with bar:
                report = dataset.load_file(platform, path, graph, validate, callback)
            out.print(f"{path.name}: {report.quads} quads into {len(report.graphs)} graph(s)")


@app.command()
def validate(files: Annotated[list[Path] | None, typer.Argument(help="files to check; none: the whole store")] = None,
             against_store: Annotated[bool, typer.Option(help="take the neighbours' types from the store")] = False,
             store: StoreOpt = None):
    """Check files or the store against the shapes; print each violation; exit 1 if any."""
    from services import dataset

    if files and not against_store:
        store = ":memory:"  # a file is checked on its own: no need to open (or create) a store
    with platform_for(store) as platform:
        violations = []
        if files:
            for path in files:
                if not path.is_file():
                    fail(f"{path}: no such file")
                found = dataset.validate_file(platform, path, against_store)
                violations += found
                if found:
                    err.print(f"[bold]{path}[/]: {len(found)} violation(s)")
        else:
            bar = Progress(TextColumn("validating graphs"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                           TimeElapsedColumn(), console=err, transient=True, disable=not err.is_terminal)
            task = bar.add_task("graphs", total=None)
            with bar:
                violations = dataset.validate_store(
                    platform, lambda done, total: bar.update(task, completed=done, total=total))
        for v in violations:
            err.print(f"[red]✗[/] {v.focus}\n    path: {v.path or '-'}\n    {v.message}"
                      + (f"\n    value: {v.value}" if v.value else "")
                      + (f"\n    shape: {v.shape}" if v.shape else ""), highlight=False, soft_wrap=True)
        if violations:
            fail(f"{len(violations)} violation(s)")
        out.print("conforms: no violation")


def _resolve_query(platform: Platform, name: str) -> NamedQuery:
    from importers.text import NotUtf8, decode_utf8
    from store.queries import NamedQuery, parse_query_file

    path = Path(name)
    if path.suffix == ".rq" and path.is_file():
        try:
            text = decode_utf8(path.read_bytes())
        except NotUtf8 as exc:
            fail(f"{path}: {exc}")
        return parse_query_file(path) if "#+ summary:" in text else NamedQuery(path.stem, "", text)
    return platform.queries.get(name)


def _cell(term) -> str:
    return "" if term is None else getattr(term, "value", str(term))


@app.command()
def query(name: Annotated[str, typer.Argument(help="a named query (see `ontosides queries`) or a .rq file")],
          param: Annotated[list[str] | None, typer.Option("--param", "-p", help="NAME=VALUE, repeatable")] = None,
          format: Annotated[str, typer.Option("--format", "-f", help="table, csv or json")] = "table",
          store: StoreOpt = None):
    """Run a named query or a .rq file and print its results."""
    from api.results import results_json
    from store.port import GraphResult

    if format not in ("table", "csv", "json"):
        fail("--format is table, csv or json")
    with platform_for(store) as platform:
        named = _resolve_query(platform, name)
        values = {}
        for item in param or []:
            key, sep, value = item.partition("=")
            if not sep:
                fail(f"--param {item!r}: write NAME=VALUE")
            values[key] = value
        bindings = named.bind(values) if named.params or values else {}
        result = platform.store.execute(named.text, bindings)
        if isinstance(result, GraphResult):
            sys.stdout.write("".join(f"{t} .\n" for t in result.triples))
            return
        if format == "json":
            sys.stdout.write(json.dumps(results_json(result), ensure_ascii=False, indent=1) + "\n")
        elif isinstance(result, bool):
            out.print("true" if result else "false")
        elif format == "csv":
            writer = csv.writer(sys.stdout)
            writer.writerow(result.variables)
            for row in result.rows:
                writer.writerow([_cell(row.get(v)) for v in result.variables])
        else:
            _print_table(result)


def _print_table(rows: Rows) -> None:
    table = Table(*rows.variables, show_lines=False)
    for row in rows.rows:
        table.add_row(*[_cell(row.get(v)) for v in rows.variables])
    out.print(table)
    out.print(f"{len(rows)} row(s)")


@app.command()
def queries():
    """List the named queries with their parameters."""
    from store.queries import QueryLibrary

    for q in QueryLibrary().all():
        params = ", ".join(f"{p.name}:{p.type}" + ("" if p.required else f"={p.default}") for p in q.params)
        out.print(f"[bold]{q.name}[/]({params})  {q.summary}", highlight=False)


@app.command()
def export(output: Annotated[Path | None, typer.Option("--output", "-o", help="file to write; default stdout")] = None,
           graph: Annotated[str | None, typer.Option("--graph", "-g", help="export one graph only")] = None,
           format: Annotated[str, typer.Option("--format", "-f", help="nquads or trig; with --graph also turtle, nt, jsonld, rdfxml")] = "nquads",
           store: StoreOpt = None):
    """Export the dataset or one graph."""
    from services import dataset
    from store.formats import format_named

    with platform_for(store) as platform:
        fmt = format_named(format)
        if output:
            with output.open("wb") as f:
                dataset.export(platform, f, fmt, graph)
            out.print(f"written {output}")
        else:
            dataset.export(platform, sys.stdout.buffer, fmt, graph)


@app.command()
def demo(triples: Annotated[int | None, typer.Option(help="generate about this many triples (default: a small demo)")] = None,
         if_empty: Annotated[bool, typer.Option("--if-empty", help="do nothing if the store already holds data")] = False,
         store: StoreOpt = None):
    """Generate synthetic demo data and load it."""
    from services import dataset
    from services.lists.seed import ensure_library
    from services.synthetic import Scale

    with platform_for(store) as platform:
        if if_empty and dataset.data_graphs(platform):
            out.print(f"store {platform.store.location} already holds data: demo skipped")
            platform.ensure_ontology()
            ensure_library(platform)
            return
        scale = Scale.for_triples(triples) if triples else Scale.demo()
        with err.status("generating and loading demo data…"):
            report = dataset.load_demo(platform, scale, open_epreuve=True)
        out.print(f"demo data: {report.quads} quads in {len(report.graphs)} graphs at {platform.store.location}")


@app.command()
def serve(host: Annotated[str | None, typer.Option(help="interface [default: 127.0.0.1]")] = None,
          port: Annotated[int | None, typer.Option(help="port [default: 8000]")] = None,
          store: StoreOpt = None):
    """Serve the web pages (/ui/) and the HTTP API (docs at /docs, SPARQL at /sparql)."""
    import uvicorn

    from api.app import create_app
    from services.settings import Settings
    from store.errors import StoreError

    settings = Settings(store=store) if store else Settings()
    try:
        application = create_app(settings)
    except StoreError as exc:
        fail(str(exc))
    out.print(f"serving {settings.store} on http://{host or settings.host}:{port or settings.port} "
              "(pages: /ui/, API docs: /docs)")
    uvicorn.run(application, host=host or settings.host, port=port or settings.port, log_level="info")


@import_app.command("lisa")
def import_lisa_command(folder: Annotated[Path, typer.Argument(help="the LiSA export folder (IC-NNN/OIC-….txt)")],
                        store: StoreOpt = None):
    """Import (or re-import) the R2C référentiel from a LiSA wiki export, as the Officiel référentiel."""
    from services.lists.library import ListLibrary
    from services.lists.referentiel import import_lisa

    if not folder.is_dir():
        fail(f"{folder}: not a folder")
    with platform_for(store) as platform:
        platform.ensure_ontology()
        report = import_lisa(ListLibrary(platform), folder, ADMIN_AGENT)
        for problem in report.problems:
            err.print(f"[yellow]![/] {problem}", highlight=False, soft_wrap=True)
        if not report.objectives:
            fail(f"{folder}: no knowledge objective could be read")
        state = "unchanged: nothing written" if report.unchanged else (
            f"{len(report.added)} added, {len(report.updated)} updated, "
            f"{len(report.removed)} removed (kept as deprecated)")
        repaired = {p.file for p in report.problems if p.outcome == "repaired"}
        skipped = {p.file for p in report.problems if p.skipped}
        out.print(f"référentiel: {report.items} items, {report.objectives} objectives; {state}; "
                  f"{len(repaired - skipped)} file(s) repaired, {len(skipped)} skipped (each listed above)")
        for iri in report.removed:
            out.print(f"  removed upstream: {iri}", highlight=False)


@import_app.command("list-csv")
def import_list_csv(path: Annotated[Path, typer.Argument(help="CSV: notation, label_fr, label_en, parent, order")],
                    list_key: Annotated[str, typer.Option("--list", help="the list's key")],
                    level: LevelOpt = "https://w3id.org/ontosides#Officiel", store: StoreOpt = None):
    """Add or update a level's own entries of a list from a spreadsheet, all or nothing."""
    from importers.list_csv import CsvError, parse_csv
    from services.lists.library import ListLibrary

    if not path.is_file():
        fail(f"{path}: no such file")
    with platform_for(store) as platform:
        try:
            rows = parse_csv(path.read_bytes())
        except CsvError as exc:
            fail(f"{path}: {exc}")
        result = ListLibrary(platform).import_rows(list_key, level, rows, ADMIN_AGENT)
        out.print(f"{len(result['added'])} entries added, {len(result['updated'])} updated")


AuthorOpt = Annotated[str | None, typer.Option("--author", help="the person IRI who imports (author of saved items)")]


def _print_import_rows(rows: list[dict]) -> None:
    """The import report, item by item: status, then what was repaired, lost, to complete, refused."""
    for row in rows:
        item = row.get("item")
        kind = item["question"]["type"] if item and item.get("question") else (item or {}).get("kind", "-")
        saved = f"; saved as {row['saved']}" if row.get("saved") else ""
        out.print(f"{row['source']}: {kind} — {row['status']}{saved}", highlight=False)
        for label, key, mark in (("repaired", "repaired", "[cyan]~[/]"), ("lost", "lost", "[yellow]![/]"),
                                 ("to complete", "to_complete", "[yellow]?[/]")):
            for text in row.get(key, []):
                out.print(f"  {mark} {label}: {text}", highlight=False)
        for violation in row.get("violations", []):
            out.print(f"  [red]✗[/] saving refused: {violation.get('path') or ''} {violation['message']}",
                      highlight=False)
    statuses = Counter(row["status"] for row in rows)
    out.print(f"{len(rows)} item(s) read: {statuses['converted']} converted, "
              f"{statuses['converted with losses']} converted with losses, {statuses['not converted']} not converted;"
              f" {sum(1 for row in rows if row.get('saved'))} saved")


def _studio_import(fmt: str, paths: list[Path], author: str | None, save: bool, store: str | None) -> None:
    from importers.converted import NotAnItem, SourceError
    from services.lists.library import ListLibrary
    from services.studio.exchange import convert, convert_package_folder, import_converted
    from services.studio.items import Caller, Studio

    if save and not author:
        fail("--save needs --author (the person IRI the items belong to)")
    # an unpacked content package is read through its manifest; another folder, file by file
    files = [f for p in paths for f in ([p] if not p.is_dir() or (p / "imsmanifest.xml").is_file()
                                        else sorted([*p.glob("*.xml"), *p.glob("*.zip")]))]
    missing = [str(f) for f in files if not f.exists()]
    if missing:
        fail(f"no such file: {', '.join(missing)}")
    with platform_for(store) as platform:
        studio = Studio(platform, ListLibrary(platform))
        rows, refused = [], []
        for path in files:
            try:
                if path.is_dir():
                    converted = convert_package_folder(path, studio)
                else:
                    converted = convert(fmt, path.read_bytes(), path.name, path.parent, studio)
            except NotAnItem as exc:
                if path in paths:
                    refused.append(str(exc))
                else:  # met in a folder: tests, manifests and passages sit beside the items
                    err.print(f"skipped: {exc}", highlight=False)
                continue
            except SourceError as exc:
                # a file that cannot be read at all is refused whole; the others are still imported
                refused.append(str(exc))
                continue
            rows += import_converted(studio, converted, Caller(author), save)
        if rows:
            _print_import_rows(rows)
        for message in refused[:-1]:
            err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
        if refused:
            fail(refused[-1])


@import_app.command("qti")
def import_qti(paths: Annotated[list[Path], typer.Argument(help="QTI 2.2/3.0 items or content packages (.zip), or folders")],
               author: AuthorOpt = None,
               save: Annotated[bool, typer.Option(help="save the items that pass the rules")] = False,
               store: StoreOpt = None):
    """Import QTI items: print each prefilled item's problems; save the valid ones with --save."""
    _studio_import("qti", paths, author, save, store)


@import_app.command("moodle")
def import_moodle(paths: Annotated[list[Path], typer.Argument(help="Moodle XML quiz files")],
                  author: AuthorOpt = None,
                  save: Annotated[bool, typer.Option(help="save the items that pass the rules")] = False,
                  store: StoreOpt = None):
    """Import a Moodle XML quiz (multichoice, truefalse, shortanswer, numerical, matching, essay)."""
    _studio_import("moodle", paths, author, save, store)


@import_app.command("sides-epreuve")
def import_sides_epreuve(epreuve: Annotated[str, typer.Argument(help="the legacy épreuve id, e.g. ep301")],
                         author: Annotated[str, typer.Option("--author", help="the importing person's IRI")],
                         strict: Annotated[bool, typer.Option(help="write nothing if any item cannot be imported")] = False,
                         store: StoreOpt = None):
    """Import a legacy SIDES épreuve (already loaded from the ontoSIDES lake) as items and an evaluation."""
    from services.lists.library import ListLibrary
    from services.studio.items import Caller, Studio
    from services.studio.legacy import Legacy

    with platform_for(store) as platform:
        report = Legacy(Studio(platform, ListLibrary(platform))).import_epreuve(epreuve, Caller(author), strict)
        for row in report["items"]:
            out.print(f"{row['legacy_id']}: " + (f"imported as {row['saved']}" if row["saved"] else "not imported"),
                      highlight=False)
            for problem in row["problems"]:
                err.print(f"  [yellow]![/] {problem}", highlight=False)
        if not report["written"]:
            fail("nothing was written" + (" (--strict)" if strict else ""))
        out.print(f"evaluation {report['evaluation']}")


@lists_app.command("show")
def lists_show(list_key: Annotated[str, typer.Argument(help="the list's key")],
               level: LevelOpt = "https://w3id.org/ontosides#Officiel",
               format: Annotated[str, typer.Option("--format", "-f", help="json, turtle, jsonld or csv")] = "csv",
               store: StoreOpt = None):
    """Print the effective list at a level."""
    from services.lists.library import ListLibrary

    with platform_for(store) as platform:
        sys.stdout.buffer.write(ListLibrary(platform).document(list_key, level, format))


@lists_app.command("diff")
def lists_diff(list_key: Annotated[str, typer.Argument(help="the list's key")],
               level: LevelOpt = "https://w3id.org/ontosides#Officiel", store: StoreOpt = None):
    """Print a level's local changes against its parent."""
    from services.lists.library import ListLibrary

    with platform_for(store) as platform:
        result = ListLibrary(platform).diff(list_key, level)
        if result.get("owner"):
            out.print(result["summary"])
        for change in result["changes"]:
            out.print(f"- {change['text']}", highlight=False)
        for problem in result.get("problems", []):
            err.print(f"[yellow]![/] {problem['message']}", highlight=False)


@lists_app.command("catalogue")
def lists_catalogue(level: LevelOpt = "https://w3id.org/ontosides#Officiel", store: StoreOpt = None):
    """The lists a level sees."""
    from services.lists.library import ListLibrary

    with platform_for(store) as platform:
        for entry in ListLibrary(platform).lists_at(level):
            label = entry["labels"].get("fr") or entry["key"]
            out.print(f"{entry['key']:40} {label}  ({'inherited' if entry['inherited'] else 'own'})",
                      highlight=False)


@index_app.command("rebuild")
def index_rebuild(store: StoreOpt = None):
    """Rebuild the items' search index from the store (after raw writes, or to repair it)."""
    from services.studio.search import open_item_index

    with platform_for(store) as platform:
        started = time.perf_counter()
        count = open_item_index(platform).rebuild()
        where = platform.search_folder() or "memory"
        out.print(f"indexed {count} item(s) in {time.perf_counter() - started:.1f} s -> {where}")


register_grading(app)
register_notation(app)
register_cockpit(app)
register_planner(app)
register_research(app)


def main() -> None:
    """Console entry point: unexpected errors end in one line (ONTOSIDES_DEBUG=1 shows the traceback)."""
    try:
        app()
    except Exception as exc:  # the last resort: a person gets one line, not a traceback
        if os.environ.get("ONTOSIDES_DEBUG"):
            raise
        err.print(f"[bold red]error:[/] {type(exc).__name__}: {exc}", highlight=False, soft_wrap=True)
        sys.exit(1)
