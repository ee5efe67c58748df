"""STUDIO's editor form: an item's JSON model (services/studio/model.py) as form fields and back, and what a
refused save says (the shapes' violations, the service's refusals, the model's type errors) placed next to the
field it is about, in plain words.

The form speaks the API's JSON: `parse_form` builds the same dict `POST /items` takes, `fields_of` turns an item
read from the service into that dict, and the page calls the same Studio methods with `Item(**draft)`. Questions
are numbered from 1 in field names (`q1.statement`, `q1.o2.text`, `q2.type` …); an isolated question is `q1`;
the ECOS station's fields start with `st.`.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError

from api.pages.i18n import N_, _
from services.studio.model import Item, Question

QUESTION_TYPES = ("QRU", "QRM", "QRP", "QRM_LONG", "QRP_LONG", "QROC", "QROL", "ZONE", "NUMERIQUE",
                  "ASSOCIATION", "TCS")
KINDS = ("QI", "SQI", "DP", "MDCP", "DL", "LCA", "KFP", "ECOS")
DOSSIERS = ("SQI", "DP", "MDCP", "DL", "LCA", "KFP")
WITH_OPTIONS = ("QRU", "QRM", "QRP", "QRM_LONG", "QRP_LONG")
WITH_COUNT = ("QRP", "QRP_LONG")
WITH_VIGNETTE = ("DP", "MDCP", "KFP")
STATUSES = ("draft", "to_review", "validated")
CRITICALITIES = ("indispensable", "unacceptable")
AREA_SHAPES = ("rect", "circle", "poly")
# Rows shown for a new question of a type (empty rows are left out when the form is read).
OPTION_ROWS = {"QRU": 5, "QRM": 5, "QRP": 5, "QRM_LONG": 12, "QRP_LONG": 12}
MORE_ROWS = 3

TYPE_NAMES = {
    "QRU": N_("Single-answer question (QRU)"), "QRM": N_("Multiple-answer question (QRM)"),
    "QRP": N_("Question with an announced number of answers (QRP)"),
    "QRM_LONG": N_("Long-list multiple-answer question (QRM, long list)"),
    "QRP_LONG": N_("Long-list question with an announced number of answers (QRP, long list)"),
    "QROC": N_("Short open-answer question (QROC)"), "QROL": N_("Long open-answer question (QROL)"),
    "ZONE": N_("Point at an area of a picture (ZONE)"), "NUMERIQUE": N_("Numerical answer (NUMERIQUE)"),
    "ASSOCIATION": N_("Matching pairs (ASSOCIATION)"), "TCS": N_("Script concordance test (TCS)"),
}
KIND_NAMES = {
    "QI": N_("Isolated question"), "SQI": N_("Series of isolated questions (SQI)"),
    "DP": N_("Progressive case (DP)"), "MDCP": N_("Mini progressive case (MDCP)"), "DL": N_("Free dossier (DL)"),
    "LCA": N_("Critical reading of an article (LCA)"), "KFP": N_("Key-feature problem (KFP)"),
    "ECOS": N_("ECOS station"),
}
STATUS_NAMES = {"draft": N_("draft"), "to_review": N_("to review"), "validated": N_("validated")}
CRITICALITY_NAMES = {"": N_("ordinary"), "indispensable": N_("indispensable"), "unacceptable": N_("unacceptable")}
AREA_NAMES = {"rect": N_("rectangle"), "circle": N_("circle"), "poly": N_("polygon")}

# The shapes' messages (shapes/core/items.ttl, shapes/studio/items.ttl) without their technical names in brackets,
# in plain words: `plain` strips the brackets, the catalogue translates the rest.
RULES = (
    N_("An indispensable option must be a right option."), N_("An unacceptable option must be a wrong option."),
    N_("A QRU has 4 or 5 answer options."), N_("A QRU has exactly one right option."),
    N_("A QRM has 4 or 5 answer options."), N_("A QRM has at least one right option."),
    N_("A QRP has 4 or 5 answer options."), N_("A QRP announces its number of expected answers."),
    N_("A long-list question has 10 to 25 options."), N_("A long-list question expects 1 to 5 right options."),
    N_("A long-list QRP announces 1 to 5 expected answers."),
    N_("A QROC lists at least one accepted answer, synonyms included."), N_("A QROC has no answer options."),
    N_("A QROL gives the model answer graders correct against."), N_("A QROL says how many points it is worth."),
    N_("A ZONE question shows exactly one image."), N_("A ZONE question marks at least one right area of its image."),
    N_("An area's shape is rect, circle or poly."),
    N_("An area's coordinates are comma-separated pixels, as in HTML image maps (x1,y1,x2,y2 …)."),
    N_("A NUMERIQUE question gives exactly one right value."), N_("A tolerance is one number ≥ 0."),
    N_("A NUMERIQUE question has at most one unit."), N_("An ASSOCIATION question has at least two pairs to match."),
    N_("A pair has one left member."), N_("A pair has one right member."), N_("A TCS states one hypothesis."),
    N_("A TCS gives one new piece of information."), N_("A TCS is answered on a scale of the list library."),
    N_("A TCS records its expert panel's answers."), N_("An expert answer names one value of the scale."),
    N_("An expert answer counts the experts who chose it."), N_("A step has one position."),
    N_("A step asks exactly one question."), N_("A progressive case opens with a vignette."),
    N_("A progressive case has at least two steps."), N_("A mini progressive case has at most five steps."),
    N_("A DL has one general statement."), N_("A DL groups at least one question."),
    N_("An LCA is about one article."), N_("An LCA asks at least one question."),
    N_("An SQI is a block of at least two isolated questions."), N_("A KFP opens with a short case."),
    N_("A KFP asks at least two key-feature questions."), N_("A station has one scenario."),
    N_("A station tells the candidate what to do."),
    N_("A station has at most one script for the standardised patient."),
    N_("A station lasts a positive number of minutes."),
    N_("A station has a checklist of at least one observable item."),
    N_("A station's global rating scale is one list of the library."), N_("A checklist item says what is observed."),
    N_("A checklist item is worth a number of points ≥ 0."), N_("An option shows at most one picture."),
    N_("An attachment is one stored file."), N_("An exam item needs exactly one title."),
    N_("An exam item needs an author."), N_("An exam item has at most one owning institution."),
    N_("Tags must be entries of the list library."), N_("An item's status is one of draft, to review, validated."),
    N_("A question needs exactly one statement."), N_("An answer option needs exactly one text."),
    N_("An answer option is right or wrong: exactly one os:isCorrect true/false."),
    N_("An option is at most one of indispensable or unacceptable."), N_("An option's position is one integer."),
    N_("A stored file is named by the SHA-256 of its content."), N_("A stored file has one media type."),
    N_("An attachment has one position."),
)
COUNT_RULE = re.compile(r"The announced number of expected answers \((\d+)\) differs from the number of right "
                        r"options \((\d+)\)\.")
TECHNICAL = re.compile(r" \((?:os|dcterms):[^()]*\)")
NOT_IN_LIST = re.compile(r"^(tags|specialties|transversal): (\S+) is not in the effective list '([^']+)' at (\S+)$")
NOT_ON_SCALE = re.compile(r"^question (\d+): expert answer (\S+) is not a value of the scale (\S+)$")

# Where a property of the shapes is edited: the field of a question, of the item, of the station.
QUESTION_PATHS = {
    "os:statement": "statement", "os:hasOption": "options", "os:expectedAnswerCount": "expected_count",
    "os:acceptedAnswer": "accepted_answers", "os:modelAnswer": "model_answer", "os:maxPoints": "max_points",
    "os:image": "image", "os:correctArea": "areas", "os:numericValue": "value", "os:tolerance": "tolerance",
    "os:unit": "unit", "os:hasPair": "pairs", "os:hypothesis": "hypothesis",
    "os:newInformation": "new_information", "os:likertScale": "scale", "os:expertAnswer": "expert_answers",
    "os:hasAttachment": "attachments",
}
ITEM_PATHS = {
    "dcterms:title": "title", "dcterms:creator": "", "os:owner": "", "dcterms:subject": "tags", "os:status": "status",
    "os:specialty": "specialties", "os:transversalKnowledge": "transversal", "os:vignette": "vignette",
    "os:statement": "statement", "os:article": "article", "os:hasStep": "questions", "os:hasAttachment": "attachments",
}
STATION_PATHS = {
    "os:scenario": "st.scenario", "os:candidateInstructions": "st.candidate_instructions",
    "os:patientInstructions": "st.patient_instructions", "os:durationMinutes": "st.duration_minutes",
    "os:hasChecklistItem": "st.checklist", "os:globalRatingScale": "st.rating_scale",
}
PART = {"option": "o", "area": "a", "pair": "p", "expert": "e", "check": "c"}
MODEL_FIELDS = set(Item.model_fields)


def plain(message: str) -> str:
    """A rule's message in the caller's language, without the technical names in brackets."""
    counted = COUNT_RULE.fullmatch(message)
    if counted:
        return _("The announced number of expected answers (%(announced)s) differs from the number of right "
                 "options (%(right)s).") % {"announced": counted[1], "right": counted[2]}
    return _(TECHNICAL.sub("", message))


# --- reading the form ------------------------------------------------------------------------------------
class Form:
    """The posted fields, read leniently: a bad number is an error next to its field, not a failed request."""

    def __init__(self, data):
        self.data = data
        self.errors: dict[str, list[dict]] = {}

    def has(self, name: str) -> bool:
        return name in self.data

    def text(self, name: str) -> str:
        value = self.data.get(name)
        return value.strip() if isinstance(value, str) else ""

    def optional(self, name: str) -> str | None:
        return self.text(name) or None

    def all(self, name: str) -> list[str]:
        return [v.strip() for v in self.data.getlist(name) if isinstance(v, str) and v.strip()]

    def lines(self, name: str) -> list[str]:
        return [line.strip() for line in self.text(name).splitlines() if line.strip()]

    def number(self, name: str, whole: bool = False) -> float | int | None:
        text = self.text(name).replace(",", ".").replace(" ", "")
        if not text:
            return None
        try:
            value = float(text)
        except ValueError:
            self.error(name, _("Type a whole number.") if whole else _("Type a number (for example 4.5)."))
            return None
        if whole:
            if value != int(value):
                self.error(name, _("Type a whole number."))
                return None
            return int(value)
        return value

    def error(self, key: str, message: str, english: bool = False) -> None:
        self.errors.setdefault(key, []).append({"text": message, "lang": "en" if english else None})


def blank_question(qtype: str = "QRU") -> dict:
    """A new question of a type, every field at its default."""
    return Question(type=qtype, statement="").model_dump()


def blank_item(kind: str = "QI", qtype: str = "QRU") -> dict:
    """A new item of a kind (an isolated question of a type), as the editor starts it."""
    kind = kind if kind in KINDS else "QI"
    qtype = qtype if qtype in QUESTION_TYPES else "QRU"
    draft = Item(kind=kind, title="").model_dump()
    return normalised(draft, qtype)


def normalised(draft: dict, qtype: str = "QRU") -> dict:
    """The parts a kind needs, carried over when the kind changes (an isolated question becomes a dossier's first
    question, a dossier's first question the isolated one)."""
    kind = draft.get("kind") if draft.get("kind") in KINDS else "QI"
    draft["kind"] = kind
    questions = ([draft["question"]] if draft.get("question") else []) + list(draft.get("questions") or [])
    if kind == "QI":
        draft["question"] = questions[0] if questions else blank_question(qtype)
        draft["questions"] = []
    elif kind in DOSSIERS:
        draft["question"] = None
        draft["questions"] = questions or [blank_question(qtype)]
    else:
        draft["question"], draft["questions"] = None, []
    if kind == "ECOS" and not draft.get("station"):
        draft["station"] = {"scenario": "", "candidate_instructions": "", "patient_instructions": None,
                            "duration_minutes": None, "checklist": [], "rating_scale": None}
    if kind != "ECOS":
        draft["station"] = None
    return draft


def fields_of(item: dict) -> dict:
    """An item as the service returns it, reduced to the JSON model (what the form edits)."""
    draft = {k: v for k, v in item.items() if k in MODEL_FIELDS}
    return normalised(Item(**draft).model_dump())


def questions_of(draft: dict) -> list[dict]:
    """The questions of a draft in form order (an isolated question is the first)."""
    return [draft["question"]] if draft.get("question") else list(draft.get("questions") or [])


def _question(form: Form, n: int) -> dict:
    key = f"q{n}"
    qtype = form.text(f"{key}.type")
    question = blank_question(qtype if qtype in QUESTION_TYPES else "QRU")
    question["statement"] = form.text(f"{key}.statement")
    for name in ("model_answer", "unit", "hypothesis", "new_information", "scale", "teaching_comment", "comment",
                 "hint", "image"):
        question[name] = form.optional(f"{key}.{name}")
    question["expected_count"] = form.number(f"{key}.expected_count", whole=True)
    for name in ("max_points", "value", "tolerance"):
        question[name] = form.number(f"{key}.{name}")
    question["accepted_answers"] = form.lines(f"{key}.accepted_answers")
    question["attachments"] = form.all(f"{key}.attachments")
    m = 1
    while form.has(f"{key}.o{m}.text"):
        row = f"{key}.o{m}"
        option = {"text": form.text(f"{row}.text"), "correct": bool(form.text(f"{row}.correct")),
                  "criticality": form.text(f"{row}.criticality") or None, "comment": form.optional(f"{row}.comment"),
                  "image": form.optional(f"{row}.image")}
        if option["criticality"] not in CRITICALITIES:
            option["criticality"] = None
        if option["text"] or option["correct"] or option["criticality"] or option["comment"] or option["image"]:
            question["options"].append(option)
        m += 1
    m = 1
    while form.has(f"{key}.a{m}.coords"):
        coords, shape = form.text(f"{key}.a{m}.coords"), form.text(f"{key}.a{m}.shape") or "rect"
        if coords:
            question["areas"].append({"shape": shape if shape in AREA_SHAPES else "rect", "coords": coords})
        m += 1
    m = 1
    while form.has(f"{key}.p{m}.left"):
        left, right = form.text(f"{key}.p{m}.left"), form.text(f"{key}.p{m}.right")
        if left or right:
            question["pairs"].append({"left": left, "right": right})
        m += 1
    m = 1
    while form.has(f"{key}.e{m}.value"):
        count = form.number(f"{key}.e{m}.count", whole=True)
        if count is not None:
            question["expert_answers"].append({"value": form.text(f"{key}.e{m}.value"), "count": count})
        m += 1
    return question


def parse_form(data) -> tuple[dict, Form]:
    """The item a posted editor form describes, in the API's JSON form, and the errors met reading it."""
    form = Form(data)
    kind = form.text("kind")
    draft: dict[str, Any] = {
        "kind": kind if kind in KINDS else "QI", "title": form.text("title"), "owner": form.optional("owner"),
        "coauthors": [], "status": form.text("status") if form.text("status") in STATUSES else "draft",
        "tags": list(dict.fromkeys(form.all("tags"))), "specialties": form.all("specialties"),
        "transversal": form.all("transversal"), "vignette": form.optional("vignette"),
        "statement": form.optional("statement"), "article": form.optional("article"),
        "attachments": form.all("attachments"), "teaching_comment": form.optional("teaching_comment"),
        "comment": form.optional("comment"), "hint": form.optional("hint"),
        "legacy_id": form.optional("legacy_id"), "question": None, "questions": [], "station": None}
    draft["coauthors"] = form.lines("coauthors")
    questions = []
    n = 1
    while form.has(f"q{n}.type"):
        questions.append(_question(form, n))
        n += 1
    if draft["kind"] == "QI":
        draft["question"] = questions[0] if questions else None
    elif draft["kind"] in DOSSIERS:
        draft["questions"] = questions
    if form.has("st.scenario"):
        station = {"scenario": form.text("st.scenario"),
                   "candidate_instructions": form.text("st.candidate_instructions"),
                   "patient_instructions": form.optional("st.patient_instructions"),
                   "duration_minutes": form.number("st.duration_minutes", whole=True),
                   "rating_scale": form.optional("st.rating_scale"), "checklist": []}
        m = 1
        while form.has(f"st.c{m}.text"):
            text, points = form.text(f"st.c{m}.text"), form.number(f"st.c{m}.points")
            if text or points is not None:
                station["checklist"].append({"text": text, "points": points})
            m += 1
        draft["station"] = station
    return normalised(draft, questions[0]["type"] if questions else "QRU"), form


def person_iris(lines: list[str], base: str) -> list[str]:
    """Co-authors typed as ids (t0-0-1) or IRIs."""
    return [line if ":" in line else f"{base}person/{line}" for line in lines]


# --- the model's own checks -------------------------------------------------------------------------------
def model_errors(draft: dict, form: Form) -> Item | None:
    """The draft as the API's Item, or None with each type error next to its field."""
    try:
        return Item(**{k: v for k, v in draft.items() if k in MODEL_FIELDS})
    except ValidationError as exc:
        for error in exc.errors():
            form.error(model_key(draft, error["loc"]), _("This field needs a value of the right kind (%(why)s).")
                       % {"why": error["msg"]})
        return None


def model_key(draft: dict, loc: tuple) -> str:
    """The form field of a place in the JSON model (as pydantic names it)."""
    loc = list(loc)
    if loc[:1] == ["question"]:
        loc = ["questions", 0, *loc[1:]]
    if loc[:1] == ["questions"] and len(loc) >= 2 and isinstance(loc[1], int):
        key = f"q{loc[1] + 1}"
        rest = loc[2:]
        if rest[:1] in (["options"], ["areas"], ["pairs"], ["expert_answers"]) and len(rest) >= 2:
            letter = {"options": "o", "areas": "a", "pairs": "p", "expert_answers": "e"}[rest[0]]
            return f"{key}.{letter}{rest[1] + 1}"
        return f"{key}.{rest[0]}" if rest else key
    if loc[:1] == ["station"]:
        rest = loc[1:]
        if rest[:1] == ["checklist"] and len(rest) >= 2:
            return f"st.c{rest[1] + 1}"
        return f"st.{rest[0]}" if rest else "st.scenario"
    return str(loc[0]) if loc else ""


# --- placing a refusal next to its field ---------------------------------------------------------------
def violation_key(violation: dict, kind: str) -> str:
    """The form field a shape violation is about: its focus node (the item, a dossier's question, an option …)
    and its property path."""
    focus = violation.get("focus") or ""
    path = violation.get("path") or ""
    match = re.search(r"/item/[^/]+((?:/[a-z]+/\d+)*)$", focus)
    if not match:
        return ""
    parts = re.findall(r"/([a-z]+)/(\d+)", match[1])
    question = 1 if kind == "QI" else None
    for name, number in parts:
        if name in ("q", "step"):
            question = int(number)
        elif name == "check":
            return f"st.c{number}"
        elif name == "attachment":
            return f"q{question}.attachments" if question and kind != "QI" else "attachments"
        elif name in PART:
            return f"q{question or 1}.{PART[name]}{number}"
    if question is None or (kind == "QI" and path not in QUESTION_PATHS and path in ITEM_PATHS):
        return STATION_PATHS.get(path) or ITEM_PATHS.get(path, "")
    if path in QUESTION_PATHS:
        return f"q{question}.{QUESTION_PATHS[path]}"
    if COUNT_RULE.fullmatch(violation.get("message") or ""):
        return f"q{question}.expected_count"
    return f"q{question}"


def place_violations(violations: list[dict], kind: str, form: Form) -> None:
    """Each violation next to its field, in plain words."""
    for violation in violations:
        if "focus" not in violation:  # a refusal of the service in words
            place_refusal(violation.get("message", ""), form)
            continue
        message = violation.get("message", "")
        form.error(violation_key(violation, kind), plain(message), english=not _known(message))


def _known(message: str) -> bool:
    return bool(COUNT_RULE.fullmatch(message)) or TECHNICAL.sub("", message) in RULES


def place_refusal(text: str, form: Form, labels: dict[str, str] | None = None) -> None:
    """A refusal of the service (tags outside the faculty's lists, a value not on the scale …) next to its field."""
    labels = labels or {}
    for part in text.split("; "):
        listed = NOT_IN_LIST.match(part)
        scaled = NOT_ON_SCALE.match(part)
        if listed:
            form.error(listed[1], _("« %(entry)s » is not in this list as the item's faculty sees it (hidden or "
                                    "unknown there): remove it.") % {"entry": labels.get(listed[2], listed[2])})
        elif scaled:
            form.error(f"q{scaled[1]}.expert_answers",
                       _("An expert answer is not a value of the chosen scale: choose the counts again."))
        else:
            form.error("", part, english=True)
