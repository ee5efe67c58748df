"""IMS QTI: import QTI 2.2 and 3.0 items (feedback, pictures, passages and several interactions included; what our
types cannot express is listed item by item) and export items as QTI 3.0."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from importers.converted import (LOST, REPAIRED, TO_COMPLETE, Converted, MediaMissing, NotAnItem, SourceError,
                                 read_number)
from importers.qti_content import ContentReader, Media, Segment, normalise
from importers.xml_input import XmlRefused, read_xml

QTI3 = "http://www.imsglobal.org/xsd/imsqtiasi_v3p0"
# Item-level elements that carry nothing to convert (declarations are read where they are used).
QUIET = {"responseDeclaration", "outcomeDeclaration", "responseProcessing", "stylesheet", "itemBody", "modalFeedback",
         "assessmentStimulusRef", "templateDeclaration", "templateProcessing"}


# --- import ----------------------------------------------------------------------------------------

def _no_store(path: str) -> str:
    raise MediaMissing("no media store to keep it")


def parse_qti(xml: bytes | str, source: str, resolve_media=None, read_file=None) -> Converted:
    """One QTI item (2.2 or 3.0) as our JSON form. `resolve_media(path)` stores a file met in the item and returns
    its IRI (raising MediaMissing with the reason otherwise); `read_file(path)` gives the bytes of a file beside the
    item (shared stimuli, includes) or None."""
    try:
        root = normalise(read_xml(xml))
    except XmlRefused as exc:
        raise SourceError(f"{source}: {exc}") from exc
    if root.tag != "assessmentItem":
        raise NotAnItem(f"{source}: not a QTI assessment item (root element {root.tag})")
    converted = Converted(source, None)
    try:
        return _read_item(root, converted, ContentReader(converted, resolve_media or _no_store, read_file))
    except SourceError as exc:  # a field of the item that cannot be read: named, with the file
        raise SourceError(f"{source}: {exc}") from exc


def _read_item(root: ET.Element, converted: Converted, reader: ContentReader) -> Converted:
    """The item of a parsed document, its questions and what was lost on the way."""
    reader.assigned = _assigned(root)
    _item_notes(root, converted)
    body = root.find("itemBody")
    segments = reader.segments(body) if body is not None else [Segment()]
    _prepend_stimuli(root, reader, segments[0], converted)
    asked = [s for s in segments if s.interaction is not None]
    if not asked:
        converted.note(LOST, "no-interaction", "no interaction in the item body: nothing to ask")
        return converted
    questions = []
    for number, segment in enumerate(asked, 1):
        question = _question(root, segment.interaction, reader, converted, number)
        questions.append((segment, question))
    kept = [(segment, question) for segment, question in questions if question is not None]
    if not kept:
        return converted
    converted.item = _assemble(root, segments, kept, reader, converted)
    reader.note_formulas()
    return converted


def _item_notes(root: ET.Element, converted: Converted) -> None:
    """What the item as a whole carries that our items cannot: drawn values, adaptivity, unknown parts."""
    variables = [d.get("identifier") for d in root.findall("templateDeclaration")]
    if variables or root.find("templateProcessing") is not None:
        converted.note(LOST, "template", "values drawn at random (templateProcessing"
                       + (f": {', '.join(v for v in variables if v)}" if variables else "")
                       + ") are not carried over: the item keeps its text as written")
    if root.get("adaptive") == "true":
        converted.note(LOST, "adaptive", "an adaptive item (several attempts, feedback between them): only its "
                                         "questions and final feedback are carried over")
    for child in root:
        if child.tag not in QUIET:
            converted.note(LOST, "element", f"the item's {child.tag} is not carried over")


def _prepend_stimuli(root: ET.Element, reader: ContentReader, first: Segment, converted: Converted) -> None:
    """Shared passages (QTI 3 stimulus references) go before the item's own text, their media with them."""
    for ref in root.findall("assessmentStimulusRef"):
        href = ref.get("href") or ""
        content = reader.read(href) if reader.read else None
        if content is None:
            converted.note(LOST, "stimulus", f"the shared passage {href!r} is not in the package or folder: "
                                             "not carried over")
            continue
        try:
            stimulus = normalise(read_xml(content))
        except XmlRefused as exc:
            converted.note(LOST, "stimulus", f"the shared passage {href!r} is not readable XML ({exc})")
            continue
        body = stimulus.find("stimulusBody")
        passage = reader.sub(base=href.rpartition("/")[0]).content(body if body is not None else stimulus)
        first.parts[:0] = [*passage.parts, "\n"]
        first.media[:0] = passage.media
        first.feedback[:0] = passage.feedback


def _declaration(root: ET.Element, interaction: ET.Element):
    declarations = {d.get("identifier"): d for d in root.findall("responseDeclaration")}
    return declarations.get(interaction.get("responseIdentifier"))


def _only(element: ET.Element | None) -> ET.Element:
    """A bare element holding a copy of one element (without the text after it), to read it alone."""
    holder = ET.Element("div")
    if element is not None:
        copy = ET.Element(element.tag, element.attrib)
        copy.text = element.text
        copy.extend(list(element))
        holder.append(copy)
    return holder


def _question(root: ET.Element, interaction: ET.Element, reader: ContentReader, converted: Converted,
              number: int) -> dict | None:
    """One interaction as a question; None (and the loss noted) when no question type of ours fits it."""
    kind = interaction.tag
    declaration = _declaration(root, interaction)
    correct = [v.text.strip() for v in declaration.findall("correctResponse/value") if v.text] \
        if declaration is not None else []
    mapping = _mapping(declaration.find("mapping")) if declaration is not None else {}
    prompt = reader.content(interaction.find("prompt"))
    question: dict = {"statement": prompt.text, "_media": list(prompt.media), "_feedback": list(prompt.feedback)}
    if kind == "choiceInteraction":
        choices = interaction.findall("simpleChoice")
        question["options"] = [_option(c, c.get("identifier") in correct, reader, converted)
                               for c in choices]
        max_choices = read_number(interaction.get("maxChoices"), "the choiceInteraction's maxChoices", 1.0)
        long_list = len(choices) >= 10
        if max_choices == 1:
            question["type"] = "QRU"
        elif interaction.get("data-expected-count"):
            question["type"] = "QRP_LONG" if long_list else "QRP"
            question["expected_count"] = len(correct)
        else:
            question["type"] = "QRM_LONG" if long_list else "QRM"
        _scores(declaration, correct, number, converted)
    elif kind == "inlineChoiceInteraction":
        question["type"] = "QRU"
        question["options"] = [_option(c, c.get("identifier") in correct, reader, converted)
                               for c in interaction.findall("inlineChoice")]
    elif kind == "textEntryInteraction":
        if declaration is not None and declaration.get("baseType") in ("float", "integer"):
            question["type"] = "NUMERIQUE"
            question["value"] = read_number(correct[0], "the correct response") if correct else None
            equal = root.find(".//equal")
            if equal is not None and equal.get("tolerance"):
                question["tolerance"] = read_number(equal.get("tolerance").split()[0], "the equal's tolerance")
            if interaction.get("data-unit"):
                question["unit"] = interaction.get("data-unit")
        else:
            question["type"] = "QROC"
            best = max(mapping.values(), default=0)
            question["accepted_answers"] = list(dict.fromkeys(correct + [k for k, v in mapping.items() if v > 0]))
            partial = [k for k, v in mapping.items() if 0 < v < best]
            if partial:
                converted.note(LOST, "scores", f"question {number}: answers worth part of the points "
                                               f"({', '.join(partial)}) are accepted in full")
    elif kind == "extendedTextInteraction":
        question["type"] = "QROL"
        upper = root.find("outcomeDeclaration[@identifier='SCORE']")
        question["max_points"] = read_number(upper.get("normalMaximum"), "the SCORE's normalMaximum", 1.0) \
            if upper is not None else 1.0
    elif kind in ("matchInteraction", "associateInteraction"):
        question["type"] = "ASSOCIATION"
        texts = reader.sub(resolve=_refuse("the members of pairs are text"))
        members = {c.get("identifier"): texts.text(c) for c in interaction.iter("simpleAssociableChoice")}
        pairs, paired = [], set()
        for value in correct:
            left, _, right = value.partition(" ")
            if left in members and right in members:
                pairs.append({"left": members[left], "right": members[right]})
                paired |= {left, right}
        question["pairs"] = pairs
        unpaired = [text for key, text in members.items() if key not in paired]
        if unpaired:
            converted.note(LOST, "distractor", f"question {number}: members in no right pair (distractors) are not "
                                               f"carried over: {', '.join(repr(t) for t in unpaired)}")
        _scores(declaration, correct, number, converted)
    elif kind == "hotspotInteraction":
        question["type"] = "ZONE"
        shown = interaction.find("object")
        picture = reader.content(_only(shown if shown is not None else interaction.find("img")))
        question["image"] = picture.media[0].iri if picture.media else None
        question["areas"] = [{"shape": "poly" if h.get("shape") == "poly" else h.get("shape", "rect"),
                              "coords": h.get("coords")} for h in interaction.findall("hotspotChoice")
                             if h.get("identifier") in correct]
    else:
        prompt_text = f" (prompt {prompt.text[:60]!r})" if prompt.text else ""
        converted.note(LOST, "interaction", f"interaction {number} ({kind}{prompt_text}) has no equivalent among our "
                                            "question types: not carried over")
        return None
    question["_choices"] = {c.get("identifier"): n for n, c in enumerate(
        interaction.findall("simpleChoice") + interaction.findall("inlineChoice"))}
    question["_rubrics"] = []
    return question


def _option(choice: ET.Element, right: bool, reader: ContentReader, converted: Converted) -> dict:
    """A choice as an option: its text, its picture, its own feedback as its comment."""
    content = reader.content(choice)
    option: dict = {"text": content.text, "correct": right}
    if choice.get("data-criticality"):
        option["criticality"] = choice.get("data-criticality")
    comments = [_feedback_text(f, reader, converted) for f in content.feedback]
    if comments:
        option["comment"] = "\n".join(c for c in comments if c)
    pictures = [m for m in content.media if m.image]
    if pictures:
        option["image"] = pictures[0].iri
        if not option["text"]:
            option["text"] = pictures[0].alt or pictures[0].path.rsplit("/", 1)[-1]
            source = "alternative text" if pictures[0].alt else "file name"
            converted.note(REPAIRED, "option-text", f"an option shown only as a picture takes its {source} "
                                                    f"{option['text']!r} as its text")
    for extra in [m for m in content.media if m is not (pictures[0] if pictures else None)]:
        converted.note(LOST, "media", f"the file {extra.path!r} of option {option['text']!r} is not carried over "
                                      "(an option shows one picture)")
    return option


def _scores(declaration: ET.Element | None, correct: list[str], number: int, converted: Converted) -> None:
    """A mapping that gives right answers unequal points, or wrong ones some, says more than right or wrong."""
    mapping = declaration.find("mapping") if declaration is not None else None
    if mapping is None:
        return
    points = _mapping(mapping)
    default = read_number(mapping.get("defaultValue"), "the mapping's defaultValue", 0.0)
    rights = {points.get(key, default) for key in correct}
    if len(rights) == 1 and min(rights) > 0 and default == 0 \
            and all(value == 0 for key, value in points.items() if key not in correct):
        return
    listed = ", ".join(f"{key} {value:g}" for key, value in points.items())
    converted.note(LOST, "scores", f"question {number}: points per answer ({listed}; others {default:g}) are not "
                                   "carried over: the épreuve's barème scores the question")


def _mapping(mapping: ET.Element | None) -> dict[str | None, float]:
    """The points a response mapping gives each answer."""
    if mapping is None:
        return {}
    return {e.get("mapKey"): read_number(e.get("mappedValue"), f"the mappedValue of {e.get('mapKey')!r}", 0.0)
            for e in mapping.findall("mapEntry")}


def _join(*parts: str | None) -> str:
    return "\n".join(p for p in parts if p)


def _assemble(root: ET.Element, segments: list[Segment], kept: list[tuple[Segment, dict]], reader: ContentReader,
              converted: Converted) -> dict:
    """The item: an isolated question, or a dossier (DL, or LCA when a PDF passage is given) of several."""
    opening = segments[0]
    article = next((m for m in opening.media if not m.image and m.path.lower().split("?")[0].endswith(".pdf")), None)
    item: dict = {"title": root.get("title") or root.get("identifier") or converted.source}
    modal = root.findall("modalFeedback")
    if len(kept) == 1 and article is None:
        segment, question = kept[0]
        # the whole body in reading order, the interaction's own sentence and prompt in their place
        question["statement"] = _join(*[_join(s.text, s.sentence, question["statement"]) if s is segment else s.text
                                        for s in segments])
        question["_media"] = [m for s in segments for m in s.media] + question["_media"]
        question["_feedback"] += [f for s in segments for f in s.feedback] + modal
        question["_rubrics"] = [r for s in segments for r in s.rubrics]
        _feedback([question], [], reader, converted)
        item.update(kind="QI", question=question)
        _finish(question, converted)
        return item
    item["kind"] = "LCA" if article is not None else "DL"
    item["statement"] = opening.text or None
    if article is not None:
        item["article"] = article.iri
    questions = [question for _, question in kept]
    by_segment = {id(segment): question for segment, question in kept}
    carried: tuple[list, list, list] = ([], [], [])  # text, media, rubrics before a lost interaction
    for position, segment in enumerate(segments):
        if position:
            # feedback after an interaction belongs to the question just before it
            owner = next((q for s, q in reversed(kept) if segments.index(s) < position), None)
            if owner is not None:
                owner["_feedback"] += segment.feedback
        text, media = (segment.text, segment.media) if position else ("", [])
        question = by_segment.get(id(segment)) if segment.interaction is not None else questions[-1]
        if question is None:
            # what came before an interaction that was not carried over goes to the next question
            carried[0].append(text)
            carried[1].extend(media)
            carried[2].extend(segment.rubrics)
            continue
        if segment.interaction is None:
            question["statement"] = _join(question["statement"], *carried[0], text)
            question["_media"] += carried[1] + media
            question["_rubrics"] += carried[2] + segment.rubrics
        else:
            question["statement"] = _join(*carried[0], text, segment.sentence, question["statement"])
            question["_media"][:0] = carried[1] + media
            question["_rubrics"] = carried[2] + segment.rubrics
        carried = ([], [], [])
    unmatched = _feedback(questions, modal, reader, converted)
    comment = _feedback_comment(opening.feedback + unmatched, reader, converted)
    if comment:
        item["teaching_comment"] = comment
    extra = [m.iri for m in opening.media if m is not article]
    if extra:
        item["attachments"] = extra
    if not item["statement"] and item["kind"] == "DL":
        converted.note(TO_COMPLETE, "statement", "the questions share no general statement: write one for the "
                                                 "dossier (DL) before saving")
    for question in questions:
        _finish(question, converted)
    item["questions"] = questions
    asked = sum(1 for s in segments if s.interaction is not None)
    given = f"an article ({article.path}) and " if article is not None else ""
    converted.note(REPAIRED, "dossier", f"{given}{asked} interaction(s) in one item: imported as a {item['kind']} of "
                                        f"{len(questions)} question(s)")
    return item


def _feedback(questions: list[dict], extra: list[ET.Element], reader: ContentReader, converted: Converted
              ) -> list[ET.Element]:
    """Feedback naming an option goes to that option's comment; the rest of each question's feedback to its
    teaching comment. Returns the `extra` feedback (modal) that named no option."""
    unmatched = []
    for node in extra:
        if not _to_option(node, questions, reader, converted):
            unmatched.append(node)
    for question in questions:
        rest = [node for node in question.pop("_feedback") if not _to_option(node, [question], reader, converted)]
        text = _feedback_comment(rest, reader, converted)
        if text:
            question["teaching_comment"] = "\n".join(t for t in (question.get("teaching_comment"), text) if t)
    return unmatched


def _to_option(node: ET.Element, questions: list[dict], reader: ContentReader, converted: Converted) -> bool:
    identifier = node.get("identifier")
    for question in questions:
        position = question.get("_choices", {}).get(identifier)
        if position is not None and node.get("showHide", "show") == "show":
            option = question["options"][position]
            option["comment"] = "\n".join(t for t in (option.get("comment"), _feedback_text(node, reader, converted))
                                          if t)
            return True
    return False


def _refuse(reason: str):
    """A resolver for text-only places: files met there are reported, not stored."""
    def resolve(path: str) -> str:
        raise MediaMissing(reason)
    return resolve


def _feedback_text(node: ET.Element, reader: ContentReader, converted: Converted) -> str:
    return reader.sub(resolve=_refuse("a feedback becomes a comment, which is text")).text(node)


def _feedback_comment(nodes: list[ET.Element], reader: ContentReader, converted: Converted) -> str | None:
    """Feedback as lines of a teaching comment: shown on a condition, with its condition in brackets; hidden only
    on a value the item never gives (so always shown), as it is."""
    lines, conditional = [], 0
    for node in nodes:
        text = _feedback_text(node, reader, converted)
        if not text:
            continue
        condition = node.get("identifier") or "?"
        if node.get("showHide") == "hide" and condition not in reader.assigned:
            lines.append(text)
            continue
        if node.get("showHide") == "hide":
            condition = f"not {condition}"
        lines.append(f"[{node.get('outcomeIdentifier') or 'FEEDBACK'} = {condition}] {text}")
        conditional += 1
    if conditional:
        converted.note(REPAIRED, "feedback", f"{conditional} feedback(s) shown on a condition kept in the teaching "
                                             "comment, each with its condition in brackets")
    return "\n".join(lines) or None


def _assigned(root: ET.Element) -> set[str]:
    """Every value an outcome of the item can take: choice identifiers and the constants its processing sets."""
    values = {e.get("identifier") for e in root.iter() if e.tag.endswith("Choice") or e.tag in ("hottext", "gapText")}
    values |= {(e.text or "").strip() for e in root.iter() if e.tag in ("baseValue", "value")}
    values |= {e.get("mapKey") for e in root.iter() if e.tag == "mapEntry"}
    return values - {None}


def _finish(question: dict, converted: Converted) -> None:
    """Pictures and passages placed; scorer rubrics placed; helper keys removed."""
    media: list[Media] = question.pop("_media")
    rubrics: list[str] = question.pop("_rubrics")
    question.pop("_choices", None)
    if question["type"] == "QROL":
        question["model_answer"] = rubrics.pop(0) if rubrics else None
        if question["model_answer"] is None:
            converted.note(TO_COMPLETE, "model-answer", "no model answer (rubric block for scorers): add one "
                                                        "before saving")
    if rubrics:
        question["comment"] = "\n".join(t for t in (question.get("comment"), *rubrics) if t)
        converted.note(REPAIRED, "rubric", "a rubric for scorers is kept as the question's comment (between "
                                           "authors)")
    if question["type"] == "ZONE":
        if question["image"] is None:
            converted.note(TO_COMPLETE, "zone-image", "the ZONE question has no picture to click: upload it")
        question["attachments"] = [m.iri for m in media]
    else:
        pictures = [m for m in media if m.image]
        if pictures:
            question["image"] = pictures[0].iri
        question["attachments"] = [m.iri for m in media if not (pictures and m is pictures[0])]
    if not question["attachments"]:
        question.pop("attachments")


# --- export ----------------------------------------------------------------------------------------

EXPRESSIBLE = {"QRU", "QRM", "QRP", "QRM_LONG", "QRP_LONG", "QROC", "QROL", "NUMERIQUE", "ZONE", "ASSOCIATION"}


def _el(parent, tag, text=None, **attrs):
    element = ET.SubElement(parent, f"qti-{tag}", {k.replace("_", "-"): str(v) for k, v in attrs.items()})
    if text is not None:
        element.text = str(text)
    return element


def _paragraphs(parent: ET.Element, text: str | None) -> None:
    """Plain text as XHTML paragraphs, one per line."""
    for line in (text or "").split("\n"):
        ET.SubElement(parent, "p").text = line


def _lines(element: ET.Element, text: str) -> None:
    """Plain text inside an inline element, its lines separated by <br/>."""
    lines = text.split("\n")
    element.text = lines[0]
    for line in lines[1:]:
        ET.SubElement(element, "br").tail = line


def _media_paragraphs(parent: ET.Element, image: str | None, attachments: list[str]) -> None:
    if image:
        ET.SubElement(ET.SubElement(parent, "p"), "img", {"src": image, "alt": ""})
    for iri in attachments:
        ET.SubElement(ET.SubElement(parent, "p"), "object", {"data": iri, "type": "application/octet-stream"})


def to_qti(item: dict) -> tuple[str | None, list[str]]:
    """A QTI 3.0 assessment item for an isolated question; None and the reason when QTI cannot express it.
    Option comments travel as inline feedback, the teaching comment as modal feedback, pictures as img/object."""
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
    attachments = question.get("attachments") or []
    if qtype != "ZONE":
        _media_paragraphs(body, question.get("image"), attachments)
    option_comments = False
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
        _lines(_el(interaction, "prompt"), question["statement"])
        for n, option in enumerate(question["options"], 1):
            extra = {"data_criticality": option["criticality"]} if option.get("criticality") else {}
            choice = _el(interaction, "simple-choice", option["text"], identifier=f"C{n}", **extra)
            if option.get("image"):
                ET.SubElement(choice, "img", {"src": option["image"], "alt": ""})
            if option.get("comment"):
                option_comments = True
                _lines(_el(choice, "feedback-inline", outcome_identifier="FEEDBACK", identifier=f"C{n}",
                           show_hide="show"), option["comment"])
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
        _paragraphs(body, question["statement"])
        attrs = {"response_identifier": "RESPONSE"}
        if numeric and question.get("unit"):
            attrs["data_unit"] = question["unit"]
        _el(ET.SubElement(body, "p"), "text-entry-interaction", **attrs)
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
        _paragraphs(body, question["statement"])
        _paragraphs(_el(body, "rubric-block", view="scorer"), question.get("model_answer") or "")
        _el(body, "extended-text-interaction", response_identifier="RESPONSE")
    elif qtype == "ASSOCIATION":
        declaration.set("cardinality", "multiple")
        declaration.set("base-type", "directedPair")
        correct = _el(declaration, "correct-response")
        for n, _ in enumerate(question["pairs"], 1):
            _el(correct, "value", f"L{n} R{n}")
        interaction = _el(body, "match-interaction", response_identifier="RESPONSE", shuffle="true",
                          max_associations=len(question["pairs"]))
        _lines(_el(interaction, "prompt"), question["statement"])
        lefts, rights = _el(interaction, "simple-match-set"), _el(interaction, "simple-match-set")
        for n, pair in enumerate(question["pairs"], 1):
            _el(lefts, "simple-associable-choice", pair["left"], identifier=f"L{n}", match_max=1)
            _el(rights, "simple-associable-choice", pair["right"], identifier=f"R{n}", match_max=1)
    elif qtype == "ZONE":
        declaration.set("cardinality", "multiple" if len(question["areas"]) > 1 else "single")
        correct = _el(declaration, "correct-response")
        for n, _ in enumerate(question["areas"], 1):
            _el(correct, "value", f"A{n}")
        _media_paragraphs(body, None, attachments)
        interaction = _el(body, "hotspot-interaction", response_identifier="RESPONSE", max_choices=len(question["areas"]))
        _lines(_el(interaction, "prompt"), question["statement"])
        ET.SubElement(interaction, "object", {"data": question.get("image") or "", "type": "image/png"}).text = "image"
        for n, area in enumerate(question["areas"], 1):
            _el(interaction, "hotspot-choice", identifier=f"A{n}", shape=area["shape"], coords=area["coords"])
    teaching = "\n".join(t for t in (item.get("teaching_comment"), question.get("teaching_comment")) if t)
    if option_comments or teaching:
        # the FEEDBACK outcome holds the chosen options; the teaching comment is keyed to a value never set,
        # so that show-hide="hide" shows it always
        feedback = ET.Element("qti-outcome-declaration", {"identifier": "FEEDBACK", "cardinality": "multiple",
                                                            "base-type": "identifier"})
        root.insert(list(root).index(score) + 1, feedback)
    if option_comments:
        processing = root.find("qti-response-processing")
        if processing is None:
            processing = _el(root, "response-processing")
        _el(_el(processing, "set-outcome-value", identifier="FEEDBACK"), "variable", identifier="RESPONSE")
    if teaching:
        modal = _el(root, "modal-feedback", outcome_identifier="FEEDBACK", identifier="ALWAYS", show_hide="hide")
        _paragraphs(_el(modal, "content-body"), teaching)
    problems = []
    for key in ("comment", "hint"):
        if question.get(key) or item.get(key):
            problems.append(f"{key} is not exported to QTI")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode"), problems
