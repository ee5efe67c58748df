"""The LiSA wiki export of the R2C référentiel: `IC-NNN/OIC-NNN-KK-R.txt` files in the
`{{knowledge objective|…}}` template format, tolerant of the export's irregularities."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

TEMPLATE_START = re.compile(r"^\s*(?:<br\s*/?>\s*)?\{\{?\s*(knowledge objective|objective of knowledge)\s*(\|.*)?$",
                            re.IGNORECASE)
IDENTIFIER = re.compile(r"^OIC-(\d{3})-(\d{2})-([AB])$")
FILE_NAME = re.compile(r"^OIC-\d{3}-\d{2}-[AB]\.txt$")
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
}


@dataclass(frozen=True)
class Problem:
    """Something wrong in one file; `skipped` says whether the file was left out."""

    file: str
    message: str
    skipped: bool = False

    def __str__(self) -> str:
        return f"{self.file}: {self.message}" + (" (file skipped)" if self.skipped else "")


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


def parse_template(text: str, name: str) -> tuple[dict[str, str], str, list[Problem]]:
    """The fields and body text of one file; raises ValueError when there is no template."""
    lines = text.splitlines()
    while lines and not lines[0].strip():
        lines.pop(0)
    if not lines or not TEMPLATE_START.match(lines[0]):
        raise ValueError("no {{knowledge objective …}} template at the top")
    fields: dict[str, str] = {}
    problems: list[Problem] = []
    current = None
    closed_at = None
    after = ""
    for index, line in enumerate(lines[1:], 1):
        end = _closing_braces(line)
        closing = end is not None
        stripped = line[:end].rstrip() if closing else line.rstrip()
        if closing:
            after = line[end + 2:]
        if stripped.startswith("|"):
            key, sep, value = stripped[1:].partition("=")
            if not sep:
                current = "description" if not _clean(fields.get("description")) else "unnamed"
                problems.append(Problem(name, f"line {index + 1}: a field without a name, read as {current}"))
                fields[current] = (fields.get(current, "") + " " + key).strip() \
                    if current == "description" and _clean(fields.get("description")) else key.strip()
            else:
                canonical = FIELD_NAMES.get(key.strip().lower())
                if canonical == "title_or_rubric":
                    canonical = "rubric" if "description" in fields else "title"
                elif canonical == "item_short" and "item_short" in fields and "rank" in fields \
                        and "title" not in fields and "description" not in fields:
                    problems.append(Problem(name, f"line {index + 1}: a second Item_parent_short in the title's "
                                                  "place, read as the Title"))
                    canonical = "title"
                if canonical is None:
                    problems.append(Problem(name, f"line {index + 1}: unknown field '{key.strip()}' ignored"))
                    current = None
                elif canonical in fields and _clean(fields[canonical]):
                    problems.append(Problem(name, f"line {index + 1}: field '{key.strip()}' repeated; "
                                                  "the first value is kept"))
                    current = None
                else:
                    fields[canonical] = value.strip()
                    current = canonical
        elif current is not None and stripped.strip():
            fields[current] = f"{fields[current]}\n{stripped.strip()}"
        if closing:
            closed_at = index
            break
    if closed_at is None:
        raise ValueError("the template is never closed with }}")
    body = "\n".join(lines[closed_at + 1:])
    return fields, _clean((after + "\n" + body) if after.strip() else body) or "", problems


def parse_file(path: Path, folder_number: int | None) -> tuple[Objective | None, list[Problem]]:
    """One objective file; problems say what was repaired or why it was skipped."""
    name = f"{path.parent.name}/{path.name}"
    try:
        fields, body, problems = parse_template(path.read_text(encoding="utf-8", errors="replace"), name)
    except ValueError as exc:
        return None, [Problem(name, str(exc), skipped=True)]
    identifier = (fields.get("identifier") or "").strip()
    match = IDENTIFIER.match(identifier)
    if not match:
        stem_match = IDENTIFIER.match(path.stem)
        if not stem_match:
            return None, [*problems, Problem(name, f"no valid Identifiant (got {identifier!r}) and the file name "
                                                   "is not OIC-NNN-KK-R", skipped=True)]
        problems.append(Problem(name, f"Identifiant {identifier!r} is not OIC-NNN-KK-R: taken from the file name"))
        identifier, match = path.stem, stem_match
    if not FILE_NAME.match(path.name) or path.stem != identifier:
        problems.append(Problem(name, f"file name does not match its Identifiant {identifier}"))
    number, order_from_id, rank_from_id = int(match[1]), int(match[2]), match[3]
    if folder_number is not None and folder_number != number:
        problems.append(Problem(name, f"in folder IC-{folder_number:03d} but its Identifiant says item {number}"))
    rank = (fields.get("rank") or "").strip().upper()
    if rank not in ("A", "B"):
        problems.append(Problem(name, f"Rank {rank!r} is not A or B: {rank_from_id} taken from the Identifiant"))
        rank = rank_from_id
    elif rank != rank_from_id:
        problems.append(Problem(name, f"Rank {rank} disagrees with the Identifiant ({rank_from_id}): "
                                      "the Identifiant wins"))
        rank = rank_from_id
    order_text = (fields.get("order") or "").strip()
    if order_text.isdigit():
        order = int(order_text)
    else:
        problems.append(Problem(name, f"Order {order_text!r} missing or not a number: {order_from_id} "
                                      "taken from the Identifiant"))
        order = order_from_id
    description = _clean(fields.get("description"))
    title = _clean(fields.get("title"))
    if not title:
        title = description or identifier
        problems.append(Problem(name, "no Title: the " + ("Description" if description else "Identifiant")
                                + " is used as the label"))
    rubric_text = _clean(fields.get("rubric"))
    rubric = None
    if rubric_text:
        rubric = RUBRICS.get(rubric_text.lower())
        if rubric is None:
            rubric = (rubric_text, rubric_text)
            problems.append(Problem(name, f"unknown rubric {rubric_text!r} kept as written"))
    else:
        problems.append(Problem(name, "no Rubric"))
    return Objective(identifier, number, rank, title, order, description, rubric, body,
                     _clean(fields.get("contributors")), _clean(fields.get("item_title")),
                     _clean(fields.get("item_short")), name), problems


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
            problems.append(Problem(f"{path.parent.name}/{path.name}", "not a .txt file", skipped=True))
            continue
        objective, found = parse_file(path, int(folder_match[1]) if folder_match else None)
        problems.extend(found)
        if objective is None:
            continue
        if objective.identifier in seen:
            problems.append(Problem(objective.file, f"{objective.identifier} already read from "
                                                    f"{seen[objective.identifier]}", skipped=True))
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
            problems.append(Problem(f"IC-{number:03d}", "no Item_parent in any file: item titled by its number"))
    return Export(items, problems, len(files))
