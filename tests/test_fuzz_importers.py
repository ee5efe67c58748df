"""The importers fuzzed below the API: valid QTI items, Moodle quizzes and list CSVs, mutated one element, attribute
or byte range at a time, are read or refused with the importer's own error (never another exception).

Budget: 20 × ONTOSIDES_FUZZ_EXAMPLES files per importer (200 in `make test`, a second; 2,000 in `make fuzz`),
derandomised. Parsing is cheap, so the budget is larger than the API's.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from importers.converted import SourceError
from importers.list_csv import CsvError, parse_csv
from services.studio.exchange import convert

DATA = Path(__file__).parent / "data"
EXAMPLES = 20 * int(os.environ.get("ONTOSIDES_FUZZ_EXAMPLES", "10"))
SAMPLES = {
    "qti": [DATA / "qti" / "tao" / "qcm-ecg.xml", *sorted((DATA / "qti" / "package" / "items").glob("*.xml")),
            DATA / "qti" / "loose" / "two-pictures-absent.xml"],
    "moodle": [DATA / "moodle" / "quiz-images.xml"],
}
CSV = "notation,label_fr,label_en,parent,order\nA,Salle A,Room A,,1\nA1,Salle A1,Room A1,A,2\nB,Salle B,,,3\n"
BUDGET = settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
TEXT = st.text(st.characters(codec="utf-8"), max_size=12) | st.sampled_from(
    ["", "0", "-1", "1e308", "nan", "inf", "1,5", "2.5", "true", "../x.png", "data:image/png;base64,@@",
     "http://127.0.0.1:9/x", "@@PLUGINFILE@@/x.png", "A", "RESPONSE", "SCORE"])


@st.composite
def mutated_xml(draw, path: Path) -> bytes:
    """The sample with one element's attribute or text changed, or the element removed."""
    root = ET.fromstring(path.read_bytes())
    elements = list(root.iter())
    target = draw(st.sampled_from(elements))
    action = draw(st.sampled_from(["attribute", "text", "remove", "duplicate"]))
    if action == "attribute":
        names = [*target.attrib, "identifier", "fraction", "mappedValue", "maxChoices", "href", "src", "type"]
        target.set(draw(st.sampled_from(names)), draw(TEXT))
    elif action == "text":
        target.text = draw(TEXT)
    else:
        parent = next((p for p in elements if target in list(p)), None)
        if parent is not None:
            if action == "remove":
                parent.remove(target)
            else:
                parent.insert(list(parent).index(target), target)
    return ET.tostring(root)


@st.composite
def mutated_bytes(draw, data: bytes) -> bytes:
    """The bytes with one range cut, replaced or duplicated."""
    start = draw(st.integers(0, len(data)))
    end = draw(st.integers(start, min(len(data), start + 64)))
    middle = draw(st.sampled_from([b"", data[start:end] * 2, draw(st.binary(max_size=16))]))
    return data[:start] + middle + data[end:]


@pytest.mark.parametrize("fmt", SAMPLES)
def test_a_mutated_item_file_is_read_or_refused_in_words(fmt):
    samples = SAMPLES[fmt]
    files = st.sampled_from(samples).flatmap(
        lambda path: mutated_xml(path) | mutated_bytes(path.read_bytes()))

    @BUDGET
    @given(data=files)
    def check(data):
        try:
            converted = convert(fmt, data, "fuzz")
        except SourceError as exc:
            assert str(exc).startswith("fuzz")
            return
        assert all(entry.source.startswith("fuzz") for entry in converted)

    check()


def test_a_mutated_list_csv_is_read_or_refused_naming_the_line():
    @BUDGET
    @given(data=mutated_bytes(CSV.encode()))
    def check(data):
        try:
            rows = parse_csv(data)
        except CsvError as exc:
            assert str(exc).startswith(("line ", "the file has no rows")) or "line " in str(exc)
            return
        assert all(row["notation"] for row in rows)

    check()
