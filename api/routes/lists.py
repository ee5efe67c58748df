"""PLANIFICATEUR list library: levels, lists, effective lists, local changes, diff, history, CSV."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from api.openapi import raw_body
from api.security import ListsAdminister, ListsRead, Principal
from importers.list_csv import parse_csv
from services.lists.access import ensure_administers
from services.lists.library import ListLibrary
from services.lists.repository import OFFICIEL

router = APIRouter(prefix="/lists", tags=["List library"])
LevelParam = Annotated[str, Query(description="the level: os:Officiel's IRI, a university's or a faculty's")]
MEDIA = {"json": "application/json", "turtle": "text/turtle", "jsonld": "application/ld+json",
         "csv": "text/csv; charset=utf-8"}
ACCEPT = {"text/turtle": "turtle", "application/ld+json": "jsonld", "text/csv": "csv", "application/json": "json"}


async def get_library(request: Request) -> ListLibrary:
    """The list library of the app."""
    return request.app.state.lists


LibraryDep = Annotated[ListLibrary, Depends(get_library)]


class NewList(BaseModel):
    """A list created at a level."""

    level: str = OFFICIEL
    name: str = Field(description="a short name, used for the key")
    labels: dict[str, str] = Field(description='labels by language, e.g. {"fr": "Examens blancs"}')
    category: str = Field(description="the IRI of the list's category")


class NewEntry(BaseModel):
    """An entry a level adds."""

    level: str = OFFICIEL
    labels: dict[str, str]
    parent: str | None = Field(None, description="IRI of the entry to add under; none for the root")
    notation: str | None = None
    order: float | None = None


class NewChange(BaseModel):
    """A level's change to an entry it sees."""

    level: str
    kind: Literal["hide", "show", "relabel", "reorder"]
    target: str = Field(description="the entry's IRI")
    labels: dict[str, str] | None = None
    order: float | None = None


def require_list_admin(request: Request, library: ListLibrary, principal: Principal, level: str) -> None:
    """ListForbidden (403) unless the caller administers the level's lists; NotFound (404) for an unknown level."""
    ensure_administers(request.app.state.access.policy, library.repo, principal, level)


def call(function, *args, **kwargs):
    """Run a library call off the event loop; its errors are answered by the app's error table."""
    return run_in_threadpool(function, *args, **kwargs)


@router.get("/levels", summary="The level tree: Officiel, universities, faculties")
async def levels(library: LibraryDep, _: ListsRead):
    """Every level with its parent."""
    return await call(library.levels)


@router.get("/categories", summary="The categories of the list library")
async def categories(library: LibraryDep, _: ListsRead):
    """Category IRIs and labels."""
    return await call(library.categories)


@router.get("", summary="The lists a level sees (its own and inherited ones)")
async def lists_at(library: LibraryDep, _: ListsRead, level: LevelParam = OFFICIEL):
    """Lists visible at a level, by category."""
    return await call(library.lists_at, level)


@router.post("", status_code=201, summary="Create a list owned by a level")
async def create_list(request: Request, body: NewList, library: LibraryDep, principal: ListsAdminister):
    """A new list; the levels below inherit it."""
    require_list_admin(request, library, principal, body.level)
    result = await call(library.create_list, body.level, body.name, body.labels, body.category, principal.id)
    return vars(result)


@router.get("/{key}", summary="The effective list at a level (JSON, SKOS Turtle, JSON-LD or CSV)")
async def effective(key: str, request: Request, library: LibraryDep, _: ListsRead, level: LevelParam = OFFICIEL,
                    format: Annotated[str | None, Query(description="json, turtle, jsonld or csv")] = None):
    """The list resolved through the chain of levels, with the problems met."""
    accept = request.headers.get("accept", "")
    fmt = format or next((f for media, f in ACCEPT.items() if media in accept), "json")
    if fmt not in MEDIA:
        return JSONResponse({"detail": f"unknown format {fmt!r}: json, turtle, jsonld or csv"}, 422)
    body = await call(library.document, key, level, fmt)
    headers = {"Content-Disposition": f'attachment; filename="{key}.csv"'} if fmt == "csv" else None
    return Response(body, media_type=MEDIA[fmt], headers=headers)


@router.get("/{key}/diff", summary="A level's local changes against its parent, in words")
async def diff(key: str, library: LibraryDep, _: ListsRead, level: LevelParam):
    """Added, hidden, relabelled, reordered entries and the overrides whose target is gone."""
    return await call(library.diff, key, level)


@router.get("/{key}/history", summary="Who changed the list at a level, what and when")
async def history(key: str, library: LibraryDep, _: ListsAdminister, level: LevelParam):
    """The edits of a list at a level, newest first."""
    return await call(library.history, key, level)


@router.post("/{key}/entries", status_code=201, summary="Add an entry at a level")
async def add_entry(request: Request, key: str, body: NewEntry, library: LibraryDep, principal: ListsAdminister):
    """Add an entry at the root or under any entry the level sees."""
    require_list_admin(request, library, principal, body.level)
    result = await call(library.add_entry, key, body.level, body.labels, principal.id, body.parent,
                        body.notation, body.order)
    return {"iri": result.iri, "labels": result.labels, "parent": result.parent, "level": result.level}


@router.delete("/{key}/entries", summary="Remove an entry the level itself added")
async def remove_entry(request: Request, key: str, library: LibraryDep, principal: ListsAdminister, level: LevelParam,
                       entry: Annotated[str, Query(description="the entry's IRI")]):
    """Remove a level's own entry and the entries it added under it."""
    require_list_admin(request, library, principal, level)
    result = await call(library.remove_entry, key, level, entry, principal.id)
    return {"removed": result}


@router.post("/{key}/changes", status_code=204, summary="Hide, show, relabel or reorder an entry at a level")
async def change(request: Request, key: str, body: NewChange, library: LibraryDep, principal: ListsAdminister):
    """Change an inherited entry locally (or edit the level's own entry in place)."""
    require_list_admin(request, library, principal, body.level)
    result = await call(library.change, key, body.level, body.kind, body.target, principal.id,
                        body.labels, body.order)
    return Response(status_code=204)


@router.delete("/{key}/changes", status_code=204, summary="Revert a level's local change")
async def revert(request: Request, key: str, library: LibraryDep, principal: ListsAdminister, level: LevelParam,
                 target: Annotated[str, Query(description="the entry's IRI")],
                 kind: Annotated[Literal["hide", "show", "relabel", "reorder"], Query()]):
    """Drop a local change so the inherited value shows again."""
    require_list_admin(request, library, principal, level)
    result = await call(library.revert, key, level, target, kind, principal.id)
    return Response(status_code=204)


@router.post("/{key}/import-csv", summary="Add or update a level's own entries from a CSV spreadsheet",
             openapi_extra=raw_body("CSV: notation, label_fr, label_en, parent, order", "text/csv"))
async def import_csv(key: str, request: Request, library: LibraryDep, principal: ListsAdminister,
                     level: LevelParam):
    """CSV columns: notation, label_fr, label_en, parent (a notation), order. All or nothing."""
    require_list_admin(request, library, principal, level)
    return await call(library.import_rows, key, level, parse_csv(await request.body()), principal.id)
