"""PLANIFICATEUR « Bibliothèque des listes »: levels and categories; a list as a tree at a level, each entry
marked with where its values come from; add, hide, show, relabel, reorder, revert; the diff against the parent
level; the history; CSV import, CSV and SKOS export.

Subtrees load when opened and the search runs on the server, so the 4,859 objectives of the référentiel paint
as fast as its 367 items. Every change goes through the same ListLibrary the API uses.
"""

from __future__ import annotations

import hashlib
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request, UploadFile
from starlette.concurrency import run_in_threadpool

from api.csrf import check_page_request
from api.pages.i18n import N_, _, current, ngettext
from api.pages.render import done, redirect, render
from api.security import ListsAdminister, ListsRead, Principal
from importers.list_csv import CsvError, parse_csv
from services.lists.access import ListForbidden, ensure_administers
from services.lists.library import EDIT_KINDS, ListLibrary
from services.lists.model import HIDE, RELABEL, REORDER, SHOW
from services.lists.repository import OFFICIEL, ListError

router = APIRouter(prefix="/ui/lists", dependencies=[Depends(check_page_request)], include_in_schema=False)
LevelField = Annotated[str, Form()]
CHANGE_NAMES = {"add": N_("added"), HIDE: N_("hidden"), SHOW: N_("shown again"), RELABEL: N_("relabelled"),
                REORDER: N_("moved"), "edit": N_("edited"), "remove": N_("removed"), "revert": N_("reverted"),
                "create": N_("list created"), "import": N_("imported")}


def library_of(request: Request) -> ListLibrary:
    """The app's list library."""
    return request.app.state.lists


def dom_id(iri: str | None) -> str:
    """A short, stable HTML id for an entry (the root's block is 'root')."""
    return "root" if iri is None else "n" + hashlib.sha1(iri.encode()).hexdigest()[:12]


def administers(request: Request, principal: Principal, level: str) -> bool:
    """Whether the caller may change the lists of a level."""
    try:
        ensure_administers(request.app.state.access.policy, library_of(request).repo, principal, level)
    except ListForbidden:
        return False
    return True


def levels_tree(library: ListLibrary) -> tuple[list[dict], dict[str, str]]:
    """The levels as a nested tree (Officiel, universities, faculties) and their labels."""
    levels = library.levels()
    labels = {level["iri"]: level["label"] for level in levels}
    labels[OFFICIEL] = _("Officiel")
    children: dict[str | None, list[dict]] = {}
    for level in levels:
        children.setdefault(level["parent"], []).append(level)

    def build(parent):
        return [{"iri": lv["iri"], "label": labels[lv["iri"]], "children": build(lv["iri"])}
                for lv in sorted(children.get(parent, []), key=lambda lv: labels[lv["iri"]])]

    roots = build(None)
    return roots, labels


def list_label(info_labels: dict[str, str], key: str) -> str:
    """A list's name in the request's language."""
    return info_labels.get(current().locale) or info_labels.get("fr") or next(iter(info_labels.values()), key)


def tree_context(request: Request, principal: Principal, key: str, level: str) -> dict:
    """What the tree's templates need: the view, the level names, the caller's rights, the URLs."""
    library = library_of(request)
    levels, labels = levels_tree(library)
    info = library.repo.get_list(key)
    query = urlencode({"level": level})
    return {"view": library.tree(key, level), "key": key, "level": level, "level_labels": labels, "levels": levels,
            "admin": administers(request, principal, level), "dom_id": dom_id, "lang": current().locale,
            "list_name": list_label(info.labels, key), "info": info, "q": query,
            "base": f"/ui/lists/{key}"}


def list_page(request: Request, principal: Principal, key: str, level: str, tab: str, ctx: dict | None = None,
              **values):
    """A tab of a list's page (tree, diff, history, import and export), with the levels beside it."""
    ctx = ctx or tree_context(request, principal, key, level)
    suffix = "" if tab == "tree" else f"/{tab}"
    return render(request, principal, f"lists/{tab}.html", title=ctx["list_name"], tab=tab,
                  link=f"/ui/lists/{key}{suffix}", **ctx, **values)


@router.get("")
def library_page(request: Request, principal: ListsRead, level: str = OFFICIEL):
    """The levels, and the lists a level sees by category."""
    library = library_of(request)
    tree, labels = levels_tree(library)
    lists = library.lists_at(level)
    categories = {c["iri"]: c["labels"] for c in library.categories()}
    grouped: dict[str, list[dict]] = {}
    for item in lists:
        name = list_label(categories.get(item["category"], {}), item["category"] or _("Other"))
        grouped.setdefault(name, []).append({**item, "name": list_label(item["labels"], item["key"])})
    choices = sorted(((iri, list_label(names, iri)) for iri, names in categories.items()), key=lambda c: c[1])
    return render(request, principal, "lists/library.html", title=_("List library"), levels=tree,
                  level=level, level_label=labels.get(level, level), grouped=sorted(grouped.items()),
                  admin=administers(request, principal, level), categories=choices, link="/ui/lists")


@router.post("")
def create_list(request: Request, principal: ListsAdminister, level: LevelField, name: Annotated[str, Form()],
                label: Annotated[str, Form()], category: Annotated[str, Form()]):
    """A new list owned by the level (the levels below inherit it)."""
    back = f"/ui/lists?{urlencode({'level': level})}"
    library = library_of(request)
    ensure_administers(request.app.state.access.policy, library.repo, principal, level)
    try:
        info = library.create_list(level, name, {"fr": label.strip() or name}, category, principal.id)
    except ListError as exc:
        return redirect(request, back, str(exc), "error")
    return redirect(request, f"/ui/lists/{info.key}?{urlencode({'level': level})}",
                    _("The list « %(name)s » was created.") % {"name": label or name})


@router.get("/{key}")
def tree_page(request: Request, key: str, principal: ListsRead, level: str = OFFICIEL, focus: str | None = None):
    """A list at a level: its first entries painted at once, the rest opened on demand."""
    ctx = tree_context(request, principal, key, level)
    view = ctx["view"]
    expanded = {n.iri for n in view.ancestors(focus)} if focus and focus in view.nodes else set()
    return list_page(request, principal, key, level, "tree", ctx, focus=focus, expanded=expanded,
                     nodes=view.children(None))


@router.get("/{key}/children")
def children(request: Request, key: str, principal: ListsRead, level: str, parent: str):
    """The entries under one entry (loaded when it is opened)."""
    ctx = tree_context(request, principal, key, level)
    return render(request, principal, "lists/_children.html", nodes=ctx["view"].children(parent), expanded=set(),
                  focus=None, **ctx)


@router.get("/{key}/search")
def search(request: Request, key: str, principal: ListsRead, level: str, q: str = ""):
    """Entries matching words of their notation or labels, with the path that leads to them."""
    ctx = tree_context(request, principal, key, level)
    found, total = ctx["view"].search(q)
    results = [{"node": n, "path": " › ".join(a.entry.label(ctx["lang"]) for a in ctx["view"].ancestors(n.iri))}
               for n in found]
    return render(request, principal, "lists/_search.html", results=results, total=total, query=q, **ctx)


@router.get("/{key}/panel")
def panel(request: Request, key: str, principal: ListsAdminister, level: str, entry: str):
    """What an administrator of the level may do to one entry."""
    ctx = tree_context(request, principal, key, level)
    node = ctx["view"].nodes.get(entry)
    if node is None:
        return render(request, principal, "_empty.html")
    siblings = ctx["view"].children(node.parent)
    index = [s.iri for s in siblings].index(entry)
    return render(request, principal, "lists/_panel.html", node=node, first=index == 0,
                  last=index == len(siblings) - 1, index=index, **ctx)


def _answer(request: Request, principal: Principal, key: str, level: str, entry: str | None, message: str,
            block: str | None = "row", kind: str = "ok", back: str = ""):
    """After a change: the entry's row (or its parent's block) again for htmx, else back to the page the form
    was on (the tree, focused on the entry, by default)."""
    back = back or f"/ui/lists/{key}?{urlencode({'level': level, **({'focus': entry} if entry else {})})}"
    ctx = tree_context(request, principal, key, level)
    view = ctx["view"]
    node = view.nodes.get(entry) if entry else None
    if block == "row" and node is not None:
        return done(request, principal, back, message, kind, "lists/_entry_alone.html", node=node, expanded=set(),
                    focus=None, **ctx)
    parent = node.parent if node is not None else None
    return done(request, principal, back, message, kind, "lists/_children.html", nodes=view.children(parent),
                expanded=set(), focus=None, **ctx)


def _guard(request: Request, principal: Principal, level: str) -> None:
    ensure_administers(request.app.state.access.policy, library_of(request).repo, principal, level)


@router.post("/{key}/changes")
async def change(request: Request, key: str, principal: ListsAdminister, level: LevelField,
                 entry: Annotated[str, Form()], kind: Annotated[str, Form()],
                 label_fr: Annotated[str, Form()] = "", label_en: Annotated[str, Form()] = "",
                 change: Annotated[str, Form()] = "", back: Annotated[str, Form()] = ""):
    """Hide, show, relabel, revert a change, or remove an entry the level added."""
    library = library_of(request)
    await run_in_threadpool(_guard, request, principal, level)
    removed = False
    try:
        if kind in (HIDE, SHOW):
            await run_in_threadpool(library.change, key, level, kind, entry, principal.id)
            message = _("Entry hidden at this level.") if kind == HIDE else _("Entry shown again at this level.")
        elif kind == RELABEL:
            labels = {lang: text.strip() for lang, text in (("fr", label_fr), ("en", label_en)) if text.strip()}
            await run_in_threadpool(library.change, key, level, RELABEL, entry, principal.id, labels)
            message = _("Entry relabelled at this level.")
        elif kind == "revert":
            await run_in_threadpool(library.revert, key, level, entry, change, principal.id)
            message = _("Change reverted: the inherited value shows again.")
        elif kind == "remove":
            await run_in_threadpool(library.remove_entry, key, level, entry, principal.id)
            message, removed = _("Entry removed."), True
        else:
            raise ListError(f"unknown change {kind!r}")
    except ListError as exc:
        return _answer(request, principal, key, level, entry, str(exc), kind="error", back=back)
    if removed:  # the row goes away (htmx swaps it for nothing)
        return done(request, principal, back or f"/ui/lists/{key}?{urlencode({'level': level})}", message,
                    template="_empty.html")
    return await run_in_threadpool(_answer, request, principal, key, level, entry, message, "row", "ok", back)


def _answer_block(request: Request, principal: Principal, key: str, level: str, parent: str | None, message: str):
    back = f"/ui/lists/{key}?{urlencode({'level': level})}"
    ctx = tree_context(request, principal, key, level)
    return done(request, principal, back, message, "ok", "lists/_children.html",
                nodes=ctx["view"].children(parent), expanded=set(), focus=None, **ctx)


@router.post("/{key}/entries")
async def add(request: Request, key: str, principal: ListsAdminister, level: LevelField,
              label_fr: Annotated[str, Form()] = "", label_en: Annotated[str, Form()] = "",
              parent: Annotated[str, Form()] = "", notation: Annotated[str, Form()] = ""):
    """Add an entry at the root or under an entry the level sees."""
    library = library_of(request)
    await run_in_threadpool(_guard, request, principal, level)
    labels = {lang: text.strip() for lang, text in (("fr", label_fr), ("en", label_en)) if text.strip()}
    try:
        entry = await run_in_threadpool(library.add_entry, key, level, labels, principal.id, parent or None,
                                        notation.strip() or None)
    except ListError as exc:
        return _answer(request, principal, key, level, parent or None, str(exc), kind="error")
    message = _("Entry « %(label)s » added.") % {"label": entry.label(current().locale)}
    if not parent:
        return _answer_block(request, principal, key, level, None, message)
    back = f"/ui/lists/{key}?{urlencode({'level': level, 'focus': entry.iri})}"
    ctx = tree_context(request, principal, key, level)
    return done(request, principal, back, message, "ok", "lists/_entry_alone.html", node=ctx["view"].nodes[parent],
                expanded={parent}, focus=entry.iri, **ctx)


@router.post("/{key}/move")
async def move(request: Request, key: str, principal: ListsAdminister, level: LevelField,
               entry: Annotated[str, Form()], position: Annotated[int | None, Form()] = None,
               direction: Annotated[str, Form()] = ""):
    """Move an entry among its siblings: up or down one place, or to a position (after a drag)."""
    library = library_of(request)
    await run_in_threadpool(_guard, request, principal, level)
    view = await run_in_threadpool(library.tree, key, level)
    node = view.nodes.get(entry)
    if node is None:
        return _answer(request, principal, key, level, None, _("This entry is not in the list."), kind="error")
    siblings = [n.iri for n in view.children(node.parent)]
    index = siblings.index(entry)
    if position is None:
        position = index - 1 if direction == "up" else index + 1
    try:
        changes = await run_in_threadpool(library.move, key, level, entry, position, principal.id)
    except ListError as exc:
        return _answer(request, principal, key, level, entry, str(exc), kind="error")
    message = ngettext("Entry moved (%(n)s change).", "Entry moved (%(n)s changes).", changes) % {"n": changes}
    return _answer_block(request, principal, key, level, node.parent, message)


@router.get("/{key}/diff")
def diff(request: Request, key: str, principal: ListsRead, level: str):
    """What the level changed against its parent level, with a way back for each change."""
    ctx = tree_context(request, principal, key, level)
    result = library_of(request).diff(key, level)
    rows = []
    for change in result["changes"]:
        node = ctx["view"].nodes.get(change["target"])
        rows.append({**change, "label": node.entry.label(ctx["lang"]) if node else change["target"],
                     "kind_name": _(CHANGE_NAMES.get(change["kind"], change["kind"]))})
    return list_page(request, principal, key, level, "diff", ctx, rows=rows, result=result)


@router.get("/{key}/history")
def history(request: Request, key: str, principal: ListsAdminister, level: str):
    """Who changed the list at this level, what and when."""
    names = {str(iri): name for name, iri in EDIT_KINDS.items()}
    rows = [{**row, "kind_name": _(CHANGE_NAMES.get(names.get(row.get("kind", ""), ""), CHANGE_NAMES["edit"]))}
            for row in library_of(request).history(key, level)]
    return list_page(request, principal, key, level, "history", rows=rows)


@router.get("/{key}/transfer")
def transfer(request: Request, key: str, principal: ListsRead, level: str):
    """Export the list as the level sees it (CSV, SKOS); import the level's own entries from a spreadsheet."""
    return list_page(request, principal, key, level, "transfer", report=None)


@router.post("/{key}/import")
async def import_csv(request: Request, key: str, principal: ListsAdminister, level: LevelField, file: UploadFile):
    """Add or update the level's own entries from a CSV file, all or nothing."""
    library = library_of(request)
    await run_in_threadpool(_guard, request, principal, level)
    text = (await file.read()).decode("utf-8-sig", errors="replace")
    report, error = None, None
    try:
        report = await run_in_threadpool(library.import_rows, key, level, parse_csv(text), principal.id)
    except (ListError, CsvError) as exc:
        error = str(exc)
    return await run_in_threadpool(list_page, request, principal, key, level, "transfer", None, report=report,
                                   error=error)
