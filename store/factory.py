"""Open a store from a location: a folder (embedded, on disk), ':memory:', or a SPARQL server URL."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from store.embedded import OxigraphStore
from store.federation import Federation
from store.port import Store
from store.remote import RemoteEndpoints, RemoteSparqlStore

KINDS = ("oxigraph", "virtuoso", "generic")


def is_remote(location: str) -> bool:
    """Whether a location names a SPARQL server."""
    return location.startswith(("http://", "https://"))


def open_store(location: str, *, kind: str = "oxigraph", query_url: str | None = None,
               update_url: str | None = None, gsp_url: str | None = None, user: str | None = None,
               password: str | None = None, update_user: str | None = None,
               update_password: str | None = None, token: str | None = None,
               hidden_graphs: tuple[str, ...] | None = None, timeout_s: float = 60.0,
               base_iri: str | None = None, federation: Federation | None = None) -> Store:
    """The store at a location; a server URL is the base of its endpoints, named after its kind."""
    if location == ":memory:":
        return OxigraphStore(base_iri=base_iri, federation=federation)
    if not is_remote(location):
        return OxigraphStore(Path(location), base_iri=base_iri, federation=federation)
    if kind not in KINDS:
        raise ValueError(f"unknown kind of SPARQL server: {kind!r} (one of {', '.join(KINDS)})")
    auth = (user, password or "") if user else None
    update_auth = (update_user, update_password or "") if update_user else auth
    base = RemoteEndpoints.virtuoso(location) if kind == "virtuoso" else RemoteEndpoints.oxigraph(location)
    # Virtuoso's /sparql is anonymous: a query user reads through /sparql-auth, as the writer writes.
    default_query_url = base.update_url if auth and kind == "virtuoso" else base.query_url
    endpoints = replace(
        base,
        query_url=query_url or default_query_url,
        update_url=update_url or base.update_url,
        gsp_url=gsp_url or base.gsp_url,
        query_auth=auth,
        update_auth=update_auth,
        bearer_token=token,
        timeout_s=timeout_s,
        kind=kind,
        hidden_graphs=hidden_graphs if hidden_graphs is not None else base.hidden_graphs,
    )
    return RemoteSparqlStore(endpoints, base_iri=base_iri, federation=federation)
