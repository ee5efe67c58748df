"""STUDIO pages: the items a teacher may see (search and filters), the editor of every item type (isolated
questions, dossiers with ordered questions, ECOS stations) with the shapes' refusals next to their fields, tagging
from the faculty's référentiel (a lazy tree, a server search, suggestions with their reasons), student and teacher
previews, revisions, QTI/Moodle export and import, and the legacy SIDES items of one's e-mail addresses.

Every page calls the services the API calls (`app.state.studio`, `app.state.legacy`, `app.state.lists`, the media
and exchange functions): the editor posts a form that `studio_form` turns into the JSON model `POST /items` takes,
then saves it with `Studio.create` or `Studio.update`, as api/routes/items.py does.
"""

from __future__ import annotations

import json
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request, UploadFile
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from api.csrf import check_page_request
from api.pages import studio_form as sf
from api.pages.i18n import N_, _, current, ngettext
from api.pages.lists import dom_id
from api.pages.render import allowed, display_name, fragment, redirect, render
from api.security import ItemsAuthor, ItemsRead, Principal
from importers.converted import SourceError
from services.lists.repository import OFFICIEL, ListError
from services.studio.exchange import convert, export_item, import_converted
from services.studio.items import Caller, ItemError, ItemInUse, ItemNotFound, Studio, check_only
from services.studio.legacy import Legacy
from services.studio.media import MediaError, store_media
from services.studio.model import ITEM_KINDS, QUESTION_TYPES, Item
from services.studio.preview import each_part, student_view, teacher_view
from store.errors import ValidationFailed

router = APIRouter(prefix="/ui/studio", dependencies=[Depends(check_page_request)], include_in_schema=False)
PAGE_SIZE = 50
SUGGESTIONS = 8
STATUS_OF_INDEX = {"Draft": "draft", "ToReview": "to_review", "Validated": "validated"}
CODE_OF_CLASS = {str(iri).rsplit("#", 1)[-1]: code for code, iri in {**QUESTION_TYPES, **ITEM_KINDS}.items()}
SCALE_CATEGORY = "EchellesEvaluation"
RATING_CATEGORIES = ("ECOS", "EchellesEvaluation")
IMPORT_STATUS = {"converted": N_("converted"), "converted with losses": N_("converted with losses"),
                 "not converted": N_("not converted")}


def studio_of(request: Request) -> Studio:
    """The app's studio."""
    return request.app.state.studio


def caller_of(principal: Principal) -> Caller:
    """The studio's view of the caller (as the API's routes build it)."""
    return Caller(principal.id, principal.is_admin)


def level_of(request: Request, principal: Principal, owner: str | None = None) -> str:
    """The level whose lists tag an item: its owner, else the caller's faculty, else Officiel."""
    return studio_of(request).home_level(caller_of(principal), Item(kind="QI", title="", owner=owner))


def media_url(request: Request, iri: str | None) -> str | None:
    """Where the platform serves a stored file (GET /media/{digest}); None for anything else."""
    base = request.app.state.platform.settings.base_iri.rstrip("/") + "/media/"
    return "/media/" + iri[len(base):] if iri and iri.startswith(base) else None


def entries(request: Request, key: str, level: str) -> list[dict]:
    """The entries of a list as a level sees it: IRI, code and label in the caller's language."""
    try:
        effective = request.app.state.lists.effective(key, level)
    except ListError:
        return []
    lang = current().locale
    return [{"iri": r.iri, "notation": r.entry.notation, "label": r.entry.label(lang)} for r in effective.entries]


def lists_of_category(request: Request, level: str, categories: tuple[str, ...]) -> list[dict]:
    """The lists a level sees in some categories (the scales of a TCS, the rating scales of a station)."""
    lang = current().locale
    return [{"iri": info["iri"], "key": info["key"],
             "label": info["labels"].get(lang) or info["labels"].get("fr") or info["key"]}
            for info in request.app.state.lists.lists_at(level)
            if (info["category"] or "").rsplit("/", 1)[-1] in categories]


def visible_nodes(nodes) -> list:
    """Tree entries a level does not hide (only those may tag an item)."""
    return [n for n in nodes if not n.hidden_by and not n.under_hidden]


# --- the items --------------------------------------------------------------------------------------------
@router.get("")
def items_page(request: Request, principal: ItemsRead, text: str = "", type: str = "", status: str = "",
               specialty: str = "", tag: str = "", mine: str = "", offset: int = 0):
    """The items the caller may see, searched by words and filtered by type, tag, specialty, status, author."""
    studio = studio_of(request)
    level = level_of(request, principal)
    offset = max(0, min(offset, 10_000))
    tag_iri, tag_label, notes = None, None, []
    if tag.strip():
        view = request.app.state.lists.tree("referentiel", level)
        node = view.nodes.get(tag.strip()) or next(
            (n for n in view.nodes.values() if (n.entry.notation or "").casefold() == tag.strip().casefold()), None)
        if node is None:
            found, _total = view.search(tag)
            node = found[0] if found else None
        if node is None:
            notes.append(_("No entry of the référentiel matches « %(tag)s »: the tag filter is left out.")
                         % {"tag": tag})
        else:
            tag_iri = node.iri
            tag_label = " ".join(filter(None, [node.entry.notation, node.entry.label(current().locale)]))
    rows = studio.search(caller_of(principal), type or None, tag_iri, specialty or None,
                         principal.id if mine and principal.id else None,
                         status if status in sf.STATUSES else None, text.strip() or None, PAGE_SIZE + 1, offset)
    more = len(rows) > PAGE_SIZE
    refs = request.app.state.lists.effective("referentiel", level).by_iri()
    lang = current().locale
    found = []
    for row in rows[:PAGE_SIZE]:
        codes = [CODE_OF_CLASS[t] for t in row.get("types", []) if t in CODE_OF_CLASS]
        code = next((c for c in codes if c in sf.QUESTION_TYPES), None) or next(iter(codes), "")
        type_name = sf.TYPE_NAMES.get(code) or sf.KIND_NAMES.get(code, code)
        status_name = sf.STATUS_NAMES[STATUS_OF_INDEX.get(row.get("status") or "", "draft")]
        found.append({"id": row["id"], "title": row["title"], "code": code, "type_name": _(type_name),
                      "status": _(status_name),
                      "author": display_name(request, row["creator"]) if row.get("creator") else "",
                      "tags": [(refs[t].entry.notation or refs[t].entry.label(lang)) if t in refs
                               else t.rsplit("/", 1)[-1] for t in row.get("tags", [])]})
    query = {k: v for k, v in (("text", text), ("type", type), ("status", status), ("specialty", specialty),
                               ("tag", tag), ("mine", mine)) if v}
    pages = {"previous": f"/ui/studio?{urlencode({**query, 'offset': max(0, offset - PAGE_SIZE)})}" if offset else None,
             "next": f"/ui/studio?{urlencode({**query, 'offset': offset + PAGE_SIZE})}" if more else None}
    return render(request, principal, "studio/items.html", title=_("Exam items"), found=found, offset=offset,
                  filters={"text": text, "type": type, "status": status, "specialty": specialty, "tag": tag,
                           "mine": mine}, tag_label=tag_label, notes=notes, pages=pages,
                  question_types=[(c, _(sf.TYPE_NAMES[c])) for c in sf.QUESTION_TYPES],
                  kinds=[(c, _(sf.KIND_NAMES[c])) for c in sf.KINDS if c != "QI"],
                  statuses=[(s, _(sf.STATUS_NAMES[s])) for s in sf.STATUSES],
                  specialties=entries(request, "specialites", level),
                  author=allowed(request, principal, "items:author"))


# --- the editor -------------------------------------------------------------------------------------------
def question_rows(draft: dict, extras: dict[str, int], request: Request, level: str) -> list[dict]:
    """Each question of the draft with the rows its form shows (its own, then empty ones to fill)."""
    shown = []
    for n, q in enumerate(sf.questions_of(draft), 1):
        key = f"q{n}"
        more = extras.get(key, 0)
        blank_option = {"text": "", "correct": False, "criticality": None, "comment": None, "image": None}
        options = list(q["options"])
        if q["type"] in sf.WITH_OPTIONS:
            options += [dict(blank_option) for _n in range(max(1, sf.OPTION_ROWS[q["type"]] - len(options)) + more)]
        areas = list(q["areas"]) + [{"shape": "rect", "coords": ""} for _n in range(1 + more)]
        pairs = list(q["pairs"]) + [{"left": "", "right": ""} for _n in range(max(1, 3 - len(q["pairs"])) + more)]
        experts = []
        if q["type"] == "TCS":
            counts = {a["value"]: a["count"] for a in q["expert_answers"]}
            values = scale_values(request, q.get("scale"), level)
            experts = [{"value": v["iri"], "label": v["label"], "count": counts.pop(v["iri"], None)} for v in values]
            experts += [{"value": value, "label": value, "count": count} for value, count in counts.items()]
        type_name = sf.TYPE_NAMES[q["type"]]
        shown.append({"n": n, "key": key, "q": q, "options": options, "areas": areas, "pairs": pairs,
                      "experts": experts, "image_url": media_url(request, q.get("image")),
                      "type_name": _(type_name)})
    return shown


def scale_values(request: Request, scale: str | None, level: str) -> list[dict]:
    """The values of a scale list as the level sees it."""
    if not scale:
        return []
    return entries(request, request.app.state.lists.repo.list_key(scale), level)


def editor(request: Request, principal: Principal, draft: dict, form: sf.Form | None = None, *,
           item_id: str | None = None, status: int = 200, extras: dict[str, int] | None = None,
           suggestions: list[dict] | None = None, preview: dict | None = None, tag_query: str = "",
           notices: list[dict] | None = None, title: str | None = None):
    """The editor of a draft: every field of its kind and type, each refusal beside its field, the tags beside
    the text (chosen ones, suggestions, the référentiel's tree and search), and a preview when asked."""
    form = form or sf.Form({})
    extras = extras or {}
    level = level_of(request, principal, draft.get("owner"))
    lists = request.app.state.lists
    lang = current().locale
    refs = lists.effective("referentiel", level).by_iri()
    tags = [{"iri": t, "notation": refs[t].entry.notation if t in refs else None,
             "label": refs[t].entry.label(lang) if t in refs else t, "known": t in refs} for t in draft["tags"]]
    tree = lists.tree("referentiel", level)
    tag_results, tag_total = ([], 0)
    if tag_query:
        found, tag_total = tree.search(tag_query)
        tag_results = [{"node": n, "path": " › ".join(a.entry.label(lang) for a in tree.ancestors(n.iri))}
                       for n in visible_nodes(found)]
    summary = [{"key": key, "anchor": anchor(key), **message} for key, messages in form.errors.items()
               for message in messages]
    levels = {lv["iri"]: lv["label"] for lv in lists.levels()}
    people = request.app.state.platform.settings.base_iri.rstrip("/") + "/person/"
    heading = title or (_("Item « %(title)s »") % {"title": draft["title"]} if item_id else _("New item"))
    return render(request, principal, "studio/edit.html", status=status, title=heading, draft=draft,
                  item_id=item_id, action=f"/ui/studio/items/{item_id}" if item_id else "/ui/studio/new",
                  errors=form.errors, summary=summary, anchor=anchor,
                  questions=question_rows(draft, extras, request, level),
                  extras=extras, tags=tags, tag_iris=set(draft["tags"]), suggestions=suggestions, preview=preview,
                  tag_query=tag_query, tag_results=tag_results, tag_total=tag_total, level=level,
                  level_label=levels.get(level, _("Officiel") if level == OFFICIEL else level),
                  roots=visible_nodes(tree.children(None)), tree=tree, dom_id=dom_id, lang=lang,
                  specialties=entries(request, "specialites", level),
                  transversals=entries(request, "familles-connaissance", level),
                  scales=[(s["iri"], s["label"]) for s in lists_of_category(request, level, (SCALE_CATEGORY,))],
                  rating_scales=[(s["iri"], s["label"]) for s in lists_of_category(request, level, RATING_CATEGORIES)],
                  article_url=media_url(request, draft.get("article")),
                  attachment_urls=[(iri, media_url(request, iri)) for iri in draft.get("attachments") or []],
                  coauthors="\n".join(c.removeprefix(people) for c in draft.get("coauthors") or []),
                  notices=notices or [], sf=sf, kinds=[(c, _(sf.KIND_NAMES[c])) for c in sf.KINDS],
                  question_types=[(c, _(sf.TYPE_NAMES[c])) for c in sf.QUESTION_TYPES],
                  statuses=[(s, _(sf.STATUS_NAMES[s])) for s in sf.STATUSES],
                  criticalities=[(c, _(sf.CRITICALITY_NAMES[c])) for c in ("", *sf.CRITICALITIES)],
                  area_shapes=[(s, _(sf.AREA_NAMES[s])) for s in sf.AREA_SHAPES],
                  author=allowed(request, principal, "items:author"))


def anchor(key: str) -> str:
    """The id of the field (or group of fields) an error key names."""
    return "f-" + (key.replace(".", "-") if key else "item")


@router.get("/new")
def new_item(request: Request, principal: ItemsAuthor, kind: str = "QI", type: str = "QRU"):
    """An empty editor for an item of a kind (an isolated question of a type)."""
    return editor(request, principal, sf.blank_item(kind, type))


@router.get("/items/{item_id}")
def item_page(request: Request, item_id: str, principal: ItemsRead):
    """An item in the editor, as saved."""
    item = studio_of(request).get(item_id, caller_of(principal))
    return editor(request, principal, sf.fields_of(item), item_id=item_id)


@router.post("/new")
async def new_item_post(request: Request, principal: ItemsAuthor):
    """The editor's actions on a new item: save it, preview it, ask for tag suggestions, add a question …"""
    data = await request.form()
    return await run_in_threadpool(editor_action, request, principal, data, None)


@router.post("/items/{item_id}")
async def item_post(request: Request, item_id: str, principal: ItemsAuthor):
    """The editor's actions on a saved item; saving makes a new version (the previous one is kept)."""
    data = await request.form()
    await run_in_threadpool(studio_of(request).get, item_id, caller_of(principal))
    return await run_in_threadpool(editor_action, request, principal, data, item_id)


def store_uploads(request: Request, data, draft: dict, form: sf.Form) -> None:
    """Pictures and articles sent with the form, stored by the media service, their IRIs put in the draft."""
    platform = request.app.state.platform

    def stored(name: str) -> str | None:
        upload = data.get(name)
        if upload is None or isinstance(upload, str) or not getattr(upload, "filename", ""):
            return None
        content = upload.file.read()
        if not content:
            return None
        try:
            return store_media(platform, content, (upload.content_type or "").split(";")[0].strip())
        except MediaError as exc:
            form.error(name.removesuffix("_file"), _("This file cannot be stored: %(why)s") % {"why": exc},
                       english=False)
            return None

    for n, question in enumerate(sf.questions_of(draft), 1):
        iri = stored(f"q{n}.image_file")
        if iri:
            question["image"] = iri
    iri = stored("article_file")
    if iri:
        draft["article"] = iri
    iri = stored("attachment_file")
    if iri:
        draft["attachments"] = [*draft.get("attachments", []), iri]


def apply(action: str, draft: dict, extras: dict[str, int], new_type: str) -> None:
    """The editing actions that change the form, not the store: questions added, removed, moved; more rows;
    tags accepted or removed; a picture, an article or an attachment removed."""
    verb, _sep, arg = action.partition(":")
    questions = draft["questions"]
    if verb == "add_question" and draft["kind"] in sf.DOSSIERS:
        questions.append(sf.blank_question(new_type if new_type in sf.QUESTION_TYPES else "QRU"))
    elif verb in ("remove", "up", "down") and arg.isdigit() and 1 <= int(arg) <= len(questions):
        n = int(arg) - 1
        if verb == "remove" and len(questions) > 1:
            questions.pop(n)
        elif verb == "up" and n > 0:
            questions[n - 1], questions[n] = questions[n], questions[n - 1]
        elif verb == "down" and n < len(questions) - 1:
            questions[n + 1], questions[n] = questions[n], questions[n + 1]
    elif verb == "more" and arg:
        extras[arg] = extras.get(arg, 0) + sf.MORE_ROWS
    elif verb == "accept" and arg and arg not in draft["tags"]:
        draft["tags"].append(arg)
    elif verb == "untag":
        draft["tags"] = [t for t in draft["tags"] if t != arg]
    elif verb == "unimage" and arg.isdigit():
        found = sf.questions_of(draft)
        if 1 <= int(arg) <= len(found):
            found[int(arg) - 1]["image"] = None
    elif verb == "unarticle":
        draft["article"] = None
    elif verb == "unattach" and arg:
        draft["attachments"] = [a for a in draft.get("attachments", []) if a != arg]


def suggestion_text(draft: dict) -> str:
    """The words tags are suggested for: the title, the case, each statement and its options."""
    parts = [draft.get("title"), draft.get("vignette"), draft.get("statement")]
    for q in sf.questions_of(draft):
        parts += [q.get("statement"), q.get("hypothesis"), q.get("new_information"),
                  *(o.get("text") for o in q.get("options", []))]
    if draft.get("station"):
        parts += [draft["station"].get("scenario"), draft["station"].get("candidate_instructions")]
    return " ".join(p for p in parts if p)


def suggestions_for(request: Request, principal: Principal, draft: dict) -> list[dict] | None:
    """Tag suggestions for the draft's text from its faculty's référentiel (None when there is too little text)."""
    text = suggestion_text(draft)
    if len(text.strip()) < 3:
        return None
    studio = studio_of(request)
    level = level_of(request, principal, draft.get("owner"))
    found = studio.suggest(text, level, SUGGESTIONS, caller_of(principal))
    return [{**vars(s), "percent": round(s.score * 100)} for s in found]


def preview_of(request: Request, draft: dict, iri: str = "urn:ontosides:preview") -> dict:
    """The student and teacher views of an item (the service decides what each view shows)."""
    shown = {**draft, "iri": iri}
    return {"student": with_urls(request, student_view(shown)), "teacher": with_urls(request, teacher_view(shown))}


def with_urls(request: Request, view: dict) -> dict:
    """A view whose stored pictures and files point where the platform serves them."""
    def fix(part: dict) -> dict:
        out = dict(part)
        for key in ("image", "article"):
            if out.get(key):
                out[key] = media_url(request, out[key]) or out[key]
        if out.get("attachments"):
            out["attachments"] = [media_url(request, a) or a for a in out["attachments"]]
        if isinstance(out.get("options"), list):
            out["options"] = [{**o, "image": media_url(request, o.get("image")) or o.get("image")}
                              if o.get("image") else o for o in out["options"]]
        return out

    return each_part(view, fix)


def tag_labels(request: Request, principal: Principal, draft: dict) -> dict[str, str]:
    """The code and label of each tag of a draft, hidden ones included (to name a refused tag in words)."""
    tree = request.app.state.lists.tree("referentiel", level_of(request, principal, draft.get("owner")))
    lang = current().locale
    return {t: " ".join(filter(None, [tree.nodes[t].entry.notation, tree.nodes[t].entry.label(lang)]))
            for t in draft["tags"] if t in tree.nodes}


def editor_action(request: Request, principal: Principal, data, item_id: str | None):
    """One press of a button of the editor (the page again, or after a save the item's page)."""
    studio = studio_of(request)
    caller = caller_of(principal)
    action = data.get("action") if isinstance(data.get("action"), str) else "refresh"
    if action == "load" and isinstance(data.get("prefill"), str):
        return prefilled(request, principal, data.get("prefill"))
    draft, form = sf.parse_form(data)
    base = request.app.state.platform.settings.base_iri.rstrip("/") + "/"
    draft["coauthors"] = sf.person_iris(draft["coauthors"], base)
    extras = {k.removesuffix(".extra"): int(v) for k, v in data.items()
              if k.endswith(".extra") and isinstance(v, str) and v.isdigit()}
    store_uploads(request, data, draft, form)
    apply(action, draft, extras, data.get("new_type") if isinstance(data.get("new_type"), str) else "QRU")
    tag_query = data.get("tag_q").strip() if isinstance(data.get("tag_q"), str) else ""
    shown = {"extras": extras, "tag_query": tag_query, "item_id": item_id}
    if action == "save":
        item = sf.model_errors(draft, form)
        if item is not None and not form.errors:
            try:
                saved = studio.update(item_id, item, caller) if item_id else studio.create(item, caller)
            except ValidationFailed as exc:
                sf.place_violations([v.as_dict() for v in exc.violations], draft["kind"], form)
            except (ItemNotFound, ItemInUse):
                raise
            except (ItemError, ListError) as exc:
                sf.place_refusal(str(exc), form, tag_labels(request, principal, draft))
            else:
                if item_id and saved["id"] != item_id:
                    message = _("The item is used by an épreuve whose grades are published: your changes were "
                                "saved as a new item that revises it.")
                else:
                    message = _("The item was saved.")
                return redirect(request, f"/ui/studio/items/{saved['id']}", message)
        # A refused save is the form again with each refusal beside its field (200, like every form outcome).
        return editor(request, principal, draft, form, **shown)
    suggestions = None
    if action == "suggest" or (action.startswith("accept:") and data.get("suggested")):
        suggestions = suggestions_for(request, principal, draft)
    preview = None
    if action == "preview":
        preview = preview_of(request, draft)
        item = sf.model_errors(draft, form)
        if item is not None:
            problems = check_only(studio, item, caller)
            sf.place_violations(problems, draft["kind"], form)
        preview["ready"] = not form.errors
    return editor(request, principal, draft, form, suggestions=suggestions, preview=preview, **shown)


def prefilled(request: Request, principal: Principal, text: str, notices: list[dict] | None = None):
    """The editor opened on an item prefilled elsewhere (an import report, a legacy item), not saved yet."""
    try:
        item = json.loads(text)
        draft = sf.fields_of({k: v for k, v in item.items() if k in sf.MODEL_FIELDS})
    except (ValueError, TypeError, AttributeError, ValidationError) as exc:
        return redirect(request, "/ui/studio", _("This prefilled item cannot be opened: %(why)s") % {"why": exc},
                        "error")
    return editor(request, principal, draft, notices=notices)


@router.post("/suggest")
async def suggest(request: Request, principal: ItemsAuthor):
    """Tag suggestions for the editor's text, each with why (the fragment beside the text)."""
    data = await request.form()

    def answer():
        draft, _form = sf.parse_form(data)
        found = suggestions_for(request, principal, draft)
        message = None if found else _("Write a title or a statement first: suggestions come from the text.")
        return fragment(request, principal, "studio/_suggestions.html", message, "error" if message else "ok",
                        suggestions=found or [], tag_iris=set(draft["tags"]))
    return await run_in_threadpool(answer)


@router.get("/tags/children")
def tag_children(request: Request, principal: ItemsRead, level: str, parent: str):
    """The entries under an entry of the référentiel (loaded when it is opened)."""
    tree = request.app.state.lists.tree("referentiel", level)
    if parent not in tree.nodes:
        return render(request, principal, "_empty.html")
    return render(request, principal, "studio/_tag_nodes.html", nodes=visible_nodes(tree.children(parent)),
                  tree=tree, level=level, dom_id=dom_id, lang=current().locale, tag_iris=set())


@router.get("/tags/search")
def tag_search(request: Request, principal: ItemsRead, level: str, tag_q: str = ""):
    """Entries of the référentiel whose code or labels hold the words, with the path leading to them."""
    tree = request.app.state.lists.tree("referentiel", level)
    lang = current().locale
    found, total = tree.search(tag_q)
    results = [{"node": n, "path": " › ".join(a.entry.label(lang) for a in tree.ancestors(n.iri))}
               for n in visible_nodes(found)]
    return render(request, principal, "studio/_tag_search.html", tag_results=results, tag_total=total,
                  tag_query=tag_q, lang=lang, tag_iris=set())


# --- one saved item: previews, revisions, export, delete ---------------------------------------------------
def item_tab(request: Request, principal: Principal, item_id: str, tab: str, **values):
    item = studio_of(request).get(item_id, caller_of(principal))
    return render(request, principal, f"studio/{tab}.html", title=item["title"], item=item, item_id=item_id,
                  tab=tab, author=allowed(request, principal, "items:author"), **values)


@router.get("/items/{item_id}/preview")
def preview_page(request: Request, item_id: str, principal: ItemsRead, view: str = "both", comments: str = "",
                 teaching_comments: str = "", hints: str = "", types: str = "", shown: str = ""):
    """The student view (no answers, comments or hints) and the teacher view with its display options."""
    item = studio_of(request).get(item_id, caller_of(principal))
    options = {"comments": bool(comments) or not shown, "teaching_comments": bool(teaching_comments) or not shown,
               "hints": bool(hints) or not shown, "types": bool(types) or not shown}
    views = {"student": with_urls(request, student_view(item)),
             "teacher": with_urls(request, teacher_view(item, options["comments"], options["teaching_comments"],
                                                        options["hints"], options["types"]))}
    return render(request, principal, "studio/preview.html", title=item["title"], item=item, item_id=item_id,
                  tab="preview", views=views, options=options, view=view if view in ("student", "teacher") else "both",
                  author=allowed(request, principal, "items:author"))


@router.get("/items/{item_id}/revisions")
def revisions_page(request: Request, item_id: str, principal: ItemsRead):
    """The earlier versions of an item, newest first."""
    revisions = studio_of(request).revisions(item_id, caller_of(principal))
    return item_tab(request, principal, item_id, "revisions", revisions=revisions)


@router.get("/items/{item_id}/exchange")
def exchange_page(request: Request, item_id: str, principal: ItemsRead):
    """Export as QTI 3.0 or Moodle XML, with what each format cannot carry."""
    studio = studio_of(request)
    formats = []
    for fmt, name in (("qti", "QTI 3.0"), ("moodle", "Moodle XML")):
        try:
            _text, problems = export_item(studio, item_id, fmt, caller_of(principal))
            formats.append({"format": fmt, "name": name, "problems": problems, "error": None})
        except ItemError as exc:
            formats.append({"format": fmt, "name": name, "problems": [], "error": str(exc)})
    return item_tab(request, principal, item_id, "exchange", formats=formats)


@router.get("/items/{item_id}/export")
def export_file(request: Request, item_id: str, principal: ItemsRead, format: str = "qti"):
    """The item as a QTI 3.0 or Moodle XML file to download."""
    fmt = "moodle" if format == "moodle" else "qti"
    text, problems = export_item(studio_of(request), item_id, fmt, caller_of(principal))
    name = f"{item_id}-{'moodle' if fmt == 'moodle' else 'qti'}.xml"
    return Response(text, media_type="application/xml",
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             "X-Export-Problems": json.dumps(problems, ensure_ascii=True)})


@router.post("/items/{item_id}/delete")
def delete_item(request: Request, item_id: str, principal: ItemsAuthor):
    """Delete an item no épreuve uses."""
    try:
        studio_of(request).delete(item_id, caller_of(principal))
    except ItemInUse:
        return redirect(request, f"/ui/studio/items/{item_id}",
                        _("This item is used by an épreuve: it cannot be deleted."), "error")
    return redirect(request, "/ui/studio", _("The item was deleted."))


# --- import: QTI and Moodle ------------------------------------------------------------------------------
@router.get("/import")
def import_page(request: Request, principal: ItemsAuthor):
    """Send a QTI item, a QTI package or a Moodle quiz: a report item by item comes back, nothing saved yet."""
    return render(request, principal, "studio/import.html", title=_("Import items"), report=None, error=None,
                  format="qti")


def report_rows(request: Request, rows: list[dict]) -> list[dict]:
    """An import report for a person: statuses in words, violations in plain words, each item as JSON to carry."""
    shown = []
    for row in rows:
        form = sf.Form({})
        kind = (row.get("item") or {}).get("kind", "QI")
        sf.place_violations(row.get("violations") or [], kind, form)
        status = row.get("status") or ""
        shown.append({**row, "status_name": _(IMPORT_STATUS.get(status, status)),
                      "problems": [m for messages in form.errors.values() for m in messages],
                      "json": json.dumps(row["item"], ensure_ascii=False) if row.get("item") else None,
                      "title": (row.get("item") or {}).get("title") or row.get("source")})
    return shown


@router.post("/import")
async def import_upload(request: Request, principal: ItemsAuthor, file: UploadFile,
                        format: Annotated[str, Form()] = "qti"):
    """Read the file and report what each of its items would become (converted, lost, to complete, refused)."""
    fmt = "moodle" if format == "moodle" else "qti"
    content = await file.read()

    def answer():
        studio = studio_of(request)
        report, error = None, None
        try:
            converted = convert(fmt, content, file.filename or "upload", studio=studio)
            report = report_rows(request, import_converted(studio, converted, caller_of(principal), False))
        except (SourceError, ItemError, MediaError, ValidationFailed) as exc:
            error = str(exc)
        return render(request, principal, "studio/import.html", title=_("Import items"),
                      report=report, error=error, format=fmt, source=file.filename)
    return await run_in_threadpool(answer)


@router.post("/import/save")
async def import_save(request: Request, principal: ItemsAuthor):
    """Save the items of an import report that the rules accept; the others stay in the report with why."""
    data = await request.form()

    def answer():
        studio = studio_of(request)
        rows = []
        for text in data.getlist("item"):
            if not isinstance(text, str):
                continue
            row = {"source": None, "status": "converted", "item": None, "repaired": [], "lost": [],
                   "to_complete": [], "violations": [], "saved": None}
            try:
                row["item"] = json.loads(text)
                row["source"] = row["item"].get("title")
                row["saved"] = studio.create(Item(**row["item"]), caller_of(principal))["id"]
            except ValidationFailed as exc:
                row["violations"] = [v.as_dict() for v in exc.violations]
            except (ItemError, ValueError, TypeError, AttributeError) as exc:
                row["violations"] = [{"message": str(exc)}]
            rows.append(row)
        saved = sum(1 for r in rows if r["saved"])
        message = ngettext("%(num)s item saved.", "%(num)s items saved.", saved) % {"num": saved}
        return render(request, principal, "studio/import.html", title=_("Import items"),
                      report=report_rows(request, rows), error=None, format="qti", saved_report=True,
                      flash={"kind": "ok", "text": message})
    return await run_in_threadpool(answer)


# --- legacy SIDES ------------------------------------------------------------------------------------------
def legacy_of(request: Request) -> Legacy:
    """The app's legacy SIDES importer."""
    return request.app.state.legacy


@router.get("/legacy")
def legacy_page(request: Request, principal: ItemsAuthor):
    """The legacy SIDES items whose author e-mail is one of the caller's (exam managers: their faculty's)."""
    found = legacy_of(request).items_for(caller_of(principal))
    return render(request, principal, "studio/legacy.html", title=_("My legacy SIDES items"), found=found)


@router.get("/legacy/{legacy_id}")
def legacy_item(request: Request, legacy_id: str, principal: ItemsAuthor):
    """A legacy item as it would be imported: student and teacher views, and what cannot be carried over."""
    result = legacy_of(request).prefill(legacy_id, caller_of(principal))
    views = None
    if result["item"] is not None:
        draft = sf.fields_of(result["item"])
        views = preview_of(request, draft, f"legacy:{legacy_id}")
    return render(request, principal, "studio/legacy_item.html", title=(result["item"] or {}).get("title") or legacy_id,
                  legacy_id=legacy_id, result=result, views=views)


@router.post("/legacy/{legacy_id}/prefill")
def legacy_prefill(request: Request, legacy_id: str, principal: ItemsAuthor):
    """A new item prefilled from a legacy one, opened in the editor (saved only when you save it)."""
    result = legacy_of(request).prefill(legacy_id, caller_of(principal))
    if result["item"] is None:
        return redirect(request, f"/ui/studio/legacy/{legacy_id}", "; ".join(result["problems"]), "error")
    notices = [{"text": _("Prefilled from the legacy item %(id)s: check it, complete it, then save it.")
                % {"id": legacy_id}, "lang": None}]
    notices += [{"text": p, "lang": "en"} for p in result["problems"]]
    return prefilled(request, principal, json.dumps(result["item"]), notices)
