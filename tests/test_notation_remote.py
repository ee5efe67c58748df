"""NOTATION over a real `oxigraph serve` (the remote adapter): grades written as SPARQL updates are the grades the
embedded store holds for the same data, to the quad, and a barème change and a cold dry run work there too."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from services import dataset
from services.access import Access
from services.access.model import Principal
from services.notation.service import Notation
from services.platform import Platform
from services.synthetic import Scale
from store.embedded import OxigraphStore
from tests.conftest import make_settings, oxigraph_serve

BASE = "https://data.ontosides.fr/"
ADMIN = Principal(f"{BASE}person/admin", True)
SCALE = Scale(universities=1, students_per_faculty=12, questions_per_faculty=8, referentiel_items=6,
              objectives_per_item=3, questions_per_epreuve=6, question_mix=("QRU", "QRM", "QRP", "QROC"))
EPREUVE = "u0f0e0-1"


def _copy(source: Platform, target: Platform) -> None:
    """Every graph of the source written into the target (a remote store takes quads graph by graph)."""
    graphs = [g.value for g in source.store.named_graphs()]
    for start in range(0, len(graphs), 100):
        quads = [ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(g)) for g in graphs[start:start + 100]
                 for t in source.store.graph_triples(ox.NamedNode(g))]
        target.store.replace_graphs(graphs[start:start + 100], ox.serialize(quads, format=ox.RdfFormat.N_QUADS),
                                    ox.RdfFormat.N_QUADS)


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    with oxigraph_serve(tmp_path_factory.mktemp("notation-remote")) as url:
        embedded = Platform.build(make_settings(), OxigraphStore())
        dataset.load_demo(embedded, SCALE)
        remote = Platform.build(make_settings(store=url))
        _copy(embedded, remote)
        yield tuple(Notation(p, Access.build(p).policy) for p in (remote, embedded))
        remote.store.close()


def _grade_quads(platform: Platform, epreuve: str) -> set[tuple]:
    """Every quad of the épreuve's grade graphs and question-score graph, the save time left out."""
    prefixes = (f"{BASE}graph/grades/{epreuve}/", f"{BASE}graph/question-scores/{epreuve}")
    found = set()
    for g in platform.store.named_graphs():
        if g.value.startswith(prefixes):
            found |= {(g.value, str(t.subject), str(t.predicate), str(t.object))
                      for t in platform.store.graph_triples(ox.NamedNode(g.value))
                      if not t.predicate.value.endswith("generatedAtTime") and "contentDigest" not in t.predicate.value}
    return found


def test_grades_written_through_sparql_are_the_embedded_stores(both):
    remote, embedded = both
    for notation in both:
        notation.revoke(ADMIN, EPREUVE, "the test grades it again")
        prefix = f"{BASE}graph/grades/{EPREUVE}/"
        for g in [g.value for g in notation.platform.store.named_graphs() if g.value.startswith(prefix)]:
            notation.platform.writer.drop_graph(g)
        saved = notation.grade(ADMIN, EPREUVE)
        assert saved["written"] == 12 and saved["candidates"] == 12
    quads = _grade_quads(remote.platform, EPREUVE)
    assert len(quads) > 12 * 6 and quads == _grade_quads(embedded.platform, EPREUVE)
    shared = [q for q in quads if q[0] == f"{BASE}graph/question-scores/{EPREUVE}" and q[2].endswith("#fraction>")]
    links = [q for q in quads if q[2].endswith("#hasQuestionScore>")]
    assert 0 < len(shared) < len(links), "scores are shared: fewer than one per candidate and question"


def test_a_bareme_change_and_a_cold_dry_run_over_the_remote_store(both):
    remote, embedded = both
    change = {"items": {"1": {"max_points": 7}}, "questions": {"2": {"neutralised": "full"}}}
    for notation in both:
        notation.grade(ADMIN, EPREUVE)
    cold = Notation(remote.platform, remote.policy).dry_run(ADMIN, EPREUVE, change)
    warm = embedded.dry_run(ADMIN, EPREUVE, change)
    assert cold["summary"]["moved"] == warm["summary"]["moved"] > 0
    assert cold["after"]["mean"] == pytest.approx(warm["after"]["mean"], abs=1e-3)
    for notation in both:
        saved = notation.save_bareme(ADMIN, EPREUVE, change)
        assert saved["grades"]["written"] == 12
    table = {r["candidate"]: r["grade"] for r in remote.students(ADMIN, EPREUVE)["students"]}
    assert table == {r["candidate"]: r["grade"] for r in embedded.students(ADMIN, EPREUVE)["students"]}
    assert _grade_quads(remote.platform, EPREUVE) == _grade_quads(embedded.platform, EPREUVE)
