"""Build the FastAPI application from settings and a store."""

from __future__ import annotations

from fastapi_offline import FastAPIOffline

from api import errors
from api.limits import BodyLimit
from api.openapi import describe_errors
from api.query_gate import QueryGate
from api.routes import grading, graphs, health, items, lists, queries, sparql
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
    app = FastAPIOffline(title="OntoSIDES-KG", version="0.1.0", description=DESCRIPTION)
    app.state.platform = platform
    app.state.query_gate = QueryGate(settings.query_workers, settings.query_timeout_s)
    app.state.lists = ListLibrary(platform)
    app.state.studio = Studio(platform, app.state.lists)
    app.state.legacy = Legacy(app.state.studio)

    errors.install(app)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    for module in (health, sparql, queries, graphs, lists, items, grading):
        app.include_router(module.router)
    describe_errors(app)
    return app
