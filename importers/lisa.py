"""The LiSA wiki export of the R2C référentiel: `IC-NNN/OIC-NNN-KK-R.txt` files (and a few in the official
`2C-NNN-XX-RNN` numbering) in the `{{knowledge objective|…}}` template format, tolerant of the export's
irregularities: every repair is reported with its file and kind."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from importers.text import NotUtf8, decode_utf8

# The template's opening: `{{knowledge objective`, also `{…`, `*…`, `<br />{…`, and the names `objective of knowledge`
# and `objectif de connaissance`; the first field starts on the next line.
OPENING = re.compile(r"(?P<mark><br\s*/?>\s*\{\{?|\{\{?|\*)?[ \t]*(?P<name>knowledge objective|objective of knowledge|"
                     r"objectif de connaissance)[ \t]*(?=\r?\n\s*\|)", re.IGNORECASE)
IDENTIFIER = re.compile(r"^OIC-(\d{3})-(\d{2})-([AB])$")
# The official R2C numbering: 2C-<item>-<rubric code>-<rank><number>, e.g. 2C-066-IU-A02.
IDENTIFIER_2C = re.compile(r"^2C-(\d{3})-([A-Z]{2})-([AB])(\d{2})$")
FILE_NAME = re.compile(r"^(OIC-\d{3}-\d{2}-[AB]|2C-\d{3}-[A-Z]{2}-[AB]\d{2})\.txt$")
# What an editor leaves before the template that carries nothing: a bare number, MediaWiki's toolbar placeholders.
PLACEHOLDER = re.compile(r"^(\d+|'{3}Text in bold'{3}|'{2}Italic text'{2}|'{3}Texte en gras'{3}|'{2}Texte italique'{2})$")
FIELD_NAMES = {
    "identifiant": "identifier", "identifier": "identifier",
    "item_parent": "item_title", "item_parent_short": "item_short",
    "rank": "rank", "rang": "rank",
    "title": "title", "intitle": "title", "intitulé": "title", "intitule": "title", "titre": "title",
    "description": "description",
    "rubric": "rubric", "rubrique": "rubric",
    # Translated keys that stand for the title before the Description and for the rubric after it.
    "section": "title_or_rubric", "topic": "title_or_rubric", "heading": "title_or_rubric",
    "item": "title_or_rubric",
    "contributors": "contributors", "contributeurs": "contributors",
    "order": "order", "ordre": "order",
    "college": "college",
}
# Spelling variants of the same rubric in the export, mapped to one name (the French rubric they translate).
RUBRICS = {
    "definition": ("Definition", "Définition"),
    "positive diagnosis": ("Positive diagnosis", "Diagnostic positif"),
    "diagnosis": ("Diagnosis", "Diagnostic"),
    "clinical diagnosis": ("Clinical diagnosis", "Diagnostic clinique"),
    "biological diagnosis": ("Biological diagnosis", "Diagnostic biologique"),
    "management": ("Management", "Prise en charge"),
    "taking charge": ("Management", "Prise en charge"),
    "care": ("Management", "Prise en charge"),
    "support": ("Management", "Prise en charge"),
    "epidemiology": ("Epidemiology", "Épidémiologie"),
    "physiopathology": ("Physiopathology", "Éléments physiopathologiques"),
    "identification of the emergency": ("Identifying the emergency", "Identifier une urgence"),
    "identifying emergencies": ("Identifying the emergency", "Identifier une urgence"),
    "identifying the emergency": ("Identifying the emergency", "Identifier une urgence"),
    "identifying emergency situations": ("Identifying the emergency", "Identifier une urgence"),
    "identifying emergency": ("Identifying the emergency", "Identifier une urgence"),
    "complementary examinations": ("Complementary examinations", "Examens complémentaires"),
    "additional examinations": ("Complementary examinations", "Examens complémentaires"),
    "additional tests": ("Complementary examinations", "Examens complémentaires"),
    "follow-up and/or prognosis": ("Follow-up and/or prognosis", "Suivi et/ou pronostic"),
    "monitoring and/or prognosis": ("Follow-up and/or prognosis", "Suivi et/ou pronostic"),
    "etiologies": ("Etiologies", "Étiologies"),
    "multimedia content": ("Multimedia content", "Contenu multimédia"),
    "reimbursement": ("Reimbursement", "Remboursement"),
    "prise en charge": ("Management", "Prise en charge"),
    "définition": ("Definition", "Définition"),
    "diagnostic positif": ("Positive diagnosis", "Diagnostic positif"),
    "evaluation": ("Evaluation", "Évaluation"),
    # Further translations met in the full export (367 items).
    "emergency identification": ("Identifying the emergency", "Identifier une urgence"),
    "identifying an emergency": ("Identifying the emergency", "Identifier une urgence"),
    "identify the emergency": ("Identifying the emergency", "Identifier une urgence"),
    "identification of emergencies": ("Identifying the emergency", "Identifier une urgence"),
    "identification of urgency": ("Identifying the emergency", "Identifier une urgence"),
    "identifying the urgency": ("Identifying the emergency", "Identifier une urgence"),
    "pathophysiological elements": ("Physiopathology", "Éléments physiopathologiques"),
    "pathophysiological factors": ("Physiopathology", "Éléments physiopathologiques"),
    "supplementary tests": ("Complementary examinations", "Examens complémentaires"),
    "complementary tests": ("Complementary examinations", "Examens complémentaires"),
    "additional investigations": ("Complementary examinations", "Examens complémentaires"),
    "prevalence": ("Epidemiology", "Épidémiologie"),
    "prevalence, epidemiology": ("Epidemiology", "Épidémiologie"),
    "epidemiology, prevalence": ("Epidemiology", "Épidémiologie"),
    "pronosis": ("Follow-up and/or prognosis", "Suivi et/ou pronostic"),
    "support and/or prognosis": ("Follow-up and/or prognosis", "Suivi et/ou pronostic"),
}
# The rubric codes of the official numbering (2C-NNN-<code>-…), used when such a file names no rubric.
RUBRIC_CODES = {
    "DE": RUBRICS["definition"], "EP": RUBRICS["epidemiology"], "EL": RUBRICS["physiopathology"],
    "ET": RUBRICS["etiologies"], "DP": RUBRICS["positive diagnosis"], "IU": RUBRICS["identifying the emergency"],
    "EC": RUBRICS["complementary examinations"], "PC": RUBRICS["management"],
    "SP": RUBRICS["follow-up and/or prognosis"], "CM": RUBRICS["multimedia content"],
}


REPAIRED, NOTED, SKIPPED = "repaired", "noted", "skipped"


@dataclass(frozen=True)
class Problem:
    """Something met in one file: repaired (read anyway, differently from how it is written), noted (kept as written,
    or missing), or skipped (the file was left out). `kind` names the shape, for counting."""

    file: str
    message: str
    kind: str
    outcome: str = NOTED

    @property
    def skipped(self) -> bool:
        """Whether the file was left out."""
        return self.outcome == SKIPPED

    def __str__(self) -> str:
        suffix = {SKIPPED: " (file skipped)", REPAIRED: " (repaired)"}.get(self.outcome, "")
        return f"{self.file}: {self.message}{suffix}"


@dataclass
class Objective:
    """One knowledge objective as read from its file."""

    identifier: str
    item_number: int
    rank: str
    title: str
    order: int
    description: str | None = None
    rubric: tuple[str, str] | None = None
    body: str = ""
    contributors: str | None = None
    item_title: str | None = None
    item_short: str | None = None
    file: str = ""


@dataclass
class Item:
    """A knowledge item (IC-NNN) and its objectives."""

    number: int
    title: str
    short: str | None
    objectives: list[Objective] = field(default_factory=list)


@dataclass
class Export:
    """What a LiSA folder holds, and what was wrong with it."""

    items: dict[int, Item]
    problems: list[Problem]
    files: int

    @property
    def objectives(self) -> list[Objective]:
        """Every objective, by item then order."""
        return [o for n in sorted(self.items) for o in sorted(self.items[n].objectives, key=lambda o: o.order)]


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = re.sub(r"<br\s*/?>", "\n", value).strip()
    return None if value in ("", "None") else value


def _closing_braces(line: str) -> int | None:
    """Index of the `}}` that closes the template on this line (inner {{…}} skipped), if any."""
    depth, i = 0, 0
    while i < len(line) - 1:
        pair = line[i:i + 2]
        if pair == "{{":
            depth += 1
            i += 2
        elif pair == "}}":
            if depth == 0:
                return i
            depth -= 1
            i += 2
        else:
            i += 1
    return None


# Splits `|Order =2|Contributors=…` into its fields; a `|` inside a value ([[link|text]]) is not followed by a key.
FIELD_SPLIT = re.compile(r"\|(?=\s*(?:" + "|".join(re.escape(k) for k in sorted(FIELD_NAMES, key=len, reverse=True))
                         + r")\s*=)", re.IGNORECASE)
NUMBERED_RUBRIC = re.compile(r"^\d+\s*[-.]\s*")


def _short(text: str, width: int = 60) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= width else text[:width - 1] + "…"


def _opening(text: str, name: str) -> tuple[int, str, list[Problem]]:
    """Where the template's fields start (line index), the text before the template, and the repairs of its opening."""
    match = OPENING.search(text)
    if match is None:
        raise ValueError("no {{knowledge objective …}} template")
    problems = []
    mark = re.sub(r"\s+", " ", match["mark"] or "").strip()
    if mark != "{{":
        problems.append(Problem(name, f"template opened with {mark + match['name']!r}: read as "
                                      "'{{knowledge objective'", "opening", REPAIRED))
    if match["name"].lower() != "knowledge objective":
        problems.append(Problem(name, f"template named {match['name']!r}: read as 'knowledge objective'",
                                "template-name", REPAIRED))
    return text.count("\n", 0, match.end()) + 1, text[:match.start()].strip(), problems


def _rubric(text: str) -> tuple[str, str] | None:
    return RUBRICS.get(NUMBERED_RUBRIC.sub("", text).strip().lower())


def parse_template(text: str, name: str) -> tuple[dict[str, str], str, list[Problem]]:
    """The fields and body text of one file; raises ValueError when there is no readable template."""
    first, leading, problems = _opening(text, name)
    lines = text.splitlines()
    parts = [(number, part if n == 0 else "|" + part) for number, line in enumerate(lines[first:], first + 1)
             for n, part in enumerate(FIELD_SPLIT.split(line) if line.startswith("|") else [line])]
    if any(line.startswith("|") and len(FIELD_SPLIT.split(line)) > 2 for line in lines[first:first + 20]):
        problems.append(Problem(name, "several fields on one line: read one by one", "fields-on-one-line", REPAIRED))
    fields: dict[str, str] = {}
    current = None
    closed_at = None
    after = ""
    for number, line in parts:
        end = _closing_braces(line)
        closing = end is not None
        stripped = line[:end].rstrip() if closing else line.rstrip()
        if closing:
            after = line[end + 2:]
        if stripped.startswith("|"):
            key, sep, value = stripped[1:].partition("=")
            if not sep:
                current = _unnamed(fields, key.strip(), name, number, problems)
            else:
                canonical = FIELD_NAMES.get(key.strip().lower())
                if canonical == "title_or_rubric":
                    canonical = "rubric" if "description" in fields else "title"
                elif canonical == "item_short" and "item_short" in fields and "rank" in fields \
                        and "title" not in fields and "description" not in fields:
                    problems.append(Problem(name, f"line {number}: a second Item_parent_short in the title's "
                                                  "place, read as the Title", "item-short-as-title", REPAIRED))
                    canonical = "title"
                if canonical is None:
                    problems.append(Problem(name, f"line {number}: unknown field '{key.strip()}' ignored",
                                            "unknown-field"))
                    current = None
                elif canonical in fields and _clean(fields[canonical]):
                    problems.append(Problem(name, f"line {number}: field '{key.strip()}' repeated; "
                                                  "the first value is kept", "repeated-field"))
                    current = None
                else:
                    fields[canonical] = value.strip()
                    current = canonical
        elif current is not None and stripped.strip():
            fields[current] = f"{fields[current]}\n{stripped.strip()}"
        if closing:
            closed_at = number
            break
    if closed_at is None:
        raise ValueError("the template is never closed with }}")
    body = "\n".join(lines[closed_at:])
    if after.strip():
        body = after + "\n" + body
        problems.append(Problem(name, "text after the closing }} read as the start of the body",
                                "text-after-template", REPAIRED))
    body = _clean(body) or ""
    if leading:
        if PLACEHOLDER.match(leading):
            problems.append(Problem(name, f"stray text {leading!r} before the template dropped",
                                    "text-before-template", REPAIRED))
        elif re.sub(r"\s+", " ", leading) in re.sub(r"\s+", " ", body):
            problems.append(Problem(name, f"text before the template ({_short(leading)!r}) dropped: the body "
                                          "repeats it", "text-before-template", REPAIRED))
        else:
            body = f"{leading}\n{body}".strip()
            problems.append(Problem(name, f"text before the template ({_short(leading)!r}) moved to the start of "
                                          "the body", "text-before-template", REPAIRED))
    return fields, body, problems


def _unnamed(fields: dict[str, str], value: str, name: str, number: int, problems: list[Problem]) -> str:
    """Where a `|value` line without a field name belongs, from the fields read so far; the field it went to."""
    if not _clean(fields.get("title")) and "description" not in fields:
        target, where = "title", "in the Title's place, read as the Title"
    elif "description" in fields and not _clean(fields.get("rubric")) and _rubric(value):
        target, where = "rubric", "after the Description naming a rubric, read as the Rubric"
    elif not _clean(fields.get("description")):
        target, where = "description", "read as the Description"
    else:
        fields["description"] = f"{fields['description']}\n{value}"
        problems.append(Problem(name, f"line {number}: a field without a name after the Description, added to it",
                                "unnamed-field", REPAIRED))
        return "description"
    fields[target] = value
    problems.append(Problem(name, f"line {number}: a field without a name {where}", "unnamed-field", REPAIRED))
    return target


def _identifier(fields: dict[str, str], path: Path, name: str, problems: list[Problem]) -> tuple[str, re.Match] | None:
    """The objective's identifier (OIC-… or 2C-…) and its match, from the Identifiant or else the file name."""
    identifier = (fields.get("identifier") or "").strip()
    match = IDENTIFIER.match(identifier) or IDENTIFIER_2C.match(identifier)
    if match:
        return identifier, match
    from_name = IDENTIFIER.match(path.stem) or IDENTIFIER_2C.match(path.stem)
    if not from_name:
        problems.append(Problem(name, f"no valid Identifiant (got {identifier!r}) and the file name is not "
                                      "OIC-NNN-KK-R or 2C-NNN-XX-RNN", "no-identifier", SKIPPED))
        return None
    problems.append(Problem(name, f"Identifiant {identifier!r} is not OIC-NNN-KK-R: taken from the file name",
                            "identifier-from-file-name", REPAIRED))
    return path.stem, from_name


def parse_file(path: Path, folder_number: int | None) -> tuple[Objective | None, list[Problem]]:
    """One objective file; problems say what was repaired or noted, or why it was skipped."""
    name = f"{path.parent.name}/{path.name}"
    data = path.read_bytes()
    try:
        text, repaired = decode_utf8(data), []
    except NotUtf8 as exc:
        # wiki exports saved by hand on Windows: the French letters are Windows-1252, the rest is ASCII
        text = data.decode("cp1252", errors="replace")
        repaired = [Problem(name, f"{exc}: read as Windows-1252", "not-utf8", REPAIRED)]
    try:
        fields, body, problems = parse_template(text, name)
    except ValueError as exc:
        return None, [*repaired, Problem(name, str(exc), "no-template", SKIPPED)]
    problems[:0] = repaired
    found = _identifier(fields, path, name, problems)
    if found is None:
        return None, problems
    identifier, match = found
    official = match.re is IDENTIFIER_2C
    if official:
        number, code, rank_from_id, order_from_id = int(match[1]), match[2], match[3], int(match[4])
        problems.append(Problem(name, f"{identifier} is in the official 2C numbering: imported under its own "
                                      f"identifier, as an objective of IC-{number:03d}", "2c-identifier"))
    else:
        number, code, order_from_id, rank_from_id = int(match[1]), None, int(match[2]), match[3]
    if not FILE_NAME.match(path.name) or path.stem != identifier:
        problems.append(Problem(name, f"file name does not match its Identifiant {identifier}", "file-name"))
    if folder_number is not None and folder_number != number:
        problems.append(Problem(name, f"in folder IC-{folder_number:03d} but its Identifiant says item {number}",
                                "folder"))
    rank = (fields.get("rank") or "").strip().upper()
    if rank not in ("A", "B"):
        problems.append(Problem(name, f"Rank {rank!r} is not A or B: {rank_from_id} taken from the Identifiant",
                                "rank", REPAIRED))
        rank = rank_from_id
    elif rank != rank_from_id:
        problems.append(Problem(name, f"Rank {rank} disagrees with the Identifiant ({rank_from_id}): "
                                      "the Identifiant wins", "rank", REPAIRED))
        rank = rank_from_id
    order_text = (fields.get("order") or "").strip()
    if order_text.isdigit():
        order = int(order_text)
    else:
        problems.append(Problem(name, f"Order {order_text!r} missing or not a number: {order_from_id} "
                                      "taken from the Identifiant", "order", REPAIRED))
        order = order_from_id
    description = _clean(fields.get("description"))
    title = _clean(fields.get("title"))
    if title and identifier in title:
        title = _clean(title.replace(identifier, "").strip(" -–:"))
        problems.append(Problem(name, "the Title repeats the Identifiant: removed from the label",
                                "identifier-in-title", REPAIRED))
    if not title:
        title = description or identifier
        problems.append(Problem(name, "no Title: the " + ("Description" if description else "Identifiant")
                                + " is used as the label", "no-title", REPAIRED))
    rubric = _objective_rubric(_clean(fields.get("rubric")), code, name, problems)
    return Objective(identifier, number, rank, title, order, description, rubric, body,
                     _clean(fields.get("contributors")), _clean(fields.get("item_title")),
                     _clean(fields.get("item_short")), name), problems


def _objective_rubric(text: str | None, code: str | None, name: str, problems: list[Problem]) -> tuple[str, str] | None:
    """The rubric (English, French) of a Rubric field, else of a 2C rubric code; None when neither says."""
    from_code = RUBRIC_CODES.get(code) if code else None
    if not text:
        if from_code:
            problems.append(Problem(name, f"no Rubric: {from_code[0]!r} taken from the code {code} of the Identifiant",
                                    "rubric-from-code", REPAIRED))
            return from_code
        problems.append(Problem(name, "no Rubric", "no-rubric"))
        return None
    if NUMBERED_RUBRIC.match(text):
        problems.append(Problem(name, f"rubric {text!r} read without its number", "numbered-rubric", REPAIRED))
    rubric = _rubric(text)
    if rubric is None:
        problems.append(Problem(name, f"unknown rubric {text!r} kept as written", "unknown-rubric"))
        return (text, text)
    if from_code and from_code != rubric:
        problems.append(Problem(name, f"rubric {rubric[0]!r} differs from the code {code} of the Identifiant "
                                      f"({from_code[0]!r}): the Rubric field is kept", "rubric-code"))
    return rubric


def parse_folder(folder: Path) -> Export:
    """Every objective file of a LiSA export folder."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: not a folder")
    items: dict[int, Item] = {}
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    files = sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))
    for path in files:
        folder_match = re.match(r"^IC-(\d{3})$", path.parent.name)
        if path.suffix.lower() != ".txt":
            problems.append(Problem(f"{path.parent.name}/{path.name}", "not a .txt file", "not-txt", SKIPPED))
            continue
        objective, found = parse_file(path, int(folder_match[1]) if folder_match else None)
        problems.extend(found)
        if objective is None:
            continue
        if objective.identifier in seen:
            problems.append(Problem(objective.file, f"{objective.identifier} already read from "
                                                    f"{seen[objective.identifier]}", "duplicate", SKIPPED))
            continue
        seen[objective.identifier] = objective.file
        item = items.setdefault(objective.item_number, Item(objective.item_number, "", None))
        item.objectives.append(objective)
    for number, item in items.items():
        titles = Counter(o.item_title for o in item.objectives if o.item_title)
        shorts = Counter(o.item_short for o in item.objectives if o.item_short)
        item.title = titles.most_common(1)[0][0] if titles else f"Item {number}"
        item.short = shorts.most_common(1)[0][0] if shorts else None
        if not titles:
            problems.append(Problem(f"IC-{number:03d}", "no Item_parent in any file: item titled by its number",
                                    "no-item-title", REPAIRED))
        by_order: dict[int, list[str]] = {}
        for objective in item.objectives:
            by_order.setdefault(objective.order, []).append(objective.identifier)
        for order, identifiers in sorted(by_order.items()):
            if len(identifiers) > 1:
                problems.append(Problem(f"IC-{number:03d}", f"order {order} shared by {', '.join(sorted(identifiers))}: "
                                                            "listed by identifier", "shared-order"))
    return Export(items, problems, len(files))
