"""IMS QTI: export items as QTI 3.0, import QTI 3.0 and 2.2 items (what our types cannot express is reported)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

QTI3 = "http://www.imsglobal.org/xsd/imsqtiasi_v3p0"


@dataclass
class Converted:
    """One source item: the item it became (JSON form), and what could not be carried over."""

    source: str
    item: dict | None
    problems: list[str] = field(default_factory=list)


class QtiError(ValueError):
    """A document that is not QTI."""


# --- import ----------------------------------------------------------------------------------------

def _local(tag: str) -> str:
    """`{ns}qti-choice-interaction` and `choiceInteraction` both become `choiceInteraction`."""
    name = tag.rsplit("}", 1)[-1]
    if name.startswith("qti-"):
        name = name[4:]
    return re.sub(r"-([a-z])", lambda m: m[1].upper(), name)


def _normalise(element: ET.Element) -> ET.Element:
    copy = ET.Element(_local(element.tag), {_local(k) if not k.startswith("data-") else k: v
                                            for k, v in element.attrib.items()})
    copy.text, copy.tail = element.text, element.tail
    for child in element:
        copy.append(_normalise(child))
    return copy


def _text(element: ET.Element | None, skip: set[str] = frozenset()) -> str:
    """The visible text of an element, interactions left out."""
    if element is None:
        return ""
    parts = [element.text or ""]
    for child in element:
        if child.tag not in skip:
            parts.append(_text(child, skip))
        elif child.tag in ("textEntryInteraction", "inlineChoiceInteraction") and element.tag != "itemBody":
            parts.append(" ___ ")  # a blank inside a sentence
        parts.append(child.tail or "")
    return re.sub(r"\s+", " ", "".join(parts)).strip()


INTERACTIONS = {"choiceInteraction", "textEntryInteraction", "extendedTextInteraction", "matchInteraction",
                "associateInteraction", "hotspotInteraction", "orderInteraction", "inlineChoiceInteraction",
                "gapMatchInteraction", "sliderInteraction", "uploadInteraction", "drawingInteraction",
                "graphicOrderInteraction", "selectPointInteraction", "hottextInteraction", "mediaInteraction",
                "graphicGapMatchInteraction", "positionObjectInteraction", "customInteraction",
                "graphicAssociateInteraction", "endAttemptInteraction", "portableCustomInteraction"}


def parse_qti(xml: bytes | str, source: str, resolve_media=None) -> Converted:
    """One QTI item (2.2 or 3.0) as our JSON form; `resolve_media(path)` returns a media IRI or None."""
    try:
        root = _normalise(ET.fromstring(xml))
    except ET.ParseError as exc:
        raise QtiError(f"{source}: not well-formed XML: {exc}") from exc
    if root.tag != "assessmentItem":
        raise QtiError(f"{source}: not a QTI assessment item (root element {root.tag})")
    title = root.get("title") or root.get("identifier") or source
    body = root.find("itemBody")
    found = [e for e in body.iter() if e.tag in INTERACTIONS] if body is not None else []
    if not found:
        return Converted(source, None, ["no interaction in the item body"])
    problems = []
    if len(found) > 1:
        problems.append(f"{len(found)} interactions: only the first ({found[0].tag}) is imported")
    interaction = found[0]
    declarations = {d.get("identifier"): d for d in root.findall("responseDeclaration")}
    declaration = declarations.get(interaction.get("responseIdentifier"))
    correct = [v.text.strip() for v in declaration.findall("correctResponse/value")] if declaration is not None else []
    mapping = {e.get("mapKey"): float(e.get("mappedValue", "0"))
               for e in declaration.findall("mapping/mapEntry")} if declaration is not None else {}
    prompt = _text(interaction.find("prompt"))
    context = _text(body, INTERACTIONS | {"prompt", "rubricBlock"})
    statement = " ".join(p for p in (context, prompt) if p) or title
    question: dict = {"statement": statement}
    kind = interaction.tag
    if kind == "choiceInteraction":
        choices = interaction.findall("simpleChoice")
        question["options"] = [{"text": _text(c), "correct": c.get("identifier") in correct,
                                **({"criticality": c.get("data-criticality")} if c.get("data-criticality") else {})}
                               for c in choices]
        max_choices = int(interaction.get("maxChoices", "1") or 0)
        long_list = len(choices) >= 10
        if max_choices == 1:
            question["type"] = "QRU"
        elif interaction.get("data-expected-count"):
            question["type"] = "QRP_LONG" if long_list else "QRP"
            question["expected_count"] = len(correct)
        else:
            question["type"] = "QRM_LONG" if long_list else "QRM"
    elif kind == "textEntryInteraction":
        if declaration is not None and declaration.get("baseType") in ("float", "integer"):
            question["type"] = "NUMERIQUE"
            question["value"] = float(correct[0]) if correct else None
            equal = root.find(".//equal")
            if equal is not None and equal.get("tolerance"):
                question["tolerance"] = float(equal.get("tolerance").split()[0])
            if interaction.get("data-unit"):
                question["unit"] = interaction.get("data-unit")
        else:
            question["type"] = "QROC"
            answers = list(dict.fromkeys(correct + [k for k, v in mapping.items() if v > 0]))
            question["accepted_answers"] = answers
    elif kind == "extendedTextInteraction":
        question["type"] = "QROL"
        rubric = root.find(".//rubricBlock")
        question["model_answer"] = _text(rubric) if rubric is not None else None
        if rubric is None:
            problems.append("no model answer (rubric block for scorers): add one before saving")
        upper = root.find("outcomeDeclaration[@identifier='SCORE']")
        question["max_points"] = float(upper.get("normalMaximum") or 1) if upper is not None else 1.0
    elif kind in ("matchInteraction", "associateInteraction"):
        question["type"] = "ASSOCIATION"
        labels = {c.get("identifier"): _text(c) for c in interaction.iter("simpleAssociableChoice")}
        pairs = []
        for value in correct:
            left, _, right = value.partition(" ")
            if left in labels and right in labels:
                pairs.append({"left": labels[left], "right": labels[right]})
        question["pairs"] = pairs
    elif kind == "hotspotInteraction":
        question["type"] = "ZONE"
        obj = interaction.find("object")
        source_image = obj.get("data") if obj is not None else None
        image = resolve_media(source_image) if (resolve_media and source_image) else None
        if image is None:
            problems.append(f"the image {source_image!r} is not in the package: upload it and set the question image")
        question["image"] = image
        question["areas"] = [{"shape": "poly" if h.get("shape") == "poly" else h.get("shape", "rect"),
                              "coords": h.get("coords")} for h in interaction.findall("hotspotChoice")
                             if h.get("identifier") in correct]
    else:
        return Converted(source, None, [f"{kind} has no equivalent among our item types"])
    return Converted(source, {"kind": "QI", "title": title, "question": question}, problems)


# --- export ----------------------------------------------------------------------------------------

EXPRESSIBLE = {"QRU", "QRM", "QRP", "QRM_LONG", "QRP_LONG", "QROC", "QROL", "NUMERIQUE", "ZONE", "ASSOCIATION"}


def _el(parent, tag, text=None, **attrs):
    element = ET.SubElement(parent, f"qti-{tag}", {k.replace("_", "-"): str(v) for k, v in attrs.items()})
    if text is not None:
        element.text = str(text)
    return element


def to_qti(item: dict) -> tuple[str | None, list[str]]:
    """A QTI 3.0 assessment item for an isolated question; None and the reason when QTI cannot express it."""
    question = item.get("question")
    if item.get("kind") != "QI" or question is None:
        return None, [f"a {item.get('kind')} is not a single QTI item: export its questions one by one"]
    qtype = question["type"]
    if qtype not in EXPRESSIBLE:
        return None, [f"{qtype} has no QTI interaction"]
    ET.register_namespace("", QTI3)
    root = ET.Element("qti-assessment-item", {"xmlns": QTI3, "identifier": item.get("id") or "item",
                                             "title": item.get("title") or "", "adaptive": "false",
                                             "time-dependent": "false"})
    declaration = _el(root, "response-declaration", identifier="RESPONSE", cardinality="single",
                      base_type="identifier")
    score = _el(root, "outcome-declaration", identifier="SCORE", cardinality="single", base_type="float")
    body = _el(root, "item-body")
    if qtype in ("QRU", "QRM", "QRP", "QRM_LONG", "QRP_LONG"):
        right = [f"C{n}" for n, o in enumerate(question["options"], 1) if o["correct"]]
        declaration.set("cardinality", "single" if qtype == "QRU" else "multiple")
        correct = _el(declaration, "correct-response")
        for r in right:
            _el(correct, "value", r)
        attrs = {"response_identifier": "RESPONSE", "shuffle": "false",
                 "max_choices": 1 if qtype == "QRU" else (question.get("expected_count") or 0)}
        if qtype in ("QRP", "QRP_LONG"):
            attrs["data_expected_count"] = question.get("expected_count")
        interaction = _el(body, "choice-interaction", **attrs)
        _el(interaction, "prompt", question["statement"])
        for n, option in enumerate(question["options"], 1):
            extra = {"data_criticality": option["criticality"]} if option.get("criticality") else {}
            _el(interaction, "simple-choice", option["text"], identifier=f"C{n}", **extra)
    elif qtype in ("QROC", "NUMERIQUE"):
        numeric = qtype == "NUMERIQUE"
        declaration.set("base-type", "float" if numeric else "string")
        correct = _el(declaration, "correct-response")
        if numeric:
            _el(correct, "value", question["value"])
        else:
            for answer in question["accepted_answers"]:
                _el(correct, "value", answer)
            mapping = _el(declaration, "mapping", default_value=0)
            for answer in question["accepted_answers"]:
                _el(mapping, "map-entry", map_key=answer, mapped_value=1)
        _el(body, "p", question["statement"])
        attrs = {"response_identifier": "RESPONSE"}
        if numeric and question.get("unit"):
            attrs["data_unit"] = question["unit"]
        _el(body, "text-entry-interaction", **attrs)
        if numeric:
            processing = _el(root, "response-processing")
            condition = _el(_el(processing, "response-condition"), "response-if")
            tolerance = question.get("tolerance") or 0
            equal = _el(condition, "equal", tolerance_mode="absolute", tolerance=f"{tolerance} {tolerance}")
            _el(equal, "variable", identifier="RESPONSE")
            _el(equal, "correct", identifier="RESPONSE")
            _el(_el(condition, "set-outcome-value", identifier="SCORE"), "base-value", 1, base_type="float")
    elif qtype == "QROL":
        declaration.set("base-type", "string")
        score.set("normal-maximum", str(question.get("max_points") or 1))
        _el(body, "p", question["statement"])
        rubric = _el(body, "rubric-block", view="scorer")
        _el(rubric, "p", question.get("model_answer") or "")
        _el(body, "extended-text-interaction", response_identifier="RESPONSE")
    elif qtype == "ASSOCIATION":
        declaration.set("cardinality", "multiple")
        declaration.set("base-type", "directedPair")
        correct = _el(declaration, "correct-response")
        for n, _ in enumerate(question["pairs"], 1):
            _el(correct, "value", f"L{n} R{n}")
        interaction = _el(body, "match-interaction", response_identifier="RESPONSE", shuffle="true",
                          max_associations=len(question["pairs"]))
        _el(interaction, "prompt", question["statement"])
        lefts, rights = _el(interaction, "simple-match-set"), _el(interaction, "simple-match-set")
        for n, pair in enumerate(question["pairs"], 1):
            _el(lefts, "simple-associable-choice", pair["left"], identifier=f"L{n}", match_max=1)
            _el(rights, "simple-associable-choice", pair["right"], identifier=f"R{n}", match_max=1)
    elif qtype == "ZONE":
        declaration.set("cardinality", "multiple" if len(question["areas"]) > 1 else "single")
        correct = _el(declaration, "correct-response")
        for n, _ in enumerate(question["areas"], 1):
            _el(correct, "value", f"A{n}")
        interaction = _el(body, "hotspot-interaction", response_identifier="RESPONSE", max_choices=len(question["areas"]))
        _el(interaction, "prompt", question["statement"])
        _el(interaction, "object", "image", data=question.get("image") or "", type="image/png")
        for n, area in enumerate(question["areas"], 1):
            _el(interaction, "hotspot-choice", identifier=f"A{n}", shape=area["shape"], coords=area["coords"])
    problems = []
    for key in ("teaching_comment", "comment", "hint"):
        if question.get(key) or item.get(key):
            problems.append(f"{key} is not exported to QTI")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode"), problems
