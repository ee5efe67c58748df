"""Validated writes (SHACL + one transaction) of small resources on a store that already holds the dataset."""

from __future__ import annotations

import time

from rdflib import Graph

from bench.common import arguments, loaded_platform, percentiles

PERSON = """@prefix os: <https://w3id.org/ontosides#> . @prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix org: <http://www.w3.org/ns/org#> .
<{base}person/bench{n}> a os:Person ; os:uniqueId "bench-{n}" ; foaf:givenName "Bench" ; foaf:familyName "Mark" ;
  os:email "bench{n}@univ.example.fr" ; os:hasAccount <{base}person/bench{n}/account> .
<{base}person/bench{n}/account> a os:UniversityAccount ; os:eppn "bench{n}@univ.example.fr" ;
  os:issuedBy <{base}org/univ-0> .
<{base}person/bench{n}/function/Enseignant> a os:FunctionAssignment ; org:member <{base}person/bench{n}> ;
  org:role os:Enseignant ; org:organization <{base}org/univ-0/ufr-0> .
"""
ITEM = """@prefix os: <https://w3id.org/ontosides#> . @prefix dcterms: <http://purl.org/dc/terms/> .
<{base}item/bench{n}> a os:IsolatedQuestion, os:QRU ; dcterms:title "Bench QRU {n}" ;
  os:statement "Which germ causes most bacterial sore throats?" ; dcterms:creator <{base}person/t0-0-0> ;
  os:owner <{base}org/univ-0/ufr-0> ; dcterms:subject <{base}list/referentiel/IC-001> ; os:status os:Draft ;
  os:hasOption <{base}item/bench{n}/option/1>, <{base}item/bench{n}/option/2>, <{base}item/bench{n}/option/3>,
               <{base}item/bench{n}/option/4>, <{base}item/bench{n}/option/5> .
<{base}item/bench{n}/option/1> a os:AnswerOption ; os:optionText "Group A streptococcus" ; os:isCorrect true ; os:position 1 .
<{base}item/bench{n}/option/2> a os:AnswerOption ; os:optionText "Staphylococcus" ; os:isCorrect false ; os:position 2 .
<{base}item/bench{n}/option/3> a os:AnswerOption ; os:optionText "Pneumococcus" ; os:isCorrect false ; os:position 3 .
<{base}item/bench{n}/option/4> a os:AnswerOption ; os:optionText "Haemophilus" ; os:isCorrect false ; os:position 4 .
<{base}item/bench{n}/option/5> a os:AnswerOption ; os:optionText "A virus" ; os:isCorrect false ; os:position 5 .
"""


def measure(platform, template: str, kind: str, repeat: int) -> None:
    """Time validated whole-graph writes of one resource kind, and print p50/p95."""
    base = platform.settings.base_iri
    samples, validate_only = [], []
    for n in range(repeat):
        data = Graph().parse(data=template.format(base=base, n=n), format="turtle")
        started = time.perf_counter()
        platform.validator.validate(data, platform.store)
        validate_only.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        platform.writer.replace_graph(f"{base}graph/bench/{kind}/{n}", data)
        samples.append((time.perf_counter() - started) * 1000)
    p50, p95 = percentiles(samples)
    v50, v95 = percentiles(validate_only)
    print(f"{kind:8} ({len(data):2} triples): write p50 {p50:6.1f} ms  p95 {p95:6.1f} ms   "
          f"(SHACL alone p50 {v50:5.1f} ms  p95 {v95:5.1f} ms)")
    for n in range(repeat):
        platform.writer.drop_graph(f"{base}graph/bench/{kind}/{n}")


def main() -> None:
    """Print validated-write latencies."""
    args = arguments(__doc__)
    platform = loaded_platform(args.triples)
    print(f"validated write latency on a store of {platform.store.count():,} quads, {max(args.repeat, 200)} writes each")
    measure(platform, PERSON, "person", max(args.repeat, 200))
    measure(platform, ITEM, "item", max(args.repeat, 200))
    platform.store.close()


if __name__ == "__main__":
    main()
