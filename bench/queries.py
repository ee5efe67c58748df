"""Named-query latencies (p50/p95) on the generated dataset, on the embedded on-disk store."""

from __future__ import annotations

import time

from bench.common import arguments, loaded_platform, percentiles


def sample_arguments(platform) -> dict[str, dict]:
    """Parameters taken from the data itself."""
    store = platform.store
    epreuve = store.select("SELECT ?e WHERE { ?e a <https://w3id.org/ontosides#Epreuve> } LIMIT 1").rows[0]["e"]
    student = store.select("SELECT ?s WHERE { ?g <https://w3id.org/ontosides#student> ?s } LIMIT 1").rows[0]["s"]
    email = store.select("SELECT ?m WHERE { ?p <https://w3id.org/ontosides#email> ?m } LIMIT 1").rows[0]["m"]
    tag = store.select("SELECT ?i WHERE { ?q <http://purl.org/dc/terms/subject> ?o . "
                       "?o <http://www.w3.org/2004/02/skos/core#broader> ?i } LIMIT 1").rows[0]["i"]
    return {
        "epreuve_grades": {"epreuve": epreuve.value},
        "question_success": {"epreuve": epreuve.value},
        "student_progress": {"student": student.value},
        "person_by_email": {"email": email.value},
        "items_by_tag": {"tag": tag.value},
        "list_admin_levels": {"person": student.value},
        "list_history": {"list": f"{platform.settings.base_iri}list/referentiel",
                         "level": "https://w3id.org/ontosides#Officiel"},
        "entry_descendants": {"entry": tag.value},
        # an item (os:itemOf), not one of its versions (os:element): a version is in no slot's os:itemOf
        "item_usage": {"item": store.select("SELECT ?i WHERE { ?s <https://w3id.org/ontosides#itemOf> ?i } LIMIT 1"
                                            ).rows[0]["i"].value},
        "legacy_describe": {"root": "http://www.side-sante.fr/sides#q1", "namespace": "http://www.side-sante.fr/sides#"},
        "legacy_items": {"titlePredicate": "http://www.side-sante.fr/sides#has_for_title",
                         "emailPredicate": "http://www.side-sante.fr/sides#has_for_author_email",
                         "namespace": "http://www.side-sante.fr/sides#"},
        "managed_emails": {"person": student.value},
        "managed_organisations": {"person": student.value},
        "media_type": {"hash": "0" * 64},
        "person_emails": {"person": student.value},
        "person_faculties": {"person": student.value},
        "person_universities": {"person": student.value},
    }


def main() -> None:
    """Print p50/p95 per named query."""
    args = arguments(__doc__)
    platform = loaded_platform(args.triples)
    quads = platform.store.count()
    params = sample_arguments(platform)
    print(f"named-query latency on {quads:,} quads (embedded on-disk store), {args.repeat} runs each")
    print(f"{'query':32} {'rows':>6} {'p50 ms':>9} {'p95 ms':>9}")
    for query in platform.queries.all():
        try:
            bindings = query.bind(params.get(query.name, {}))
        except ValueError as exc:
            print(f"{query.name:32} skipped: {exc}")
            continue
        repeat = args.repeat if query.params else max(5, args.repeat // 5)
        samples, rows = [], 0
        for _ in range(repeat):
            started = time.perf_counter()
            rows = len(platform.store.execute(query.text, bindings))
            samples.append((time.perf_counter() - started) * 1000)
        p50, p95 = percentiles(samples)
        print(f"{query.name:32} {rows:>6} {p50:9.1f} {p95:9.1f}")
    platform.store.close()


if __name__ == "__main__":
    main()
