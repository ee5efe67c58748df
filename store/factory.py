"""Open a store from a location: a folder (embedded, on disk), ':memory:', or a SPARQL server URL."""

from __future__ import annotations

from pathlib import Path

from store.embedded import OxigraphStore
from store.federation import Federation
from store.port import Store
from store.remote import RemoteEndpoints, RemoteSparqlStore


def is_remote(location: str) -> bool:
    """Whether a location names a SPARQL server."""
    return location.startswith(("http://", "https://"))


def open_store(location: str, *, query_url: str | None = None, update_url: str | None = None,
               gsp_url: str | None = None, user: str | None = None, password: str | None = None,
               update_user: str | None = None, update_password: str | None = None,
               token: str | None = None, timeout_s: float = 60.0, base_iri: str | None = None,
               federation: Federation | None = None) -> Store:
    """The store at a location; a bare server URL is taken as an Oxigraph server's base."""
    if location == ":memory:":
        return OxigraphStore(base_iri=base_iri, federation=federation)
    if is_remote(location):
        auth = (user, password or "") if user else None
        update_auth = (update_user, update_password or "") if update_user else auth
        base = RemoteEndpoints.oxigraph(location)
        endpoints = RemoteEndpoints(
            query_url=query_url or base.query_url,
            update_url=update_url or base.update_url,
            gsp_url=gsp_url or base.gsp_url,
            query_auth=auth,
            update_auth=update_auth,
            bearer_token=token,
            timeout_s=timeout_s,
        )
        return RemoteSparqlStore(endpoints, base_iri=base_iri, federation=federation)
    return OxigraphStore(Path(location), base_iri=base_iri, federation=federation)
