"""The « bon à tirer »: an épreuve's full content as candidates will see it before any shuffling, numbered,
with the shuffle options stated, the coefficients, and the answer key in a separate part; as HTML and PDF.

One Jinja2 template (`templates/bat.html.j2`, its content in `_bat_body.html.j2`, which the platform's bon à
tirer page shows too) renders the HTML; WeasyPrint lays it out as PDF. Pictures are read from the platform's
own media folder only: the renderer never fetches anything from the network.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape

from services.exams.model import DISPLAY_FLAGS, Epreuve, Exam

TEMPLATES = Path(__file__).parent / "templates"
DISPLAY_LABELS = {"shuffle_items": "Mélanger les éléments d'épreuve", "shuffle_questions": "Mélanger les questions",
                  "shuffle_options": "Mélanger les propositions de réponses",
                  "show_item_coefficient": "Afficher le coefficient des éléments d'épreuve",
                  "show_question_coefficient": "Afficher le coefficient des questions",
                  "show_question_count": "Afficher le nombre de questions"}
METHOD_LABELS = {"edn-2023": "EDN 2023 (docimologie R2C)", "sides-legacy": "Table de l'ancien SIDES",
                 "tcs-aggregate": "TCS agrégé (panel d'experts)"}
KIND_LABELS = {"QI": "Question isolée", "SQI": "Séquence de questions isolées", "DP": "Dossier progressif",
               "MDCP": "Mini dossier clinique progressif", "DL": "Dossier libre", "LCA": "Lecture critique d'article",
               "KFP": "Key features problem", "ECOS": "Station d'ECOS"}
CHOICE_TYPES = {"QRU", "QRM", "QRP", "QRM_LONG", "QRP_LONG"}


@dataclass
class Question:
    """A question as numbered in the épreuve, with its answer key."""

    number: int
    key: str
    body: dict
    answer: list[str] = field(default_factory=list)


@dataclass
class Element:
    """A linked item as numbered in the épreuve."""

    number: int
    coefficient: float
    item: dict
    version: str
    questions: list[Question] = field(default_factory=list)


def letter(n: int) -> str:
    """The label of the n-th option (0 → A … 25 → Z, then AA …)."""
    return chr(65 + n) if n < 26 else letter(n // 26 - 1) + chr(65 + n % 26)


def answer_key(question: dict) -> list[str]:
    """The right answer of a question, in lines a proofreader reads."""
    lines = []
    qtype = question.get("type")
    if qtype in CHOICE_TYPES or (question.get("options") and qtype != "TCS"):
        right = [letter(n) for n, o in enumerate(question["options"]) if o.get("correct")]
        lines.append("Réponse(s) juste(s) : " + (", ".join(right) or "aucune"))
        for n, option in enumerate(question["options"]):
            if option.get("criticality"):
                word = "indispensable" if option["criticality"] == "indispensable" else "inacceptable"
                lines.append(f"{letter(n)} : {word}")
    if question.get("accepted_answers"):
        lines.append("Réponses acceptées : " + " ; ".join(question["accepted_answers"]))
    if question.get("model_answer"):
        lines.append("Réponse modèle : " + question["model_answer"])
    if question.get("value") is not None:
        tolerance = f" ± {question['tolerance']:g}" if question.get("tolerance") else ""
        lines.append(f"Valeur : {question['value']:g}{tolerance} {question.get('unit') or ''}".rstrip())
    for area in question.get("areas") or []:
        lines.append(f"Zone juste : {area['shape']} {area['coords']}")
    for pair in question.get("pairs") or []:
        lines.append(f"{pair['left']} ↔ {pair['right']}")
    if question.get("expert_answers"):
        panel = ", ".join(f"{str(a['value']).rstrip('/').rsplit('/', 1)[-1]} : {a['count']}"
                          for a in question["expert_answers"])
        lines.append(f"Panel d'experts : {panel}")
    if question.get("max_points") is not None:
        lines.append(f"Points : {question['max_points']:g}")
    return lines or ["(correction manuelle)"]


def number_epreuve(epreuve: Epreuve, items: dict[str, dict]) -> list[Element]:
    """Items numbered in slot order and questions numbered through the épreuve, as shown before shuffling."""
    elements, count = [], 0
    for slot in epreuve.slots:
        item = items[slot.version]
        element = Element(slot.position, slot.coefficient, item, slot.version)
        questions = [item["question"]] if item.get("question") else item.get("questions") or []
        for step, question in enumerate(questions, 1):
            count += 1
            key = str(slot.position) if item.get("question") else f"{slot.position}.{step}"
            element.questions.append(Question(count, key, question, answer_key(question)))
        elements.append(element)
    return elements


def document(exam: Exam, epreuve: Epreuve, items: dict[str, dict], zone: ZoneInfo, printed: dt.datetime) -> dict:
    """What the template shows."""
    elements = number_epreuve(epreuve, items)
    start = epreuve.start.astimezone(zone) if epreuve.start else None
    return {"exam": exam, "epreuve": epreuve, "elements": elements, "kinds": KIND_LABELS,
            "questions": sum(len(e.questions) for e in elements),
            "start": start.strftime("%d/%m/%Y %H:%M") if start else "date non fixée",
            "method": METHOD_LABELS.get(epreuve.grading_method or "", "non choisie"),
            "display": [(DISPLAY_LABELS[name], getattr(epreuve.display, name)) for name in DISPLAY_FLAGS],
            "printed": printed.astimezone(zone).strftime("%d/%m/%Y %H:%M"), "letter": letter,
            "zone": str(zone)}


def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["number"] = lambda value: f"{value:g}"
    return env


def render_html(context: dict) -> str:
    """The bon à tirer as a standalone HTML page."""
    return _environment().get_template("bat.html.j2").render(**context)


def render_body(context: dict) -> str:
    """The bon à tirer's content alone (no page around it), for a page of the platform to show."""
    return _environment().get_template("_bat_body.html.j2").render(**context)


def render_pdf(html: str, local_file) -> bytes:
    """The bon à tirer as PDF; `local_file(url)` gives (content, media type) of a picture the platform stores,
    or None: nothing else is fetched."""
    from weasyprint import HTML  # loads Pango: only when a PDF is asked for
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class MediaOnly(URLFetcher):
        def fetch(self, url, headers=None):
            found = local_file(url)
            if found is None:
                raise ValueError(f"not fetched (only the platform's own media are): {url}")
            content, media_type = found
            return URLFetcherResponse(url, content, {"Content-Type": media_type})

    return HTML(string=html, url_fetcher=MediaOnly(), base_url="about:blank").write_pdf()
