"""Build the FastAPI application from settings and a store."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi_offline import FastAPIOffline

from api.limits import BodyLimit
from api.routes import graphs, health, items, lists, queries, sparql
from services.lists.library import ListLibrary
from services.platform import Platform
from services.studio.items import Studio
from services.studio.legacy import Legacy
from services.settings import Settings
from store.port import Store

DESCRIPTION = """Knowledge-graph platform for French medical e-assessment.
Everything is RDF: query it in SPARQL at `/sparql`, run the named queries at `/queries`."""


def create_app(settings: Settings, store: Store | None = None) -> FastAPIOffline:
    """The API over a store (opened from the settings when not given)."""
    platform = Platform.build(settings, store)

    @asynccontextmanager
    async def lifespan(app):
        if app.state.studio.search_index.index.needs_rebuild:
            app.state.studio.search_index.rebuild_in_background()  # searches wait for it to finish
        yield
        app.state.studio.close()  # the search index is committed and marked as mirroring the store

    app = FastAPIOffline(title="OntoSIDES-KG", version="0.1.0", description=DESCRIPTION, lifespan=lifespan)
    app.state.platform = platform
    app.state.lists = ListLibrary(platform)
    app.state.studio = Studio(platform, app.state.lists)
    app.state.legacy = Legacy(app.state.studio)

    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    for module in (health, sparql, queries, graphs, lists, items):
        app.include_router(module.router)
    return app
