"""STUDIO: items of every type, previews, revisions, tag suggestions, media."""

from __future__ import annotations

import json
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from api.deps import PlatformDep
from api.openapi import raw_body
from api.security import ItemsAuthor, ItemsRead, Principal
from services.lists.repository import OFFICIEL, ListError
from importers.converted import SourceError
from services.studio.exchange import convert, export_item, import_converted
from services.studio.legacy import Legacy
from services.studio.items import Caller, ItemError, ItemForbidden, ItemInUse, ItemNotFound, Studio
from services.studio.media import ALLOWED, MediaError, media_path, store_media
from services.studio.model import Item
from services.studio.preview import as_html, student_view, teacher_view
from store.errors import ValidationFailed

router = APIRouter(tags=["STUDIO"])
# Like a search engine's result window: deep pages cost memory in the index's collector (tantivy aborts the
# process past ~1e9); refine the search instead.
MAX_OFFSET = 10_000


async def get_studio(request: Request) -> Studio:
    """The studio of the app."""
    return request.app.state.studio


StudioDep = Annotated[Studio, Depends(get_studio)]


def caller_of(principal: Principal) -> Caller:
    """The studio's view of the current principal."""
    return Caller(principal.id, principal.is_admin)


def failure(exc: Exception) -> JSONResponse:
    """The 4xx answer of a studio error."""
    if isinstance(exc, ValidationFailed):
        return JSONResponse({"detail": "the item breaks the rules of its type; nothing was saved",
                             "violations": [v.as_dict() for v in exc.violations]}, 422)
    status = 404 if isinstance(exc, ItemNotFound) else 403 if isinstance(exc, ItemForbidden) else \
        409 if isinstance(exc, ItemInUse) else 422
    return JSONResponse({"detail": str(exc)}, status)


async def call(function, *args, **kwargs):
    """Run a studio call off the event loop, mapping its errors."""
    try:
        return await run_in_threadpool(function, *args, **kwargs)
    except (ItemError, ValidationFailed, ListError, MediaError) as exc:
        return failure(exc)


@router.post("/items", status_code=201, summary="Create an item (validated against the rules of its type)")
async def create_item(item: Item, studio: StudioDep, principal: ItemsAuthor):
    """A new item; the caller is its author."""
    return await call(studio.create, item, caller_of(principal))


@router.get("/items", summary="Search the items you may see")
async def search_items(studio: StudioDep, principal: ItemsRead,
                       type: Annotated[str | None, Query(description="QRU, QRM … or DP, DL, ECOS …")] = None,
                       tag: Annotated[str | None, Query(description="a référentiel entry (its subtree counts)")] = None,
                       specialty: str | None = None, author: str | None = None,
                       status: Literal["draft", "to_review", "validated"] | None = None,
                       text: Annotated[str | None, Query(description="words of the title, statements, options or "
                                                                      "comments (all of them; accents and plurals "
                                                                      "aside, in French or English)")] = None,
                       limit: Annotated[int, Query(ge=1, le=1000, description="at most this many items")] = 100,
                       offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="skip this many items first")] = 0):
    """Items visible to the caller (authors, co-authors; exam managers see their faculty's), filtered, by title."""
    return await call(studio.search, caller_of(principal), type, tag, specialty, author, status, text, limit, offset)


@router.get("/items/{item_id}", summary="Read an item")
async def get_item(item_id: str, studio: StudioDep, principal: ItemsRead):
    """The item in the same JSON form it was written in, with its IRI and author."""
    return await call(studio.get, item_id, caller_of(principal))


@router.put("/items/{item_id}", summary="Save a new version of an item")
async def update_item(item_id: str, item: Item, studio: StudioDep, principal: ItemsAuthor):
    """The previous version is kept as a linked revision; an item of a published exam becomes a new item."""
    return await call(studio.update, item_id, item, caller_of(principal))


@router.delete("/items/{item_id}", status_code=204, summary="Delete an item no épreuve uses")
async def delete_item(item_id: str, studio: StudioDep, principal: ItemsAuthor):
    """Remove an item (409 when an épreuve links it)."""
    result = await call(studio.delete, item_id, caller_of(principal))
    return result if isinstance(result, JSONResponse) else Response(status_code=204)


@router.get("/items/{item_id}/revisions", summary="Earlier versions of an item")
async def item_revisions(item_id: str, studio: StudioDep, principal: ItemsRead):
    """Revisions, newest first."""
    return await call(studio.revisions, item_id, caller_of(principal))


@router.get("/items/{item_id}/preview", summary="Student or teacher view, as JSON or HTML")
async def preview_item(item_id: str, studio: StudioDep, principal: ItemsRead,
                       view: Literal["student", "teacher"] = "student",
                       format: Literal["json", "html"] = "json",
                       comments: bool = True, teaching_comments: bool = True, hints: bool = True,
                       types: bool = True):
    """The student view hides every answer; the teacher view shows them with the chosen display options."""
    item = await call(studio.get, item_id, caller_of(principal))
    if isinstance(item, JSONResponse):
        return item
    shown = student_view(item) if view == "student" else teacher_view(item, comments, teaching_comments, hints, types)
    return HTMLResponse(as_html(shown, view == "teacher")) if format == "html" else shown


class SuggestRequest(BaseModel):
    """Text to tag."""

    text: str = Field(min_length=3)
    level: str = Field(OFFICIEL, description="the level whose effective référentiel is searched")
    limit: int = Field(10, ge=1, le=50)


@router.post("/items/suggest-tags", summary="Suggest référentiel entries for an item's text")
async def suggest_tags(body: SuggestRequest, studio: StudioDep, principal: ItemsAuthor):
    """The best-matching entries of the effective référentiel at a level, each with a score and why: the words
    that matched, the similarity of meaning, and the nearest tagged items carrying it (named when you may see them)."""
    result = await call(studio.suggest, body.text, body.level, body.limit, caller_of(principal))
    return result if isinstance(result, JSONResponse) else [vars(s) for s in result]


@router.get("/items/{item_id}/export", summary="Export an item as QTI 3.0 or Moodle XML")
async def export(item_id: str, studio: StudioDep, principal: ItemsRead,
                 format: Literal["qti", "moodle"] = "qti"):
    """The XML; what the format cannot carry is listed in the X-Export-Problems header."""
    result = await call(export_item, studio, item_id, format, caller_of(principal))
    if isinstance(result, JSONResponse):
        return result
    text, problems = result
    return Response(text, media_type="application/xml",
                    headers={"X-Export-Problems": json.dumps(problems, ensure_ascii=True)})


@router.post("/items/import", summary="Import QTI (2.2 or 3.0) or Moodle XML: an import report, item by item",
             openapi_extra=raw_body("a QTI item or Moodle quiz (XML), or a QTI content package (zip)",
                                    "application/xml", "application/zip", binary=True))
async def import_items(request: Request, studio: StudioDep, principal: ItemsAuthor,
                       format: Literal["qti", "moodle"] = "qti", save: bool = False):
    """One row per source item: `status` (converted only when nothing was lost, converted with losses, not
    converted), the prefilled `item`, what was `repaired`, `lost` and is `to_complete`, the `violations` saving would
    meet, and the `saved` id when saved. QTI may come as one item (XML) or a content package (zip with its pictures
    and passages, stored as media)."""
    content = await request.body()
    try:
        converted = convert(format, content, "upload", studio=studio)
    except SourceError as exc:
        return JSONResponse({"detail": str(exc)}, 422)
    return await call(import_converted, studio, converted, caller_of(principal), save)


async def get_legacy(request: Request) -> Legacy:
    """The legacy SIDES importer of the app."""
    return request.app.state.legacy


LegacyDep = Annotated[Legacy, Depends(get_legacy)]


@router.get("/legacy/items", summary="Your legacy SIDES items (eval<N> dossiers, q<N> questions), by e-mail")
async def legacy_items(legacy: LegacyDep, principal: ItemsAuthor):
    """Legacy items whose author e-mail is one of yours (exam managers: those of their faculty's people)."""
    return await call(legacy.items_for, caller_of(principal))


@router.get("/legacy/items/{legacy_id}/preview", summary="Preview a legacy item as student or teacher")
async def legacy_preview(legacy_id: str, legacy: LegacyDep, principal: ItemsAuthor,
                         view: Literal["student", "teacher"] = "teacher", format: Literal["json", "html"] = "json"):
    """The legacy item as it would be imported."""
    result = await call(legacy.prefill, legacy_id, caller_of(principal))
    if isinstance(result, JSONResponse):
        return result
    if result["item"] is None:
        return JSONResponse({"detail": "; ".join(result["problems"])}, 422)
    shown = {**result["item"], "iri": f"legacy:{legacy_id}", "question": result["item"].get("question"),
             "questions": result["item"].get("questions", [])}
    shown = _with_defaults(shown)
    view_doc = student_view(shown) if view == "student" else teacher_view(shown)
    return HTMLResponse(as_html(view_doc, view == "teacher")) if format == "html" else {**view_doc,
                                                                                         "problems": result["problems"]}


@router.post("/legacy/items/{legacy_id}/prefill", summary="A new item prefilled from a legacy one (not saved)")
async def legacy_prefill(legacy_id: str, legacy: LegacyDep, principal: ItemsAuthor):
    """Edit it if needed, then save it with POST /items."""
    return await call(legacy.prefill, legacy_id, caller_of(principal))


@router.post("/legacy/epreuves/{epreuve_id}/import", summary="Import a legacy épreuve: its items and an evaluation")
async def legacy_epreuve(epreuve_id: str, legacy: LegacyDep, principal: ItemsAuthor, strict: bool = False):
    """Items are imported as new items plus an exam listing them, in one write; what cannot be converted is
    reported item by item (strict: then nothing is written)."""
    return await call(legacy.import_epreuve, epreuve_id, caller_of(principal), strict)


def _with_defaults(item: dict) -> dict:
    """Fill the fields previews read, for an item that only exists as JSON."""
    return Item(**{k: v for k, v in item.items() if k in Item.model_fields}).model_dump() | {"iri": item["iri"]}


@router.post("/media", status_code=201, summary="Store an image or article (kept once, by content hash)",
             openapi_extra=raw_body("the file; its Content-Type says what it is", *sorted(ALLOWED), binary=True))
async def upload_media(request: Request, platform: PlatformDep, principal: ItemsAuthor):
    """The body is the file; its Content-Type says what it is. Returns the IRI to reference."""
    content = await request.body()
    media_type = request.headers.get("content-type", "").split(";")[0].strip()
    result = await call(store_media, platform, content, media_type)
    return result if isinstance(result, JSONResponse) else {"iri": result}


@router.get("/media/{digest}", summary="A stored file")
async def get_media(digest: str, platform: PlatformDep, _: ItemsRead):
    """The file named by its SHA-256."""
    path = media_path(platform, digest)
    if path is None:
        raise HTTPException(404, f"no stored file {digest}")
    query = platform.queries.get("media_type")
    rows = platform.store.select(query.text, query.bind({"hash": digest})).rows
    media_type = rows[0]["type"].value if rows else "application/octet-stream"
    headers = {"X-Content-Type-Options": "nosniff"}
    if media_type in ("text/html", "image/svg+xml"):
        # imported passages and drawings come from other tools: shown, never run with the platform's rights
        headers["Content-Security-Policy"] = "sandbox"
    return FileResponse(path, media_type=media_type, headers=headers)
