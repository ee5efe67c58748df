"""Every shape has valid and invalid examples; valid ones conform, invalid ones fail on the expected paths."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pyshacl import validate as pyshacl_validate
from rdflib import Graph
from rdflib.namespace import SH

from store.paths import SHAPES_DIR
from store.validation import ShapeValidator, load_turtle_folder, violations_from_report

EXAMPLES = Path(__file__).parent / "shapes"
VALID = sorted(EXAMPLES.glob("*/valid*.ttl"))
INVALID = sorted(EXAMPLES.glob("*/invalid*.ttl"))


@pytest.fixture(scope="module")
def validator() -> ShapeValidator:
    return ShapeValidator()


def _id(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}"


def expected_paths(path: Path) -> set[str]:
    """The `# expect: <path>` lines of an example; '-' stands for a node-level constraint (no path)."""
    return set(re.findall(r"^# expect: (\S+)$", path.read_text(encoding="utf-8"), re.MULTILINE))


@pytest.mark.parametrize("path", VALID, ids=_id)
def test_valid_example_conforms(validator, path):
    violations = validator.validate(Graph().parse(path, format="turtle"))
    assert violations == [], "\n".join(v.describe() for v in violations)


@pytest.mark.parametrize("path", INVALID, ids=_id)
def test_invalid_example_names_its_violations(validator, path):
    violations = validator.validate(Graph().parse(path, format="turtle"))
    expected = expected_paths(path)
    assert expected, f"{path} declares no '# expect: <path>' line"
    shape = f"osh:{path.parent.name}"
    found = {v.path or "-" for v in violations if v.shape == shape}
    assert expected <= found, f"expected {expected} from {shape}, got {[v.describe() for v in violations]}"
    assert all(v.message and not v.message.startswith("Less than") for v in violations), \
        "every property shape gives a message written for a person"


def test_every_targeting_shape_has_examples():
    shapes = load_turtle_folder(SHAPES_DIR)
    names = {str(s).rsplit("#", 1)[-1] for s in shapes.subjects(SH.targetClass, None)}
    assert names, "no shapes found"
    missing = sorted(n for n in names if not (EXAMPLES / n / "valid.ttl").exists()
                     or not list((EXAMPLES / n).glob("invalid*.ttl")))
    assert missing == []


@pytest.mark.parametrize("path", VALID + INVALID, ids=_id)
def test_reused_shapes_give_the_same_report_as_a_fresh_pyshacl_run(validator, path):
    data = Graph().parse(path, format="turtle")
    ours = validator.validate(data)
    extract = validator.extract_for(data, None)
    conforms, report, _ = pyshacl_validate(extract, shacl_graph=validator.shapes)
    fresh = violations_from_report(report, validator.shapes)
    assert [v.as_dict() for v in ours] == [v.as_dict() for v in fresh]


def test_concurrent_validations_give_the_same_reports(validator):
    from concurrent.futures import ThreadPoolExecutor

    paths = (VALID + INVALID)[:40] * 3
    expected = {p: [v.as_dict() for v in validator.validate(Graph().parse(p, format="turtle"))] for p in set(paths)}
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda p: (p, [v.as_dict() for v in validator.validate(Graph().parse(p, format="turtle"))]),
                                paths))
    assert all(found == expected[p] for p, found in results)


def test_a_focused_run_keeps_exactly_the_focus_nodes_violations_of_a_full_run(validator):
    # Every example in one extract: the focused run (only some subjects checked) against a full run filtered.
    data = Graph()
    for path in VALID + INVALID:
        data.parse(path, format="turtle")
    extract = validator.extract_for(data, None)
    full = validator.validate_extract(extract)
    subjects = sorted({str(s) for s in data.subjects()})
    assert len(full) > len(INVALID) / 2
    for focus in (set(subjects), set(subjects[::2]), set(subjects[1::3])):
        focused = validator.validate_extract(extract, focus)
        assert [v.as_dict() for v in focused] == [v.as_dict() for v in full if v.focus in focus]
