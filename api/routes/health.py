"""Liveness and what the platform runs on."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import PlatformDep
from store.errors import StoreError

router = APIRouter(tags=["Health"])


@router.get("/health", summary="Is the platform up, and on which store")
def health(platform: PlatformDep):
    """Status, store location and size; 503 when the store does not answer."""
    try:
        quads = platform.store.count()
    except StoreError as exc:
        return JSONResponse({"status": "unavailable", "store": platform.store.location, "error": str(exc)}, 503)
    return {"status": "ok", "store": platform.store.location, "quads": quads,
            "named_queries": len(platform.queries.names())}
