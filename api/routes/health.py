"""Liveness and what the platform runs on."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from api.deps import PlatformDep
from api.security import Public
from store.errors import StoreError

router = APIRouter(tags=["Health"])


@router.get("/health", summary="Is the platform up, and on which store")
async def health(platform: PlatformDep, _: Public,
                 counts: Annotated[bool, Query(description="also count the quads (slower on a big store)")] = False):
    """Status and store location, answered on the event loop without touching the store (so it stays fast
    while long queries run); with `counts`, the number of quads too (503 when the store does not answer)."""
    body = {"status": "ok", "store": platform.store.location, "named_queries": len(platform.queries.names())}
    if counts:
        try:
            body["quads"] = await run_in_threadpool(platform.store.count)
        except StoreError as exc:
            return JSONResponse({**body, "status": "unavailable", "error": str(exc)}, 503)
    return body
