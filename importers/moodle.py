"""Moodle XML: export and import multichoice, truefalse, shortanswer, numerical, matching and essay questions."""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET

from importers.qti import Converted, QtiError

EXPORTED = {"QRU": "multichoice", "QRM": "multichoice", "QRM_LONG": "multichoice", "QROC": "shortanswer",
            "NUMERIQUE": "numerical", "ASSOCIATION": "matching", "QROL": "essay"}


def _text(parent: ET.Element, tag: str, value: str, fmt: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, tag, {"format": fmt} if fmt else {})
    ET.SubElement(element, "text").text = value
    return element


def _plain(value: str | None) -> str:
    """Text of a Moodle HTML field."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", value or ""))).strip()


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
        _text(question, "questiontext", html.escape(q["statement"]), "html")
        if q.get("teaching_comment"):
            _text(question, "generalfeedback", html.escape(q["teaching_comment"]), "html")
        if q.get("hint"):
            _text(question, "hint", html.escape(q["hint"]), "html")
        ET.SubElement(question, "defaultgrade").text = str(q.get("max_points") or 1)
        if q["type"] in ("QRU", "QRM", "QRM_LONG"):
            right = sum(1 for o in q["options"] if o["correct"]) or 1
            ET.SubElement(question, "single").text = "true" if q["type"] == "QRU" else "false"
            ET.SubElement(question, "shuffleanswers").text = "true"
            for option in q["options"]:
                fraction = f"{100 / right:.5g}" if option["correct"] else "0"
                answer = _text(question, "answer", html.escape(option["text"]), "html")
                answer.set("fraction", fraction)
                if option.get("criticality"):
                    _text(answer, "feedback", f"criticality:{option['criticality']}")
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
                sub = _text(question, "subquestion", html.escape(pair["left"]), "html")
                _text(sub, "answer", pair["right"])
        elif q["type"] == "QROL":
            _text(question, "graderinfo", html.escape(q.get("model_answer") or ""), "html")
    ET.indent(quiz)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(quiz, encoding="unicode"), problems


def parse_moodle(xml: bytes | str, source: str) -> list[Converted]:
    """Every question of a Moodle XML quiz in our JSON form (categories skipped, other types reported)."""
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise QtiError(f"{source}: not well-formed XML: {exc}") from exc
    if root.tag != "quiz":
        raise QtiError(f"{source}: not a Moodle XML quiz (root element {root.tag})")
    found = []
    for n, question in enumerate(root.findall("question"), 1):
        kind = question.get("type")
        if kind == "category":
            continue
        name = _plain(question.findtext("name/text")) or f"question {n}"
        where = f"{source}#{n} ({name})"
        statement = _plain(question.findtext("questiontext/text"))
        q: dict = {"statement": statement}
        answers = question.findall("answer")
        problems = []
        if kind == "multichoice":
            single = (question.findtext("single") or "true").strip() == "true"
            q["options"] = []
            for a in answers:
                option = {"text": _plain(a.findtext("text")), "correct": float(a.get("fraction", "0")) > 0}
                feedback = _plain(a.findtext("feedback/text"))
                if feedback.startswith("criticality:"):
                    option["criticality"] = feedback.split(":", 1)[1]
                q["options"].append(option)
            q["type"] = "QRU" if single else ("QRM_LONG" if len(answers) >= 10 else "QRM")
        elif kind == "truefalse":
            q["type"] = "QRU"
            q["options"] = [{"text": _plain(a.findtext("text")), "correct": float(a.get("fraction", "0")) > 0}
                            for a in answers]
            problems.append("a true/false question has 2 options where a QRU has 4 or 5: complete it before saving")
        elif kind == "shortanswer":
            q["type"] = "QROC"
            q["accepted_answers"] = [_plain(a.findtext("text")) for a in answers if float(a.get("fraction", "0")) > 0]
        elif kind == "numerical":
            q["type"] = "NUMERIQUE"
            best = max(answers, key=lambda a: float(a.get("fraction", "0")), default=None)
            if best is not None:
                q["value"] = float(_plain(best.findtext("text")))
                q["tolerance"] = float(best.findtext("tolerance") or 0)
            unit = question.findtext("units/unit/unit_name")
            if unit:
                q["unit"] = unit
        elif kind == "matching":
            q["type"] = "ASSOCIATION"
            q["pairs"] = [{"left": _plain(s.findtext("text")), "right": _plain(s.findtext("answer/text"))}
                          for s in question.findall("subquestion") if _plain(s.findtext("text"))]
        elif kind == "essay":
            q["type"] = "QROL"
            q["model_answer"] = _plain(question.findtext("graderinfo/text")) or None
            q["max_points"] = float(question.findtext("defaultgrade") or 1)
            if not q["model_answer"]:
                problems.append("no grader information to serve as the model answer: add one before saving")
        else:
            found.append(Converted(where, None, [f"Moodle type '{kind}' has no equivalent among our item types"]))
            continue
        feedback = _plain(question.findtext("generalfeedback/text"))
        if feedback:
            q["teaching_comment"] = feedback
        hint = _plain(question.findtext("hint/text"))
        if hint:
            q["hint"] = hint
        if kind != "essay" and question.findtext("defaultgrade") not in (None, "1", "1.0000000", "1.0"):
            problems.append(f"default grade {question.findtext('defaultgrade')} is set in the barème, not on the item")
        found.append(Converted(where, {"kind": "QI", "title": name, "question": q}, problems))
    return found
