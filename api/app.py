"""Build the FastAPI application from settings and a store."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse
from fastapi_offline import FastAPIOffline

from api.routes import graphs, health, lists, queries, sparql
from services.lists.library import ListLibrary
from services.platform import Platform
from services.settings import Settings
from store.port import Store

DESCRIPTION = """Knowledge-graph platform for French medical e-assessment.
Everything is RDF: query it in SPARQL at `/sparql`, run the named queries at `/queries`."""


def create_app(settings: Settings, store: Store | None = None) -> FastAPIOffline:
    """The API over a store (opened from the settings when not given)."""
    platform = Platform.build(settings, store)
    app = FastAPIOffline(title="OntoSIDES-KG", version="0.1.0", description=DESCRIPTION)
    app.state.platform = platform
    app.state.lists = ListLibrary(platform)

    @app.middleware("http")
    async def limit_body(request: Request, call_next):
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > settings.max_body_bytes:
            return JSONResponse({"detail": f"request body over {settings.max_body_bytes} bytes"}, status_code=413)
        return await call_next(request)

    for module in (health, sparql, queries, graphs, lists):
        app.include_router(module.router)
    return app
