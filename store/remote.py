"""Remote SPARQL 1.1 adapter: Protocol for queries and updates, Graph Store Protocol for graphs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pyoxigraph as ox

from store.dataset import DatasetSpec
from store.dialects import VIRTUOSO_SYSTEM_GRAPHS, Dialect, dialect_for
from store.errors import ImportFailed, QueryError, QuerySyntaxError, QueryTimeout, StoreError
from store.federation import Federation
from store.port import GraphResult, Limits, Progress, Rows, Store
from store.queries import internal_query
from store.sparql_lexer import query_form, tokenize
from store.sparql_text import inject_values, inject_values_list, with_using

MEDIA = {
    ox.RdfFormat.N_TRIPLES: "application/n-triples",
    ox.RdfFormat.N_QUADS: "application/n-quads",
    ox.RdfFormat.TURTLE: "text/turtle",
    ox.RdfFormat.TRIG: "application/trig",
    ox.RdfFormat.JSON_LD: "application/ld+json",
    ox.RdfFormat.RDF_XML: "application/rdf+xml",
}


@dataclass
class RemoteEndpoints:
    """Where a SPARQL server answers; engines name these differently."""

    query_url: str
    update_url: str | None = None
    gsp_url: str | None = None
    query_auth: tuple[str, str] | None = None
    update_auth: tuple[str, str] | None = None
    bearer_token: str | None = None
    timeout_s: float = 60.0
    kind: str = "generic"
    digest_auth: bool = False
    hidden_graphs: tuple[str, ...] | None = None

    @classmethod
    def oxigraph(cls, base: str, **kw) -> RemoteEndpoints:
        """The endpoints of an `oxigraph serve` instance at base."""
        base = base.rstrip("/")
        return cls(query_url=f"{base}/query", update_url=f"{base}/update", gsp_url=f"{base}/store",
                   kind="oxigraph", **kw)

    @classmethod
    def virtuoso(cls, base: str, user: str | None = None, password: str | None = None, **kw) -> RemoteEndpoints:
        """The endpoints of a Virtuoso 7 at base: anonymous queries, digest-authenticated updates and Graph Store."""
        base = base.rstrip("/")
        defaults = dict(query_url=f"{base}/sparql", update_url=f"{base}/sparql-auth",
                        gsp_url=f"{base}/sparql-graph-crud-auth",
                        update_auth=(user, password or "") if user else None, kind="virtuoso", digest_auth=True,
                        hidden_graphs=VIRTUOSO_SYSTEM_GRAPHS)
        return cls(**{**defaults, **kw})

    def dialect(self) -> Dialect:
        """How this server departs from the standard protocols."""
        return dialect_for(self.kind, self.hidden_graphs)


class FileBody:
    """A file's bytes for an upload, read again from the start if the request is re-sent (digest auth)."""

    def __init__(self, path: Path, progress: Progress | None):
        self.path = path
        self.progress = progress

    def __iter__(self):
        sent = 0
        with self.path.open("rb") as f:
            while block := f.read(1 << 20):
                sent += len(block)
                if self.progress:
                    self.progress(sent)
                yield block


def term_from_json(value: dict):
    """A pyoxigraph term from a SPARQL JSON results binding."""
    kind = value["type"]
    if kind == "uri":
        return ox.NamedNode(value["value"])
    if kind == "bnode":
        return ox.BlankNode(value["value"])
    if "xml:lang" in value:
        return ox.Literal(value["value"], language=value["xml:lang"])
    if "datatype" in value:
        return ox.Literal(value["value"], datatype=ox.NamedNode(value["datatype"]))
    return ox.Literal(value["value"])


class RemoteSparqlStore(Store):
    """Any SPARQL 1.1 server; writes need its update and Graph Store endpoints."""

    def __init__(self, endpoints: RemoteEndpoints, client: httpx.Client | None = None,
                 base_iri: str | None = None, federation: Federation | None = None):
        self.endpoints = endpoints
        self.base_iri = base_iri
        self.federation = federation or Federation()
        self.location = endpoints.query_url
        self.dialect = endpoints.dialect()
        headers = {"Authorization": f"Bearer {endpoints.bearer_token}"} if endpoints.bearer_token else {}
        self._http = client or httpx.Client(timeout=endpoints.timeout_s, headers=headers)
        # One DigestAuth per store: it keeps the server's challenge, so later requests (and uploads) go
        # out authenticated at once instead of being sent twice.
        self._query_auth = self._auth(endpoints.query_auth)
        self._update_auth = self._auth(endpoints.update_auth)

    def _auth(self, credentials: tuple[str, str] | None):
        if credentials is None:
            return None
        return httpx.DigestAuth(*credentials) if self.endpoints.digest_auth else credentials

    # --- reading -------------------------------------------------------------
    def _based(self, text: str) -> str:
        # Relative IRIs resolve against our base on every engine (on one line: error lines stay right).
        return f"BASE <{self.base_iri}> {text}" if self.base_iri else text

    def execute(self, query: str, bindings: Mapping[str, object] | None = None,
                limits: Limits | None = None, dataset: DatasetSpec | None = None):
        limits = limits or Limits()
        deadline = limits.deadline()
        self.federation.check(query)
        try:
            text = self._based(inject_values(query, bindings, self.dialect.values_per_variable))
        except ValueError as exc:
            raise QuerySyntaxError(str(exc)) from exc
        form_of = query_form(tokenize(text))
        sent = self.dialect.query_text(text, dataset)
        # Ask for the media of the query's form: some engines answer CONSTRUCT in SPARQL JSON when allowed to.
        accept = ("application/n-triples" if form_of in ("CONSTRUCT", "DESCRIBE")
                  else "application/sparql-results+json")
        form = [("query", sent), *self.dialect.dataset_form(dataset)]
        try:
            response = self._http.post(
                self.endpoints.query_url,
                content=urlencode(form),
                headers={"Accept": accept, "Content-Type": "application/x-www-form-urlencoded"},
                auth=self._query_auth,
                timeout=limits.timeout_s or self.endpoints.timeout_s,
            )
        except httpx.TimeoutException as exc:
            raise QueryTimeout(f"the SPARQL server did not answer within {limits.timeout_s or self.endpoints.timeout_s:g} s") from exc
        except httpx.HTTPError as exc:
            raise StoreError(f"cannot reach the SPARQL server at {self.endpoints.query_url}: {exc}") from exc
        if (message := self.dialect.caller_error(response)) is not None:
            raise QuerySyntaxError(message)
        self._raise_for(response, "query")
        ctype = response.headers.get("content-type", "").split(";")[0].strip()
        if ctype in ("application/sparql-results+json", "application/json"):
            body = response.json()
            if "boolean" in body:
                return bool(body["boolean"])
            rows = [{k: self._term(v) for k, v in b.items()} for b in body["results"]["bindings"]]
            limits.check(len(rows), deadline)
            return Rows(body["head"].get("vars", []), rows)
        fmt = next((f for f, m in MEDIA.items() if m == ctype), ox.RdfFormat.N_TRIPLES)
        triples = self._triples(response.content, fmt)
        limits.check(len(triples), deadline)
        return GraphResult(triples)

    def _term(self, value: dict):
        return self.dialect.term(term_from_json(self.dialect.json_value(value)))

    def _triples(self, content: bytes, fmt: ox.RdfFormat) -> list:
        term = self.dialect.term
        return [ox.Triple(q.subject, q.predicate, term(q.object)) for q in ox.parse(content, fmt)]

    def graph_triples(self, graph: ox.NamedNode) -> list:
        response = self._gsp("GET", graph, headers={"Accept": "application/n-triples"})
        if response.status_code == 404:
            return []
        self._raise_for(response, "graph read")
        return self._triples(response.content, ox.RdfFormat.N_TRIPLES)

    def named_graphs(self) -> list[ox.NamedNode]:
        rows = self.select(internal_query("named_graphs").text)
        hidden = self.dialect.hidden_graphs
        return [r["g"] for r in rows if isinstance(r.get("g"), ox.NamedNode) and r["g"].value not in hidden]

    def has_graph(self, graph: ox.NamedNode) -> bool:
        return self.ask(internal_query("has_graph").text, {"g": graph})

    def types_of(self, resources: Iterable[ox.NamedNode]) -> dict:
        resources = list(resources)
        found: dict = {}
        query = internal_query("types_of").text
        for start in range(0, len(resources), 500):
            for row in self.select(inject_values_list(query, "s", resources[start:start + 500])):
                found.setdefault(row["s"], set()).add(row["t"])
        return found

    def count(self, graph: ox.NamedNode | None = None) -> int:
        if graph is not None:
            return len(self.graph_triples(graph))
        rows = self.select(internal_query("count").text)
        return int(rows.rows[0]["n"].value)

    def dump(self, output, fmt: ox.RdfFormat, graph: ox.NamedNode | None = None) -> None:
        if graph is not None:
            ox.serialize(self.graph_triples(graph), output, fmt)
            return
        quads = (ox.Quad(t.subject, t.predicate, t.object, g)
                 for g in self.named_graphs() for t in self.graph_triples(g))
        ox.serialize(quads, output, fmt)

    # --- writing -------------------------------------------------------------
    def update(self, update: str, using: DatasetSpec | None = None, *, touches_derived: bool = True,
               platform_text: bool = False) -> None:
        if not self.endpoints.update_url:
            raise StoreError("this store has no SPARQL update endpoint configured (read-only)")
        if not platform_text:
            self.federation.check(update, update=True)
        text = self.dialect.update_text(self._based(with_using(update, using) if using is not None else update))
        if touches_derived:
            self.wrote()
        try:
            response = self._http.post(self.endpoints.update_url, data={"update": text}, auth=self._update_auth)
        except httpx.HTTPError as exc:
            raise StoreError(f"cannot reach the SPARQL update endpoint: {exc}") from exc
        if (message := self.dialect.caller_error(response)) is not None:
            raise QueryError(message)
        self._raise_for(response, "update")

    def bulk_load(self, path: Path, fmt: ox.RdfFormat, graph: ox.NamedNode | None,
                  progress: Progress | None = None) -> int:
        path = Path(path)
        if not self.endpoints.gsp_url:
            raise ImportFailed("this store has no Graph Store endpoint configured")
        if fmt in (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG):
            raise ImportFailed(f"{path.name}: load quad files into a remote store graph by graph "
                               "(export each graph as N-Triples or Turtle)")
        if graph is None:
            raise ImportFailed(f"{path.name}: a triple file needs a target graph (--graph)")
        if self.has_graph(graph):
            raise ImportFailed(f"graph already holds data: {graph.value}; drop it first")
        before = self.count(graph)
        self.wrote()
        # A length, not chunks: Virtuoso answers 201 to a chunked body and stores nothing.
        headers = {"Content-Type": MEDIA[fmt], "Content-Length": str(path.stat().st_size)}
        response = self._gsp("PUT", graph, content=FileBody(path, progress), headers=headers)
        if response.status_code >= 400:
            # Oxigraph loads a PUT in one transaction; Virtuoso keeps what it parsed before the error, and
            # the graph was empty before (checked above), so dropping it is what "nothing kept" means.
            self.update(f"DROP SILENT GRAPH {graph}")
            raise ImportFailed(f"{path.name}: the server refused the file: {response.text.strip()[:500]}")
        return self.count(graph) - before

    def _gsp(self, method: str, graph: ox.NamedNode, **kw) -> httpx.Response:
        if not self.endpoints.gsp_url:
            raise StoreError("this store has no Graph Store endpoint configured")
        try:
            return self._http.request(method, self.endpoints.gsp_url,
                                      params={self.dialect.gsp_graph_param: graph.value},
                                      auth=self._update_auth, **kw)
        except httpx.HTTPError as exc:
            raise StoreError(f"cannot reach the Graph Store endpoint: {exc}") from exc

    @staticmethod
    def _raise_for(response: httpx.Response, what: str) -> None:
        if response.status_code in (401, 403):
            raise StoreError(f"the SPARQL server refused the {what}: check the credentials ({response.status_code})")
        if response.status_code >= 400:
            raise StoreError(f"the SPARQL server failed the {what} ({response.status_code}): {response.text.strip()[:300]}")

    def close(self) -> None:
        self._http.close()
