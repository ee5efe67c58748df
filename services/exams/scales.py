"""The global rating scales of ECOS stations, in their list's order (the borderline methods need the order)."""

from __future__ import annotations

import pyoxigraph as ox

from services.platform import Platform
from store.sparql_text import inject_values_list


def rating_scales(platform: Platform, stations: list[str]) -> dict[str, list[tuple[str, str]]]:
    """Station IRI → its scale's values as (entry IRI, label), ordered by os:order, then notation, then label."""
    if not stations:
        return {}
    text = inject_values_list(platform.queries_for("taking").get("rating_scale").text, "station",
                              [ox.NamedNode(s) for s in sorted(set(stations))])
    found: dict[str, dict[str, tuple]] = {}
    for row in platform.store.select(text).rows:
        entry = row["entry"].value
        label = row["label"].value if row.get("label") is not None else entry.rsplit("/", 1)[-1]
        order = _number(row.get("order"))
        notation = row["notation"].value if row.get("notation") is not None else ""
        found.setdefault(row["station"].value, {})[entry] = (order, notation, label)
    return {station: [(e, key[2]) for e, key in sorted(entries.items(), key=lambda kv: (kv[1], kv[0]))]
            for station, entries in found.items()}


def _number(term) -> float:
    try:
        return float(term.value) if term is not None else float("inf")
    except ValueError:
        return float("inf")
