"""Build the FastAPI application from settings and a store."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi_offline import FastAPIOffline

from api import errors
from api.limits import BodyLimit
from api.query_gate import QueryGate
from api.routes import cockpit, grading, graphs, health, items, lists, notation, queries, sparql
from importers.converted import SourceError
from importers.list_csv import CsvError
from services.access import Access
from services.cockpit import Cockpit
from services.cockpit import model as cockpit_model
from services.lists.access import ListForbidden
from services.lists.library import ListLibrary
from services.notation import errors as notation_errors
from services.notation.service import Notation
from services.lists.repository import ListError
from services.lists.repository import NotFound as ListNotFound
from services.platform import Platform
from services.studio.items import ItemError, ItemForbidden, ItemInUse, ItemNotFound, Studio
from services.studio.media import MediaError
from services.studio.legacy import Legacy
from services.settings import Settings
from store.port import Store

# The services' own errors, most specific first; the store's follow in api/errors.py.
DOMAIN_ERRORS = [
    (cockpit_model.NotFound, 404), (cockpit_model.Forbidden, 403), (cockpit_model.Conflict, 409),
    (cockpit_model.CockpitError, 422),
    (ListNotFound, 404), (ListForbidden, 403), (ListError, 422), (CsvError, 422),
    (ItemNotFound, 404), (ItemForbidden, 403), (ItemInUse, 409), (ItemError, 422), (MediaError, 422),
    (SourceError, 422),
    (notation_errors.NotFound, 404), (notation_errors.Forbidden, 403), (notation_errors.Frozen, 409),
    (notation_errors.NotPublishable, 409), (notation_errors.NotationError, 422),
]

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
    app.state.query_gate = QueryGate(settings.query_workers, settings.query_timeout_s)
    app.state.lists = ListLibrary(platform)
    app.state.studio = Studio(platform, app.state.lists)
    app.state.legacy = Legacy(app.state.studio)
    app.state.access = Access.build(platform)
    app.state.cockpit = Cockpit.build(app.state.access, app.state.lists)
    app.state.cockpit.people.ensure_administrator(settings.admin_token)
    app.state.notation = Notation(platform, app.state.access.policy)

    errors.install(app, DOMAIN_ERRORS)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    for module in (health, sparql, queries, graphs, lists, items, grading, notation, cockpit):
        app.include_router(module.router)
    return app
