"""Previews of an item: the student view (no correction) and the teacher view (answers, comments, hints, types)."""

from __future__ import annotations

import html
import random

STUDENT_HIDDEN = {"accepted_answers", "model_answer", "value", "tolerance", "areas", "expert_answers",
                  "teaching_comment", "comment", "hint"}


def student_question(question: dict, seed: int) -> dict:
    """What a student sees of a question: no right answers, comments or hints; matching pairs shuffled."""
    out = {k: v for k, v in question.items() if k not in STUDENT_HIDDEN and v not in (None, [], "")}
    out["options"] = [{"text": o["text"], **({"image": o["image"]} if o.get("image") else {})}
                      for o in question["options"]]
    if question["pairs"]:
        rights = [p["right"] for p in question["pairs"]]
        random.Random(seed).shuffle(rights)
        out["pairs"] = {"left": [p["left"] for p in question["pairs"]], "right": rights}
    if question.get("expected_count") is not None:
        out["expected_count"] = question["expected_count"]
    return out


def student_view(item: dict) -> dict:
    """The item as a student sees it."""
    seed = hash(item["iri"]) & 0xFFFF
    out = {k: item[k] for k in ("iri", "kind", "title", "vignette", "statement", "article", "attachments")
           if item.get(k)}
    if item.get("question"):
        out["question"] = student_question(item["question"], seed)
    if item.get("questions"):
        out["questions"] = [student_question(q, seed + n) for n, q in enumerate(item["questions"])]
    if item.get("station"):
        out["station"] = {"candidate_instructions": item["station"]["candidate_instructions"],
                          "duration_minutes": item["station"]["duration_minutes"]}
    return out


def teacher_view(item: dict, comments: bool = True, teaching: bool = True, hints: bool = True,
                 types: bool = True) -> dict:
    """The item with its answers, and the comments, teaching comments, hints and types asked for."""
    dropped = {k for k, keep in (("comment", comments), ("teaching_comment", teaching), ("hint", hints)) if not keep}

    def clean(question: dict) -> dict:
        out = {k: v for k, v in question.items() if k not in dropped and v not in (None, [], "")}
        if not types:
            out.pop("type", None)
        if out.get("options"):
            out["options"] = [{k: v for k, v in o.items() if comments or k != "comment"} for o in out["options"]]
        return out

    return each_part(item, clean)


def each_part(item: dict, change) -> dict:
    """The item changed by `change`, and so are its question or its questions (a dossier's)."""
    out = change(item)
    if item.get("question"):
        out["question"] = change(item["question"])
    if item.get("questions"):
        out["questions"] = [change(q) for q in item["questions"]]
    return out


def _e(text) -> str:
    return html.escape(str(text)) if text is not None else ""


def _question_html(q: dict, teacher: bool, number: int | None) -> str:
    parts = [f'<section class="question"><h3>{"Question " + str(number) if number else "Question"}'
             + (f' <small>[{_e(q["type"])}]</small>' if teacher and q.get("type") else "") + "</h3>"]
    if q.get("new_information"):
        parts.append(f'<p class="information">{_e(q["new_information"])}</p>')
    if q.get("hypothesis"):
        parts.append(f'<p class="hypothesis">Si vous pensiez à : {_e(q["hypothesis"])}</p>')
    parts.append(f'<p class="statement">{_e(q["statement"])}</p>')
    if q.get("image"):
        parts.append(f'<img src="{_e(q["image"])}" alt="">')
    parts.append(_attachments_html(q.get("attachments")))
    if q.get("options"):
        items = []
        for n, o in enumerate(q["options"]):
            mark = ""
            if teacher:
                mark = " ✔" if o.get("correct") else " ✘"
                if o.get("criticality"):
                    mark += f" ({_e(o['criticality'])})"
            picture = f' <img src="{_e(o["image"])}" alt="">' if o.get("image") else ""
            comment = f' <span class="comment">— {_e(o["comment"])}</span>' if teacher and o.get("comment") else ""
            items.append(f"<li>{chr(65 + n)}. {_e(o['text'])}{picture}{mark}{comment}</li>")
        parts.append(f'<ol class="options">{"".join(items)}</ol>')
    if q.get("pairs"):
        pairs = q["pairs"]
        if isinstance(pairs, dict):
            parts.append("<table class='pairs'>" + "".join(
                f"<tr><td>{_e(a)}</td><td>{_e(b)}</td></tr>" for a, b in zip(pairs["left"], pairs["right"])) + "</table>")
        else:
            parts.append("<table class='pairs'>" + "".join(
                f"<tr><td>{_e(p['left'])}</td><td>↔ {_e(p['right'])}</td></tr>" for p in pairs) + "</table>")
    if q.get("expected_count"):
        parts.append(f"<p>{_e(q['expected_count'])} réponse(s) attendue(s)</p>")
    if teacher:
        for key, label in (("accepted_answers", "Réponses acceptées"), ("model_answer", "Réponse modèle"),
                           ("value", "Valeur"), ("tolerance", "Tolérance"), ("unit", "Unité"),
                           ("teaching_comment", "Commentaire pédagogique"), ("comment", "Commentaire"),
                           ("hint", "Indice")):
            if q.get(key) not in (None, [], ""):
                value = ", ".join(map(str, q[key])) if isinstance(q[key], list) else q[key]
                parts.append(f'<p class="{key}"><b>{label}</b> : {_e(value)}</p>')
    parts.append("</section>")
    return "".join(parts)


def _attachments_html(files: list[str] | None) -> str:
    if not files:
        return ""
    links = "".join(f'<li><a href="{_e(iri)}">Pièce jointe {n}</a></li>' for n, iri in enumerate(files, 1))
    return f'<ul class="attachments">{links}</ul>'


def as_html(view: dict, teacher: bool) -> str:
    """A standalone HTML page of a preview."""
    title = "Vue enseignant" if teacher else "Vue étudiant"
    return (f"<!doctype html><html lang='fr'><head><meta charset='utf-8'><title>{title} — {_e(view.get('title'))}"
            f"</title></head><body><p class='view'>{title}</p><h1>{_e(view.get('title'))}</h1>"
            f"{preview_fragment(view, teacher)}</body></html>")


def preview_fragment(view: dict, teacher: bool) -> str:
    """A preview's content (no title), to place inside a page."""
    body = []
    for key in ("vignette", "statement"):
        if view.get(key):
            body.append(f'<p class="{key}">{_e(view[key])}</p>')
    if view.get("article"):
        body.append(f'<p class="article"><a href="{_e(view["article"])}">Article</a></p>')
    body.append(_attachments_html(view.get("attachments")))
    if view.get("question"):
        body.append(_question_html(view["question"], teacher, None))
    for n, q in enumerate(view.get("questions") or [], 1):
        body.append(_question_html(q, teacher, n))
    station = view.get("station")
    if station:
        body.append(f"<p><b>Consignes</b> : {_e(station.get('candidate_instructions'))} "
                    f"({_e(station.get('duration_minutes'))} min)</p>")
        if teacher:
            body.append("<ul>" + "".join(f"<li>{_e(c['text'])} — {_e(c['points'])} pt</li>"
                                         for c in station.get("checklist", [])) + "</ul>")
    return "".join(body)
