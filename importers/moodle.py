"""Moodle XML: export and import multichoice, truefalse, shortanswer, numerical, matching and essay questions."""

from __future__ import annotations

import base64
import html
import mimetypes
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from urllib.parse import unquote

from importers.converted import LOST, REPAIRED, TO_COMPLETE, Converted, MediaMissing, SourceError, read_number
from importers.qti_content import BLOCKS, tidy
from importers.xml_input import XmlRefused, read_xml

EXPORTED = {"QRU": "multichoice", "QRM": "multichoice", "QRM_LONG": "multichoice", "QROC": "shortanswer",
            "NUMERIQUE": "numerical", "ASSOCIATION": "matching", "QROL": "essay"}


def _text(parent: ET.Element, tag: str, value: str, fmt: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, tag, {"format": fmt} if fmt else {})
    ET.SubElement(element, "text").text = value
    return element


def _plain(value: str | None) -> str:
    """Text of a Moodle HTML field."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", value or ""))).strip()


def _html_text(value: str) -> str:
    """Plain text as Moodle HTML, its lines kept."""
    return "<br>".join(html.escape(line) for line in value.split("\n"))


def to_moodle(items: list[dict]) -> tuple[str, list[str]]:
    """A Moodle XML quiz of the isolated questions Moodle can express; the others are reported."""
    quiz = ET.Element("quiz")
    problems = []
    for item in items:
        q = item.get("question")
        if item.get("kind") != "QI" or q is None or q["type"] not in EXPORTED:
            problems.append(f"{item.get('title')}: {q['type'] if q else item.get('kind')} has no Moodle question type")
            continue
        question = ET.SubElement(quiz, "question", {"type": EXPORTED[q["type"]]})
        _text(question, "name", item["title"])
        picture = f'<p><img src="{html.escape(q["image"])}" alt=""></p>' if q.get("image") else ""
        _text(question, "questiontext", _html_text(q["statement"]) + picture, "html")
        if q.get("teaching_comment"):
            _text(question, "generalfeedback", _html_text(q["teaching_comment"]), "html")
        if q.get("hint"):
            _text(question, "hint", _html_text(q["hint"]), "html")
        if q.get("attachments"):
            problems.append(f"{item['title']}: attachments are not exported (Moodle XML carries pictures only)")
        ET.SubElement(question, "defaultgrade").text = str(q.get("max_points") or 1)
        if q["type"] in ("QRU", "QRM", "QRM_LONG"):
            right = sum(1 for o in q["options"] if o["correct"]) or 1
            ET.SubElement(question, "single").text = "true" if q["type"] == "QRU" else "false"
            ET.SubElement(question, "shuffleanswers").text = "true"
            for option in q["options"]:
                fraction = f"{100 / right:.5g}" if option["correct"] else "0"
                picture = f' <img src="{html.escape(option["image"])}" alt="">' if option.get("image") else ""
                answer = _text(question, "answer", _html_text(option["text"]) + picture, "html")
                answer.set("fraction", fraction)
                # the criticality has no Moodle field: it travels on the feedback's first line
                lines = ([f"criticality:{option['criticality']}"] if option.get("criticality") else []) + \
                    ([_html_text(option["comment"])] if option.get("comment") else [])
                if lines:
                    _text(answer, "feedback", "<br>".join(lines), "html")
            if any(o.get("criticality") for o in q["options"]):
                problems.append(f"{item['title']}: indispensable/unacceptable marks travel as answer feedback only")
        elif q["type"] == "QROC":
            for accepted in q["accepted_answers"]:
                _text(question, "answer", accepted).set("fraction", "100")
        elif q["type"] == "NUMERIQUE":
            answer = _text(question, "answer", f"{q['value']:g}")
            answer.set("fraction", "100")
            ET.SubElement(answer, "tolerance").text = f"{q.get('tolerance') or 0:g}"
            if q.get("unit"):
                unit = ET.SubElement(ET.SubElement(question, "units"), "unit")
                ET.SubElement(unit, "multiplier").text = "1"
                ET.SubElement(unit, "unit_name").text = q["unit"]
        elif q["type"] == "ASSOCIATION":
            for pair in q["pairs"]:
                sub = _text(question, "subquestion", _html_text(pair["left"]), "html")
                _text(sub, "answer", pair["right"])
        elif q["type"] == "QROL":
            _text(question, "graderinfo", _html_text(q.get("model_answer") or ""), "html")
    ET.indent(quiz)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(quiz, encoding="unicode"), problems


# Moodle's default texts for right, partly right and wrong answers: they carry nothing of the item.
DEFAULT_FEEDBACK = {"Your answer is correct.", "Your answer is partially correct.", "Your answer is incorrect.",
                    "Votre réponse est correcte.", "Votre réponse est partiellement correcte.",
                    "Votre réponse est incorrecte."}
OUTCOME_FEEDBACK = (("correctfeedback", "right"), ("partiallycorrectfeedback", "partly right"),
                    ("incorrectfeedback", "wrong"))
PLAYERS = {"audio", "video", "iframe", "object", "embed"}


class _Html(HTMLParser):
    """The text of a Moodle HTML field, one line per paragraph, and the pictures and players it shows."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.images: list[tuple[str, str]] = []
        self.players: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "img":
            self.images.append((attributes.get("src") or "", attributes.get("alt") or ""))
        elif tag in PLAYERS:
            self.players.append(f"{tag} {attributes.get('src') or attributes.get('data') or ''}".strip())
        elif tag in ("td", "th"):
            self.parts.append(" | ")
        elif tag == "br" or tag in BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        self.parts.append(re.sub(r"\s+", " ", data))


class _Question:
    """Reads the fields of one Moodle question, storing their embedded files and noting what is lost."""

    def __init__(self, question: ET.Element, converted: Converted, files):
        self.question = question
        self.converted = converted
        self.files = files

    def field(self, element: ET.Element | None, where: str, pictures: bool = True) -> tuple[str, list[str]]:
        """A text field (with its <file> children): its plain text and the IRIs of the pictures it shows."""
        if element is None:
            return "", []
        value = element.findtext("text") or ""
        if element.get("format", "html") not in ("html", "moodle_auto_format"):
            return tidy([value]), []
        parser = _Html()
        parser.feed(value)
        parser.close()
        for player in parser.players:
            self.converted.note(LOST, "media", f"{where}: a {player} is not carried over")
        files = {f.get("name"): f for f in element.findall("file")}
        stored = []
        for src, alt in parser.images:
            described = f" ({alt!r})" if alt else ""
            if not pictures:
                self.converted.note(LOST, "media", f"{where}: the picture {src!r}{described} is not carried over "
                                                   "(this text holds no pictures)")
                continue
            try:
                stored.append(self._picture(src, files))
            except MediaMissing as exc:
                self.converted.note(LOST, "media-missing", f"{where}: the picture {src!r}{described} is not carried "
                                                           f"over: {exc}")
        return tidy(parser.parts), stored

    def _picture(self, src: str, files: dict[str, ET.Element]) -> str:
        if src.startswith("@@PLUGINFILE@@/"):
            name = unquote(src.split("/", 1)[1].split("?")[0])
            embedded = files.get(name) if name in files else files.get(name.rsplit("/", 1)[-1])
            if embedded is None or embedded.get("encoding") != "base64":
                raise MediaMissing("its file is not embedded in the quiz")
            media_type = mimetypes.guess_type(name)[0] or ""
            try:
                content = base64.b64decode(embedded.text or "", validate=True)
            except ValueError:
                raise MediaMissing("its embedded file is not valid base64") from None
            return self.files.store(content, media_type, name)
        return self.files.media(src)

    def comments(self, elements: list[ET.Element], labels: list[str], where: str) -> str | None:
        """Feedback texts as lines, each with what it answers."""
        lines = []
        for element, label in zip(elements, labels):
            text, _ = self.field(element, where, pictures=False)
            if text and text not in DEFAULT_FEEDBACK:
                lines.append(f"[{label}] {text}")
        return "\n".join(lines) or None


def _fraction(answer: ET.Element) -> float:
    return read_number(answer.get("fraction"), "an answer's fraction", 0.0)


def _right_or_wrong(fractions: list[float], single: bool) -> bool:
    """Whether Moodle's points say no more than right or wrong: wrong options 0, right ones 100 (or equal shares)."""
    rights = [f for f in fractions if f > 0]
    if any(f < 0 for f in fractions) or not rights:
        return not rights and not any(f < 0 for f in fractions)
    if single:
        return rights == [100.0]
    return max(rights) - min(rights) < 0.01 and abs(sum(rights) - 100) < 0.1


def parse_moodle(xml: bytes | str, source: str, files=None) -> list[Converted]:
    """Every question of a Moodle XML quiz in our JSON form (categories skipped, other types reported). `files` keeps
    pictures: `files.store(content, media_type, name)` an embedded one, `files.media(src)` one by address; both
    return its IRI or raise MediaMissing."""
    try:
        root = read_xml(xml)
    except XmlRefused as exc:
        raise SourceError(f"{source}: {exc}") from exc
    if root.tag != "quiz":
        raise SourceError(f"{source}: not a Moodle XML quiz (root element {root.tag})")
    found = []
    for n, question in enumerate(root.findall("question"), 1):
        kind = question.get("type")
        if kind == "category":
            continue
        name = _plain(question.findtext("name/text")) or f"question {n}"
        converted = Converted(f"{source}#{n} ({name})", None)
        if kind not in ("multichoice", "truefalse", "shortanswer", "numerical", "matching", "essay"):
            converted.note(LOST, "type", f"Moodle type '{kind}' has no equivalent among our item types")
            found.append(converted)
            continue
        try:
            converted.item = {"kind": "QI", "title": name, "question": _convert(question, kind, converted,
                                                                                 files or _NoFiles())}
        except SourceError as exc:
            converted.note(LOST, "unreadable", f"{exc}: the question is not carried over")
        found.append(converted)
    return found


class _NoFiles:
    """Where no media store is given: every picture is reported."""

    def store(self, content: bytes, media_type: str, name: str) -> str:
        raise MediaMissing("no media store to keep it")

    def media(self, src: str) -> str:
        raise MediaMissing("no media store to keep it")


def _convert(question: ET.Element, kind: str, converted: Converted, files) -> dict:
    """One Moodle question of a type we have, in our JSON form."""
    read = _Question(question, converted, files)
    statement, pictures = read.field(question.find("questiontext"), "the statement")
    q: dict = {"statement": statement}
    answers = question.findall("answer")
    if kind in ("multichoice", "truefalse"):
        q["options"] = []
        for number, answer in enumerate(answers, 1):
            text, images = read.field(answer, f"option {number}")
            option = {"text": text, "correct": _fraction(answer) > 0}
            feedback, _ = read.field(answer.find("feedback"), f"the feedback of option {number}", pictures=False)
            if feedback.startswith("criticality:"):
                mark, _, feedback = feedback.partition("\n")
                option["criticality"] = mark.split(":", 1)[1].strip()
            if feedback:
                option["comment"] = feedback
            if images:
                option["image"] = images[0]
                for extra in images[1:]:
                    converted.note(LOST, "media", f"option {number}: a second picture ({extra}) is not carried over")
            q["options"].append(option)
        if kind == "truefalse":
            q["type"] = "QRU"
            converted.note(TO_COMPLETE, "options", "a true/false question has 2 options where a QRU has 4 or 5: "
                                                   "complete it before saving")
        else:
            single = (question.findtext("single") or "true").strip() == "true"
            q["type"] = "QRU" if single else ("QRM_LONG" if len(answers) >= 10 else "QRM")
        fractions = [_fraction(a) for a in answers]
        if not _right_or_wrong(fractions, q["type"] == "QRU"):
            converted.note(LOST, "scores", f"points per option ({', '.join(f'{f:g}%' for f in fractions)}) are not "
                                           "carried over: options are right (> 0) or wrong, the épreuve's barème "
                                           "scores them")
    elif kind == "shortanswer":
        q["type"] = "QROC"
        q["accepted_answers"] = [_plain(a.findtext("text")) for a in answers if _fraction(a) > 0]
        partial = [_plain(a.findtext("text")) for a in answers if 0 < _fraction(a) < 100]
        if partial:
            converted.note(LOST, "scores", f"answers worth part of the points ({', '.join(partial)}) are accepted "
                                           "in full")
        if (question.findtext("usecase") or "0").strip() == "1":
            converted.note(LOST, "case", "answers were case-sensitive in Moodle: the QROC correction decides")
        labels = [f"answer {_plain(a.findtext('text'))!r}" for a in answers]
        q["teaching_comment"] = read.comments([a.find("feedback") for a in answers], labels, "answer feedback")
    elif kind == "numerical":
        q["type"] = "NUMERIQUE"
        best = max(answers, key=_fraction, default=None)
        if best is not None:
            q["value"] = read_number(_plain(best.findtext("text")), "the numerical answer")
            q["tolerance"] = read_number(best.findtext("tolerance"), "the tolerance", 0.0)
        others = [_plain(a.findtext("text")) for a in answers if a is not best]
        if others:
            converted.note(LOST, "answers", f"further accepted values ({', '.join(others)}) are not carried over: a "
                                            "NUMERIQUE has one value and a tolerance")
        units = [u.findtext("unit_name") for u in question.findall("units/unit") if u.findtext("unit_name")]
        if units:
            q["unit"] = units[0]
        if len(units) > 1:
            converted.note(LOST, "units", f"further units ({', '.join(units[1:])}) are not carried over")
        labels = [f"answer {_plain(a.findtext('text'))}" for a in answers]
        q["teaching_comment"] = read.comments([a.find("feedback") for a in answers], labels, "answer feedback")
    elif kind == "matching":
        q["type"] = "ASSOCIATION"
        q["pairs"] = []
        for number, sub in enumerate(question.findall("subquestion"), 1):
            left, _ = read.field(sub, f"pair {number}", pictures=False)
            right = _plain(sub.findtext("answer/text"))
            if left:
                q["pairs"].append({"left": left, "right": right})
            else:
                converted.note(LOST, "distractor", f"the extra right member {right!r} (matching no left member) "
                                                   "is not carried over")
    elif kind == "essay":
        q["type"] = "QROL"
        q["model_answer"] = read.field(question.find("graderinfo"), "the grader information", pictures=False)[0] or None
        q["max_points"] = read_number(question.findtext("defaultgrade"), "the default grade", 1.0)
        if not q["model_answer"]:
            converted.note(TO_COMPLETE, "model-answer", "no grader information to serve as the model answer: add one "
                                                        "before saving")
        template = _plain(question.findtext("responsetemplate/text"))
        if template:
            converted.note(LOST, "template", f"the response template given to candidates ({template[:60]!r}) is not "
                                             "carried over")
    if pictures:
        q["image"] = pictures[0]
        if pictures[1:]:
            q["attachments"] = pictures[1:]
    general, _ = read.field(question.find("generalfeedback"), "the general feedback", pictures=False)
    outcome = read.comments([question.find(tag) for tag, _ in OUTCOME_FEEDBACK],
                            [f"answer {label}" for _, label in OUTCOME_FEEDBACK], "the feedback")
    comment = "\n".join(t for t in (general, q.get("teaching_comment"), outcome) if t)
    q["teaching_comment"] = comment or None
    if not q["teaching_comment"]:
        q.pop("teaching_comment")
    hints = [read.field(h, f"hint {number}", pictures=False)[0] for number, h in enumerate(question.findall("hint"), 1)]
    hints = [h for h in hints if h]
    if hints:
        q["hint"] = "\n".join(hints)
        if len(hints) > 1:
            converted.note(REPAIRED, "hints", f"{len(hints)} hints (shown one per try in Moodle) joined into one")
    tags = [_plain(t.findtext("text")) for t in question.findall("tags/tag")]
    if tags:
        converted.note(LOST, "tags", f"Moodle tags ({', '.join(tags)}) are not carried over: tag the item with "
                                     "entries of the référentiel")
    if kind != "essay" and question.findtext("defaultgrade") not in (None, "1", "1.0000000", "1.0"):
        converted.note(LOST, "grade", f"default grade {question.findtext('defaultgrade')} is set in the barème, not "
                                      "on the item")
    return q
