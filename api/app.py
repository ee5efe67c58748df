"""Build the FastAPI application from settings and a store."""

from __future__ import annotations

import logging
import threading
from contextlib import asynccontextmanager

from fastapi_offline import FastAPIOffline

from api import errors, pages
from api.limits import BodyLimit
from api.openapi import describe_errors
from api.query_gate import CallerSlots, QueryGate
from api.result_cache import ResultCache
from api.routes import cockpit, grading, graphs, health, items, lists, notation, planner, queries, sparql, taking
from api.routes import research
from importers.converted import SourceError
from importers.list_csv import CsvError
from services.access import Access
from services.cockpit import Cockpit
from services.cockpit import model as cockpit_model
from services.gdpr import Gdpr, PersonNotFound
from services.research import Research
from services.research.projects import ProjectNotFound, ResearchError
from services.lists.access import ListForbidden
from services.lists.library import ListLibrary
from services.notation import errors as notation_errors
from services.notation.service import Notation
from services.lists.repository import ListError
from services.lists.repository import NotFound as ListNotFound
from services.planner.documents import Documents
from services.planner.errors import PlannerConflict, PlannerError, PlannerForbidden, PlannerNotFound
from services.planner.exams import Planner
from services.planner.usage import UsageStatistics
from services.taking.service import Taking, TakingClosed, TakingError, TakingNotFound
from services.taking.supervision import Supervision, SupervisionForbidden
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
    (PlannerNotFound, 404), (PlannerForbidden, 403), (PlannerConflict, 409), (PlannerError, 422),
    (notation_errors.NotFound, 404), (notation_errors.Forbidden, 403), (notation_errors.Frozen, 409),
    (notation_errors.NotPublishable, 409), (notation_errors.NotationError, 422),
    (TakingNotFound, 404), (SupervisionForbidden, 403), (TakingClosed, 409), (TakingError, 422),
    (ProjectNotFound, 404), (PersonNotFound, 404), (ResearchError, 422),
]

log = logging.getLogger("ontosides.api")
DESCRIPTION = """Knowledge-graph platform for French medical e-assessment.
Everything is RDF: query it in SPARQL at `/sparql`, run the named queries at `/queries`."""


def warm_lists(app) -> None:
    """Read the list library once in the background (pages and tag checks then find it cached)."""
    try:
        app.state.lists.warm()
    except Exception:  # noqa: BLE001 (a failed warm-up only means the first reader reads it)
        log.exception("the list library could not be read at start-up")
    finally:
        app.state.lists_warm.set()


def create_app(settings: Settings, store: Store | None = None) -> FastAPIOffline:
    """The API over a store (opened from the settings when not given)."""
    platform = Platform.build(settings, store)

    @asynccontextmanager
    async def lifespan(app):
        if app.state.studio.search_index.index.needs_rebuild:
            app.state.studio.search_index.rebuild_in_background()  # searches wait for it to finish
        threading.Thread(target=warm_lists, args=(app,), name="warm-lists", daemon=True).start()
        app.state.taking.start()  # replays into the store the answers it misses
        yield
        app.state.taking.close()  # every acknowledged answer is in the store
        app.state.studio.close()  # the search index is committed and marked as mirroring the store

    app = FastAPIOffline(title="OntoSIDES-KG", version="0.1.0", description=DESCRIPTION, lifespan=lifespan)
    app.state.platform = platform
    app.state.query_gate = QueryGate(settings.query_workers, settings.query_timeout_s)
    app.state.researcher_slots = CallerSlots(settings.research_concurrent)
    app.state.results = ResultCache()
    app.state.lists = ListLibrary(platform)
    app.state.lists_warm = threading.Event()
    app.state.studio = Studio(platform, app.state.lists)
    app.state.legacy = Legacy(app.state.studio)
    app.state.access = Access.build(platform)
    app.state.cockpit = Cockpit.build(app.state.access, app.state.lists)
    app.state.cockpit.people.ensure_administrator(settings.admin_token)
    app.state.planner = Planner(platform, app.state.studio, app.state.access)
    app.state.planner_documents = Documents(app.state.planner)
    app.state.usage = UsageStatistics(app.state.planner)
    app.state.notation = Notation(platform, app.state.access.policy)
    app.state.taking = Taking(platform, app.state.planner)
    app.state.supervision = Supervision(app.state.taking)
    app.state.notation.before_reading = app.state.taking.drain
    app.state.research = Research.build(platform)
    app.state.gdpr = Gdpr(platform)

    errors.install(app, DOMAIN_ERRORS, html=pages.error_page)
    # Innermost of the middlewares: a candidate's save in the common case, without the router (see FastSaves).
    app.add_middleware(taking.FastSaves, max_bytes=settings.max_body_bytes)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    # EXAMEN first: a candidate's save is the hot path, and each router before it costs a failed match per request.
    for module in (taking, health, sparql, queries, graphs, lists, items, grading, notation, cockpit, planner,
                   research):
        app.include_router(module.router)
    describe_errors(app)
    pages.install(app)
    return app
