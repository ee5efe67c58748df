"""Reading the content of a QTI item (XHTML with QTI elements): its text, the media it shows, its feedback, and
what cannot be carried over, cut into segments at each interaction."""

from __future__ import annotations

import posixpath
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from importers.converted import LOST, REPAIRED, Converted, MediaMissing
from importers.xml_input import XmlRefused, read_xml

INLINE_INTERACTIONS = {"textEntryInteraction", "inlineChoiceInteraction"}
INTERACTIONS = INLINE_INTERACTIONS | {
    "choiceInteraction", "extendedTextInteraction", "matchInteraction", "associateInteraction",
    "hotspotInteraction", "orderInteraction", "gapMatchInteraction", "sliderInteraction", "uploadInteraction",
    "drawingInteraction", "graphicOrderInteraction", "selectPointInteraction", "hottextInteraction",
    "mediaInteraction", "graphicGapMatchInteraction", "positionObjectInteraction", "customInteraction",
    "graphicAssociateInteraction", "endAttemptInteraction", "portableCustomInteraction"}
BLOCKS = {"p", "div", "blockquote", "li", "ul", "ol", "dl", "dt", "dd", "table", "tr", "caption", "thead", "tbody",
          "tfoot", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "figure", "figcaption", "section", "article", "aside",
          "header", "footer", "address", "hr", "contentBody", "stimulusBody", "itemBody"}
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp"}
FEEDBACK = {"feedbackInline", "feedbackBlock"}
# Elements whose content is not text to show: their absence is reported where they are met.
MEDIA_PLAYERS = {"audio", "video", "iframe", "embed", "svg"}


def local(tag: str) -> str:
    """`{ns}qti-choice-interaction` and `choiceInteraction` both become `choiceInteraction`."""
    name = tag.rsplit("}", 1)[-1]
    if name.startswith("qti-"):
        name = name[4:]
    return re.sub(r"-([a-z])", lambda m: m[1].upper(), name)


def normalise(element: ET.Element) -> ET.Element:
    """A copy with QTI 3 and QTI 2 names made the same (tags and attributes, `data-` attributes kept)."""
    copy = ET.Element(local(element.tag), {k if k.startswith("data-") else local(k): v
                                           for k, v in element.attrib.items()})
    copy.text, copy.tail = element.text, element.tail
    for child in element:
        copy.append(normalise(child))
    return copy


def tidy(parts: list[str]) -> str:
    """Text pieces as plain text: spaces collapsed, one line per paragraph."""
    lines = (re.sub(r"[ \t\r\f\v]+", " ", line).strip() for line in "".join(parts).split("\n"))
    return "\n".join(line for line in lines if line)


@dataclass
class Media:
    """A stored file the content shows: its IRI, whether it is a picture, where it came from."""

    iri: str
    image: bool
    path: str
    media_type: str = ""
    alt: str = ""


@dataclass
class Segment:
    """The content met before an interaction (or after the last one): text, media, feedback, scorer rubrics."""

    parts: list[str] = field(default_factory=list)
    media: list[Media] = field(default_factory=list)
    feedback: list[ET.Element] = field(default_factory=list)
    rubrics: list[str] = field(default_factory=list)
    interaction: ET.Element | None = None
    sentence: str | None = None  # an inline interaction: its sentence, the blank shown as ___

    @property
    def text(self) -> str:
        """The segment's text."""
        return tidy(self.parts)


class ContentReader:
    """Walks item content, storing media through `resolve(path) -> IRI` (raises MediaMissing) and noting losses."""

    def __init__(self, converted: Converted, resolve, read=None, base: str = ""):
        self.converted = converted
        self.resolve = resolve
        self.read = read
        self.base = base  # folder of the file being read, relative to the item (stimuli, includes)
        self.assigned: set[str] = set()  # the values the item's outcomes can take (which feedback can show)
        self.formulas: list[str] = []  # MathML formulas written as text, reported once per item

    def sub(self, base: str | None = None, resolve=None) -> ContentReader:
        """A reader of another part of the same item (a rubric, a fallback, a shared passage)."""
        reader = ContentReader(self.converted, resolve or self.resolve, self.read, self.base if base is None else base)
        reader.assigned, reader.formulas = self.assigned, self.formulas
        return reader

    def note_formulas(self) -> None:
        """One note for the formulas met, with a few of them."""
        if self.formulas:
            shown = "; ".join(repr(f) for f in self.formulas[:3]) + (" …" if len(self.formulas) > 3 else "")
            self.converted.note(REPAIRED, "formula", f"{len(self.formulas)} MathML formula(s) written as plain text "
                                                     f"({shown}): check them")

    # --- whole bodies, cut at interactions ------------------------------------------------------------
    def segments(self, element: ET.Element) -> list[Segment]:
        """The content of an item body (or stimulus) as segments, each closed by one interaction; the last holds
        what follows the last interaction."""
        self._segments = [Segment()]
        self._walk(element, cut=True)
        return self._segments

    def content(self, element: ET.Element | None) -> Segment:
        """The content of a prompt, choice or feedback, as one segment (interactions inside are not expected)."""
        self._segments = [Segment()]
        if element is not None:
            self._walk(element, cut=False)
        return self._segments[0]

    def text(self, element: ET.Element | None) -> str:
        """The plain text of an element (media and feedback inside are handled as in `content`)."""
        return self.content(element).text

    @property
    def _current(self) -> Segment:
        return self._segments[-1]

    def _walk(self, element: ET.Element, cut: bool) -> None:
        self._current.parts.append(_spaces(element.text))
        for child in element:
            self._node(child, cut)
            self._current.parts.append(_spaces(child.tail))

    def _node(self, node: ET.Element, cut: bool) -> None:
        tag = node.tag
        if tag in INTERACTIONS:
            if cut:
                self._close(node, None)
            else:
                self._lose("interaction", f"a {tag} inside a prompt, choice or feedback is not carried over")
        elif cut and tag in BLOCKS and _is_sentence(node):
            self._sentence(node)
        elif tag == "img":
            self._media(node, [node.get("src") or ""], image=True, alt=node.get("alt") or "")
        elif tag == "object":
            self._object(node)
        elif tag in FEEDBACK and cut and any(n.tag in INTERACTIONS for n in node.iter()):
            # adaptive items show parts of the body on a condition: the part is kept as ordinary content
            self.converted.note(REPAIRED, "conditional-body", f"content shown when {node.get('outcomeIdentifier')} "
                                                              f"is {node.get('identifier')} is imported as always shown")
            self._walk(node, cut)
        elif tag in FEEDBACK:
            self._current.feedback.append(node)
        elif tag == "rubricBlock":
            self._rubric(node, cut)
        elif tag == "math":
            flat = re.sub(r"\s+", " ", mathml_text(node)).strip()
            self._current.parts.append(f" {flat} ")
            self.formulas.append(flat)
        elif tag == "printedVariable":
            self._current.parts.append(f"{{{node.get('identifier')}}}")
            self._lose("template", f"the printed value of {node.get('identifier')} is shown as "
                                   f"{{{node.get('identifier')}}}: values drawn at random are not carried over")
        elif tag in ("templateBlock", "templateInline"):
            self._lose("template", f"a {tag} shown only for some drawn values of {node.get('templateIdentifier')} "
                                   f"is left out: {_spaces(''.join(node.itertext())).strip()[:80]!r}")
        elif tag == "include":
            self._include(node, cut)
        elif tag == "br":
            self._current.parts.append("\n")
        elif tag in ("td", "th"):
            self._current.parts.append(" | ")
            self._walk(node, cut)
        elif tag == "sup":
            self._current.parts.append("^")
            self._walk(node, cut)
        elif tag == "a":
            self._walk(node, cut)
            href = node.get("href") or ""
            if href and href not in "".join(node.itertext()):
                self._current.parts.append(f" <{href}>")
        elif tag in MEDIA_PLAYERS:
            self._lose("media", f"a {tag} ({node.get('src') or node.get('data') or 'inline'}) is not carried over")
        elif tag in BLOCKS:
            self._current.parts.append("\n")
            self._walk(node, cut)
            self._current.parts.append("\n")
        else:
            self._walk(node, cut)

    def _close(self, interaction: ET.Element, sentence: str | None) -> None:
        self._current.interaction = interaction
        self._current.sentence = sentence
        self._segments.append(Segment())

    def _sentence(self, block: ET.Element) -> None:
        """A paragraph holding blanks (text entries, inline choices): one question per blank, on that sentence."""
        blanks = [n for n in block.iter() if n.tag in INLINE_INTERACTIONS]
        for n, blank in enumerate(blanks):
            parts: list[str] = []
            self._blank_text(block, blank, parts, noting=n == 0)
            sentence = tidy(parts)
            self._close(blank, None if sentence == "___" else sentence)
        # pictures in the paragraph go with its first blank's question; feedback after it, with the last one
        first = self._segments[-1 - len(blanks)]
        for node in block.iter():
            if node.tag == "img":
                self._media(node, [node.get("src") or ""], image=True, alt=node.get("alt") or "", into=first)
            elif node.tag in FEEDBACK:
                self._current.feedback.append(node)
            elif node.tag in MEDIA_PLAYERS | {"object"}:
                self._lose("media", f"a {node.tag} in a sentence with blanks is not carried over")

    def _blank_text(self, element: ET.Element, blank: ET.Element, parts: list[str], noting: bool) -> None:
        parts.append(_spaces(element.text))
        for child in element:
            if child is blank:
                parts.append("___")
            elif child.tag in INLINE_INTERACTIONS:
                parts.append("[…]")
            elif child.tag in ("br", "math", "printedVariable", "templateInline", "templateBlock"):
                # the same words as elsewhere in the body, noted once per sentence
                saved, self._segments = self._segments, [Segment()]
                notes = len(self.converted.notes)
                self._node(child, cut=False)
                parts.extend(self._segments[0].parts)
                self._segments = saved
                if not noting:
                    del self.converted.notes[notes:]
            elif child.tag not in FEEDBACK and child.tag != "img":
                self._blank_text(child, blank, parts, noting)
            parts.append(_spaces(child.tail))

    def _rubric(self, node: ET.Element, cut: bool) -> None:
        views = (node.get("view") or "candidate").split()
        if "candidate" in views:
            self._current.parts.append("\n")
            self._walk(node, cut)
            self._current.parts.append("\n")
        else:
            self._current.rubrics.append(self.sub().text(node))

    def _include(self, node: ET.Element, cut: bool) -> None:
        href = node.get("href") or ""
        content = self.read(self._path(href)) if self.read else None
        if content is None:
            self._lose("include", f"the included file {href!r} is not in the package or folder: not carried over")
            return
        try:
            included = normalise(read_xml(content))
        except XmlRefused as exc:
            self._lose("include", f"the included file {href!r} is not readable XML ({exc}): not carried over")
            return
        saved, self.base = self.base, posixpath.dirname(self._path(href))
        self._walk(included, cut)
        self.base = saved

    # --- media --------------------------------------------------------------------------------------
    def _path(self, path: str) -> str:
        if not self.base or re.match(r"^[a-z][a-z0-9+.-]*:", path, re.I) or path.startswith("/"):
            return path
        return posixpath.normpath(posixpath.join(self.base, path))

    def _object(self, node: ET.Element) -> None:
        """An object and its fallbacks (nested objects, then text): the first file that can be stored wins."""
        chain, fallback = [], node
        while fallback is not None and fallback.tag == "object":
            chain.append(fallback)
            fallback = next((c for c in fallback if c.tag == "object"), None)
        candidates = [o.get("data") or "" for o in chain]
        text_fallback = self.sub(resolve=lambda p: None).text(
            _without_objects(chain[-1]))
        image = any(_is_image(o.get("data") or "", o.get("type")) for o in chain)
        stored = self._media(chain[0], candidates, image=image, alt=text_fallback, types=[o.get("type") for o in chain])
        if not stored and text_fallback:
            self._current.parts.append(f"\n{text_fallback}\n")

    def _media(self, node: ET.Element, candidates: list[str], image: bool, alt: str, types=None,
               into: Segment | None = None) -> bool:
        """Store the first candidate that can be; report the others (by name) and a loss if none could."""
        failures = []
        into = into or self._current
        for index, path in enumerate(candidates):
            if not path:
                continue
            try:
                iri = self.resolve(self._path(path))
            except MediaMissing as exc:
                failures.append((path, str(exc)))
                continue
            media_type = (types or [None] * len(candidates))[index] or ""
            into.media.append(Media(iri, _is_image(path, media_type) if types else image, path, media_type, alt))
            if failures:
                tried = "; ".join(f"{p!r} ({reason})" for p, reason in failures)
                self.converted.note(REPAIRED, "media-fallback", f"{tried}: its fallback {path!r} is used")
            return True
        what = "picture" if image else "file"
        described = f" ({tidy([alt])[:80]!r})" if alt else ""
        if not failures:
            self._lose("media-missing", f"a {node.tag} without a file name{described} is not carried over")
        elif len(failures) == 1:
            path, reason = failures[0]
            self._lose("media-missing", f"the {what} {path!r}{described} is not carried over: {reason}")
        else:
            tried = "; ".join(f"{path!r}: {reason}" for path, reason in failures)
            self._lose("media-missing", f"the {what}{described} is not carried over ({tried})")
        return False

    def _lose(self, kind: str, text: str) -> None:
        self.converted.note(LOST, kind, text)


def _spaces(text: str | None) -> str:
    """Source line breaks inside text are spaces; lines come from the markup (paragraphs, br)."""
    return re.sub(r"\s+", " ", text) if text else ""


def _is_sentence(block: ET.Element) -> bool:
    """A block holding blanks (inline interactions) directly: no block interaction in it, no inner block with a blank."""
    if not any(n.tag in INLINE_INTERACTIONS for n in block.iter()):
        return False
    if any(n.tag in INTERACTIONS - INLINE_INTERACTIONS for n in block.iter()):
        return False
    return not any(n is not block and n.tag in BLOCKS and any(m.tag in INLINE_INTERACTIONS for m in n.iter())
                   for n in block.iter())


def mathml_text(node: ET.Element) -> str:
    """A MathML formula in linear text: x^2, x_i, (a)/(b), √(x); annotations (LaTeX and the like) left out."""
    kids = list(node)
    parts = [mathml_text(k) for k in kids]

    def grouped(text: str) -> str:
        return text if len(text.strip()) <= 1 else f"({text.strip()})"

    tag = node.tag
    if tag == "semantics":
        return parts[0] if parts else ""
    if tag in ("annotation", "annotationXml"):
        return ""
    if tag == "msup" and len(parts) == 2:
        return f"{parts[0]}^{grouped(parts[1])}"
    if tag == "msub" and len(parts) == 2:
        return f"{parts[0]}_{grouped(parts[1])}"
    if tag == "msubsup" and len(parts) == 3:
        return f"{parts[0]}_{grouped(parts[1])}^{grouped(parts[2])}"
    if tag == "mfrac" and len(parts) == 2:
        return f"{grouped(parts[0])}/{grouped(parts[1])}"
    if tag == "msqrt":
        return f"√({' '.join(parts)})"
    if tag == "mroot" and len(parts) == 2:
        return f"{grouped(parts[0])}^(1/{parts[1]})"
    if tag == "mfenced":
        return f"{node.get('open', '(')}{', '.join(parts)}{node.get('close', ')')}"
    if tag == "mtable":
        return "; ".join(parts)
    return " ".join(p for p in [(node.text or "").strip(), *parts] if p)


def _without_objects(element: ET.Element) -> ET.Element:
    copy = ET.Element(element.tag, element.attrib)
    copy.text = element.text
    for child in element:
        if child.tag != "object":
            copy.append(child)
        elif child.tail:
            copy.text = (copy.text or "") + child.tail
    return copy


def _is_image(path: str, media_type: str | None) -> bool:
    if media_type:
        return media_type.startswith("image/")
    return PurePosixPath(path.split("?")[0]).suffix.lower() in IMAGE_SUFFIXES or path.startswith("data:image/")
