"""Build the FastAPI application from settings and a store."""

from __future__ import annotations

from fastapi.responses import JSONResponse
from fastapi_offline import FastAPIOffline

from api.routes import graphs, health, items, lists, queries, sparql
from services.lists.library import ListLibrary
from services.platform import Platform
from services.studio.items import Studio
from services.studio.legacy import Legacy
from services.settings import Settings
from store.port import Store

DESCRIPTION = """Knowledge-graph platform for French medical e-assessment.
Everything is RDF: query it in SPARQL at `/sparql`, run the named queries at `/queries`."""


class BodyLimit:
    """Refuse request bodies over a size with 413, whether announced (Content-Length) or streamed (chunked)."""

    def __init__(self, app, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length", b"")
        if length.isdigit() and int(length) > self.max_bytes:
            return await self._refuse(send)
        received = 0
        started = False

        async def counting_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge
            return message

        async def tracking_send(message):
            nonlocal started
            started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await self._refuse(send)

    async def _refuse(self, send):
        response = JSONResponse({"detail": f"request body over {self.max_bytes} bytes"}, status_code=413)
        await response({"type": "http"}, None, send)


class BodyTooLarge(Exception):
    """A streamed request body went past the limit."""


def create_app(settings: Settings, store: Store | None = None) -> FastAPIOffline:
    """The API over a store (opened from the settings when not given)."""
    platform = Platform.build(settings, store)
    app = FastAPIOffline(title="OntoSIDES-KG", version="0.1.0", description=DESCRIPTION)
    app.state.platform = platform
    app.state.lists = ListLibrary(platform)
    app.state.studio = Studio(platform, app.state.lists)
    app.state.legacy = Legacy(app.state.studio)

    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    for module in (health, sparql, queries, graphs, lists, items):
        app.include_router(module.router)
    return app
