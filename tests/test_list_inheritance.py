"""The inheritance rules, case by case, on plain data: Officiel → Université → UFR → department."""

from __future__ import annotations

from services.lists.inheritance import hidden_descendants, resolve
from services.lists.model import Change, Entry, Layer

OFF, UNIV, UFR, DEPT = "off", "univ", "ufr", "dept"


def base() -> Layer:
    """Officiel: cardio (with two children), pneumo, neuro."""
    return Layer(OFF, [
        Entry("cardio", {"fr": "Cardiologie"}, OFF, "C", 1),
        Entry("cardio/hta", {"fr": "HTA"}, OFF, "C1", 1, "cardio"),
        Entry("cardio/ic", {"fr": "Insuffisance cardiaque"}, OFF, "C2", 2, "cardio"),
        Entry("pneumo", {"fr": "Pneumologie"}, OFF, "P", 2),
        Entry("neuro", {"fr": "Neurologie"}, OFF, "N", 3),
    ])


def labels(effective) -> list[str]:
    return [r.entry.label() for r in effective.entries]


def test_a_level_without_changes_inherits_everything():
    three = resolve([base(), Layer(UNIV), Layer(UFR)])
    assert labels(three) == ["Cardiologie", "HTA", "Insuffisance cardiaque", "Pneumologie", "Neurologie"]
    assert all(r.origin == OFF for r in three.entries)
    assert [r.depth for r in three.entries] == [0, 1, 1, 0, 0]


def test_add_at_root_and_under_an_inherited_entry():
    univ = Layer(UNIV, [Entry("u/onco", {"fr": "Oncologie"}, UNIV, "O", 4),
                        Entry("u/cardio-ped", {"fr": "Cardiopédiatrie"}, UNIV, "C3", 3, "cardio")])
    result = resolve([base(), univ, Layer(UFR)])
    assert labels(result) == ["Cardiologie", "HTA", "Insuffisance cardiaque", "Cardiopédiatrie",
                              "Pneumologie", "Neurologie", "Oncologie"]
    assert result.by_iri()["u/cardio-ped"].origin == UNIV
    # the level above does not see it
    assert "u/onco" not in resolve([base()]).by_iri()


def test_hide_an_entry_and_a_subtree():
    ufr = Layer(UFR, changes=[Change("hide", "neuro", UFR), Change("hide", "cardio", UFR)])
    result = resolve([base(), Layer(UNIV), ufr])
    assert labels(result) == ["Pneumologie"]
    assert result.hidden == ["cardio", "neuro"]
    assert hidden_descendants([base(), Layer(UNIV), ufr], "cardio") == 2
    assert labels(resolve([base(), Layer(UNIV)])) == labels(resolve([base()]))


def test_hidden_parent_hides_entries_added_below_it():
    univ = Layer(UNIV, [Entry("u/x", {"fr": "Sous-cardio"}, UNIV, "CX", 9, "cardio")])
    ufr = Layer(UFR, changes=[Change("hide", "cardio", UFR)])
    assert "u/x" not in resolve([base(), univ, ufr]).by_iri()


def test_relabel_and_reorder():
    univ = Layer(UNIV, changes=[Change("relabel", "pneumo", UNIV, {"fr": "Pneumologie et allergologie"}),
                                Change("reorder", "neuro", UNIV, order=0)])
    result = resolve([base(), univ, Layer(UFR)])
    assert labels(result)[0] == "Neurologie"
    assert result.by_iri()["pneumo"].entry.labels == {"fr": "Pneumologie et allergologie"}
    assert result.by_iri()["pneumo"].overridden_by == {"labels": UNIV}


def test_a_lower_level_can_show_what_an_upper_level_hid():
    univ = Layer(UNIV, changes=[Change("hide", "cardio", UNIV)])
    ufr = Layer(UFR, changes=[Change("show", "cardio", UFR)])
    assert "cardio/hta" not in resolve([base(), univ]).by_iri()
    assert "cardio/hta" in resolve([base(), univ, ufr]).by_iri()


def test_local_list_of_a_lower_level():
    own = Layer(UFR, [Entry("ufr/a", {"fr": "Examen blanc 1"}, UFR, "E1", 1),
                      Entry("ufr/b", {"fr": "Examen blanc 2"}, UFR, "E2", 2)])
    below = resolve([own, Layer(DEPT, changes=[Change("relabel", "ufr/b", DEPT, {"fr": "Rattrapage"})])])
    assert labels(below) == ["Examen blanc 1", "Rattrapage"]


def test_upstream_changes_flow_down():
    layers = [base(), Layer(UNIV), Layer(UFR)]
    layers[0].entries.append(Entry("endoc", {"fr": "Endocrinologie"}, OFF, "E", 5))
    layers[0].entries[3] = Entry("pneumo", {"fr": "Pneumo-allergologie"}, OFF, "P", 2)
    result = resolve(layers)
    assert "Endocrinologie" in labels(result) and "Pneumo-allergologie" in labels(result)


def test_upstream_change_under_an_override_keeps_the_override():
    univ = Layer(UNIV, changes=[Change("relabel", "pneumo", UNIV, {"fr": "Pneumologie (UGA)"})])
    before = resolve([base(), univ, Layer(UFR)]).by_iri()["pneumo"].entry.labels["fr"]
    upstream = base()
    upstream.entries[3] = Entry("pneumo", {"fr": "Pneumologie adulte", "en": "Adult pneumology"}, OFF, "P", 2)
    after = resolve([upstream, univ, Layer(UFR)]).by_iri()["pneumo"].entry
    assert before == after.labels["fr"] == "Pneumologie (UGA)"
    assert after.labels["en"] == "Adult pneumology"  # what the override did not touch flows down


def test_override_of_a_removed_entry_is_reported_not_dropped():
    univ = Layer(UNIV, changes=[Change("relabel", "neuro", UNIV, {"fr": "Neuro"})],
                 entries=[Entry("u/child", {"fr": "Neuro-vasculaire"}, UNIV, "NV", 1, "neuro")])
    upstream = base()
    upstream.entries = [e for e in upstream.entries if e.iri != "neuro"]
    result = resolve([upstream, univ, Layer(UFR)])
    kinds = sorted((p.kind, p.target, p.level) for p in result.problems)
    assert kinds == [("add", "u/child", UNIV), ("relabel", "neuro", UNIV)]
    assert result.by_iri()["u/child"].depth == 0, "an orphan entry is shown at the root, not lost"


def test_deprecated_upstream_entries_disappear_and_overrides_are_reported():
    upstream = base()
    upstream.entries[4] = Entry("neuro", {"fr": "Neurologie"}, OFF, "N", 3, deprecated=True)
    ufr = Layer(UFR, changes=[Change("hide", "neuro", UFR)])
    result = resolve([upstream, Layer(UNIV), ufr])
    assert "neuro" not in result.by_iri()
    assert [p.kind for p in result.problems] == ["hide"]


def test_four_levels_deep_each_level_builds_on_the_one_above():
    univ = Layer(UNIV, changes=[Change("relabel", "cardio", UNIV, {"fr": "Cardio U"})])
    ufr = Layer(UFR, changes=[Change("relabel", "cardio", UFR, {"fr": "Cardio UFR"})],
                entries=[Entry("ufr/x", {"fr": "X"}, UFR, "X", 0, "cardio")])
    dept = Layer(DEPT, changes=[Change("hide", "cardio/hta", DEPT), Change("reorder", "ufr/x", DEPT, order=5)])
    result = resolve([base(), univ, ufr, dept])
    assert result.by_iri()["cardio"].entry.label() == "Cardio UFR"
    assert "cardio/hta" not in result.by_iri()
    children = [r.iri for r in result.entries if r.entry.parent == "cardio"]
    assert children == ["cardio/ic", "ufr/x"]
    assert resolve([base(), univ]).by_iri()["cardio"].entry.label() == "Cardio U"
