"""Bound copies of the analytic named queries for ../shared/tools/virtuoso-compare (which runs plain .rq files).

    python -m bench.virtuoso_queries DATA.nq OUT_DIR [QUERY ...]
    /work/shared/tools/virtuoso-compare DATA.nq OUT_DIR/*.rq

Parameters are bound the way the embedded store binds them (a VALUES block per variable, first in the WHERE
group, `store.sparql_text.inject_values`), with values read from the generated N-Quads: the first épreuve,
the first student with a grade, the item of that épreuve's first slot; defaults (threshold) as declared.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from store.queries import parse_query_file
from store.sparql_text import inject_values

QUERIES = Path(__file__).resolve().parent.parent / "queries"
# Every research named query (the goal: each within 2x of Virtuoso at 10M quads) and the analytic ones.
ANALYTIC = ["success_by_referentiel_item", "success_by_referentiel_entry", "success_by_referentiel_rank",
            "referentiel_success_by_student", "question_success", "item_usage", "item_difficulty_by_specialty",
            "cohort_comparison", "class_counts", "graphs", "students_in_difficulty", "student_progress",
            "student_referentiel_progress", "epreuve_grades", "answer_patterns"]
OS = "https://w3id.org/ontosides#"


def sample_values(data: Path) -> dict[str, str]:
    """The first épreuve, student (of a grade) and slot item of the generated data (one streaming pass, stops
    as soon as all are found)."""
    patterns = {"epreuve": re.compile(rf"^<([^>]+)> <{OS}epreuve> <([^>]+)> <[^>]*/graph/grades/"),
                "student": re.compile(rf"^<[^>]+> <{OS}student> <([^>]+)> <[^>]*/graph/grades/"),
                "item": re.compile(rf"^<[^>]+> <{OS}itemOf> <([^>]+)> ")}
    found: dict[str, str] = {}
    with data.open(encoding="utf-8") as lines:
        for line in lines:
            for name, pattern in patterns.items():
                if name not in found and (m := pattern.match(line)):
                    found[name] = m.groups()[-1]
            if len(found) == len(patterns):
                break
    return found


def main() -> None:
    data, out = Path(sys.argv[1]), Path(sys.argv[2])
    names = sys.argv[3:] or ANALYTIC
    out.mkdir(parents=True, exist_ok=True)
    values = sample_values(data)
    for name in names:
        query = parse_query_file(QUERIES / f"{name}.rq")
        bound = query.bind({p.name: values[p.name] for p in query.params if p.name in values})
        (out / f"{name}.rq").write_text(inject_values(query.text, bound, per_variable=True), encoding="utf-8")
        print(f"{out / name}.rq  {', '.join(f'{k}={v}' for k, v in bound.items())}")


if __name__ == "__main__":
    main()
