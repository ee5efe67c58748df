"""Dataset-level use cases: load files, validate files and the store, generate demo data, export."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph

from services.planner.demo import plan_demo_exam
from services.synthetic import Scale, write_nquads
from services.lists.seed import ensure_library
from services.platform import ONTOLOGY_GRAPH, Platform
from store.errors import ImportFailed, ValidationFailed, Violation
from store.formats import QUAD_FORMATS, format_of, parse_error, screen_xml
from store.search_index import mark_stale
from store.terms import STAGING_PREFIX, SYSTEM_GRAPH, to_rdflib_graph

SKIPPED_GRAPHS = {ONTOLOGY_GRAPH, SYSTEM_GRAPH}
REVISION = ox.NamedNode("https://w3id.org/ontosides#revision")


@dataclass
class LoadReport:
    """What a load did."""

    path: str
    quads: int
    graphs: list[str] = field(default_factory=list)


def data_graphs(platform: Platform) -> list[ox.NamedNode]:
    """The named graphs that hold data (not the ontology or the system graph)."""
    return sorted((g for g in platform.store.named_graphs()
                   if g.value not in SKIPPED_GRAPHS and not g.value.startswith(STAGING_PREFIX)),
                  key=lambda g: g.value)


# Whole-store checks, files and bulk loads (the batch close) are judged by pyshacl itself, the reference the
# compiled checker of API writes is proven against.
BATCH_ENGINE = "pyshacl"


def validate_graph(platform: Platform, graph: ox.NamedNode) -> list[Violation]:
    """Violations of one stored graph, with its neighbours' types."""
    return platform.validator.validate(to_rdflib_graph(platform.store.graph_triples(graph)), platform.store,
                                       engine=BATCH_ENGINE)


def validate_store(platform: Platform, progress: Callable[[int, int], None] | None = None) -> list[Violation]:
    """Violations of every data graph of the store, graph by graph."""
    graphs = data_graphs(platform)
    found: list[Violation] = []
    for index, graph in enumerate(graphs, 1):
        found.extend(validate_graph(platform, graph))
        if progress:
            progress(index, len(graphs))
    return found


def parse_file(path: Path) -> Graph:
    """Parse an RDF file of any supported format into one rdflib graph (quads merged), with the store's own
    parsers: errors name the line, JSON-LD never fetches a remote context, RDF/XML entities are refused."""
    fmt = format_of(path)
    if fmt == ox.RdfFormat.RDF_XML:
        with Path(path).open("rb") as f:
            screen_xml(f, path.name)
    try:
        return to_rdflib_graph(quad.triple for quad in ox.parse(path=path, format=fmt))
    except SyntaxError as exc:
        raise ImportFailed(f"{path.name} does not parse: {parse_error(exc)}") from None


def validate_file(platform: Platform, path: Path, against_store: bool = False) -> list[Violation]:
    """Violations of a file; neighbours' types come from the store when asked."""
    return platform.validator.validate(parse_file(Path(path)), platform.store if against_store else None,
                                       engine=BATCH_ENGINE)


def load_file(platform: Platform, path: Path, graph: str | None = None, validate: bool = True,
              progress: Callable[[int], None] | None = None) -> LoadReport:
    """Bulk-load a file all or nothing; validated graphs stay, an invalid load is dropped whole."""
    path = Path(path)
    fmt = format_of(path)
    if fmt == ox.RdfFormat.RDF_XML:
        with path.open("rb") as f:
            screen_xml(f, path.name)
    target = ox.NamedNode(graph) if graph else None
    before = {g.value for g in platform.store.named_graphs()}
    quads = platform.store.bulk_load(path, fmt, target, progress)
    loaded = sorted({g.value for g in platform.store.named_graphs()} - before)
    # Items may have come in behind the search index: it is rebuilt from the store when next opened.
    mark_stale(platform.search_folder())
    if validate:
        violations = [v for g in loaded for v in validate_graph(platform, ox.NamedNode(g))]
        if violations:
            for g in loaded:
                platform.writer.drop_graph(g)
            raise ValidationFailed(violations)
    return LoadReport(str(path), quads, loaded)


def load_demo(platform: Platform, scale: Scale | None = None, progress: Callable[[int], None] | None = None,
              validate: bool = False, open_epreuve: bool = False) -> LoadReport:
    """Generate synthetic data and bulk-load it (with the ontology and the Officiel list library), then plan an
    upcoming exam through the planner (the generator's exams are past); with `open_epreuve`, also a training
    épreuve open now, already taken by a few candidates, and an ECOS circuit an examiner already rated (what
    `ontosides demo` shows a newcomer)."""
    platform.ensure_ontology()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "demo.nq"
        write_nquads(path, scale or Scale.demo(), platform.settings.base_iri)
        merged = _merge_into_existing(platform, path)
        report = load_file(platform, path, validate=validate, progress=progress)
    ensure_library(platform)
    exam = plan_demo_exam(platform)
    planned = [platform.iri("graph", "exam", exam.key)] if exam else []
    if open_epreuve:
        from services.taking.demo import open_demo_ecos, open_demo_epreuve  # the taking services sit above

        for opened in (open_demo_epreuve(platform), open_demo_ecos(platform)):
            planned += [platform.iri("graph", "exam", opened.key)] if opened else []
    report.graphs = sorted(set(report.graphs) | set(merged) | set(planned))
    return report


def _merge_into_existing(platform: Platform, path: Path) -> list[str]:
    """Add the generated triples of graphs the store already has (the list library's, after `init`) in one
    update, with a fresh revision token; the file keeps only the new graphs, for the bulk load."""
    existing = {g.value for g in platform.store.named_graphs()}
    kept, merged = [], {}
    with path.open("rb") as f:
        for quad in ox.parse(f, ox.RdfFormat.N_QUADS):
            if quad.graph_name.value in existing:
                merged.setdefault(quad.graph_name.value, []).append(quad.triple)
            else:
                kept.append(quad)
    if not merged:
        return []
    with path.open("wb") as f:
        ox.serialize(kept, f, ox.RdfFormat.N_QUADS)
    operations = []
    for graph, triples in merged.items():
        target = ox.NamedNode(graph)
        body = ox.serialize([t for t in triples if t.predicate != REVISION], format=ox.RdfFormat.N_TRIPLES).decode()
        operations += [f"DELETE WHERE {{ GRAPH {target} {{ {target} {REVISION} ?token }} }}",
                       f"INSERT DATA {{ GRAPH {target} {{\n{body}{target} {REVISION} \"{uuid.uuid4().hex}\" .\n}} }}"]
    platform.store.update(" ;\n".join(operations))
    return list(merged)


def export(platform: Platform, output, fmt: ox.RdfFormat, graph: str | None = None) -> None:
    """Write the dataset (N-Quads/TriG) or one graph to a binary stream."""
    if graph is None and fmt not in QUAD_FORMATS:
        raise ValueError("the whole dataset exports as nquads or trig; give --graph for other formats")
    platform.store.dump(output, fmt, ox.NamedNode(graph) if graph else None)
