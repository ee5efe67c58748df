"""The global ratings ECOS examiners recorded while the épreuve ran, for the borderline standard-setting methods."""

from __future__ import annotations

import pyoxigraph as ox

from services.exams.naming import ExamNames
from services.exams.scales import rating_scales
from services.notation.answers import copy_graphs
from services.notation.sheet import Sheet
from services.platform import Platform
from store.dataset import DatasetSpec
from store.sparql_text import inject_values_list


def stored_ratings(platform: Platform, names: ExamNames, sheet: Sheet, station: str) -> tuple[list[str], dict[str, str]]:
    """A station's scale (labels, in order) and each rated candidate's rating (label), as the examiners saved
    them in the épreuve's copy graphs; the station is the IRI of the question version."""
    scale = rating_scales(platform, [station]).get(station, [])
    labels = dict(scale)
    graphs = copy_graphs(platform, names, sheet)
    ratings: dict[str, str] = {}
    if graphs and scale:
        text = inject_values_list(platform.queries_for("notation").get("station_ratings").text, "question",
                                  [ox.NamedNode(station)])
        rows = platform.store.select(text, dataset=DatasetSpec((), tuple(graphs))).rows
        for row in rows:
            if row["rating"].value in labels:
                ratings[row["student"].value] = labels[row["rating"].value]
    return [label for _, label in scale], ratings
