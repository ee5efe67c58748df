"""The tree of a list for its administrators: every entry marked with where its values come from, hidden
entries kept; moves among siblings planned as reorder changes."""

from __future__ import annotations

from services.lists.model import Change, Entry, Layer
from services.lists.tree import fold, plan_move, tree_view

TOP, UNIV, UFR = "officiel", "univ", "ufr"


def entry(iri: str, level: str = TOP, parent: str | None = None, order: float | None = None, label: str = "") -> Entry:
    return Entry(iri, {"fr": label or iri}, level, iri.upper(), order, parent)


def layers() -> list[Layer]:
    return [
        Layer(TOP, [entry("a", order=1), entry("b", order=2), entry("c", order=3), entry("b1", parent="b", order=1),
                    entry("b2", parent="b", order=2)]),
        Layer(UNIV, [], [Change("hide", "c", UNIV), Change("relabel", "a", UNIV, {"fr": "A (université)"})]),
        Layer(UFR, [entry("u1", UFR, parent="b", label="Élément local")],
              [Change("show", "c", UFR), Change("hide", "b", UFR), Change("reorder", "a", UFR, order=9)]),
    ]


def test_every_entry_is_kept_and_marked_with_the_level_of_each_change():
    view = tree_view(layers())
    assert [n.iri for n in view.children(None)] == ["b", "c", "a"]
    a, b, c = view.nodes["a"], view.nodes["b"], view.nodes["c"]
    assert (a.relabelled_by, a.reordered_by, a.entry.label()) == (UNIV, UFR, "A (université)")
    assert b.hidden_by == UFR and c.hidden_by is None  # the faculty showed again what the university hid
    assert [n.iri for n in view.children("b")] == ["b1", "b2", "u1"]
    assert all(view.nodes[k].under_hidden for k in ("b1", "b2", "u1"))
    assert view.nodes["u1"].own and not a.own and a.local_changes == ("reorder",)
    assert sorted(b.local_changes) == ["hide"] and c.local_changes == ("show",)


def test_the_university_sees_none_of_the_faculty_changes():
    view = tree_view(layers()[:2])
    assert view.nodes["c"].hidden_by == UNIV and view.nodes["b"].hidden_by is None
    assert "u1" not in view.nodes and view.nodes["a"].reordered_by is None


def test_search_ignores_accents_and_case_and_gives_the_path():
    view = tree_view(layers())
    found, total = view.search("element LOCAL")
    assert [n.iri for n in found] == ["u1"] and total == 1
    assert [n.iri for n in view.ancestors("u1")] == ["b"]
    assert fold("Élément") == "element"


def test_a_move_between_ordered_siblings_is_one_change():
    siblings = tree_view(layers()).children("b")  # b1 (1), b2 (2), u1 (no order)
    ordered = [s for s in siblings if s.entry.order is not None]
    assert plan_move(ordered, "b2", 0) == [("b2", 0.0)]
    assert plan_move(ordered, "b1", 1) == [("b1", 3.0)]
    assert plan_move(ordered, "b1", 0) == []


def test_a_move_among_unordered_siblings_numbers_them():
    siblings = tree_view(layers()).children("b")
    assert plan_move(siblings, "u1", 0) == [("u1", 0.0)]  # the others' orders leave room before them
    assert plan_move(siblings, "b1", 1) == [("b2", 1.0), ("b1", 2.0), ("u1", 3.0)]
