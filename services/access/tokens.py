"""Platform tokens: issued to an account, stored hashed, with an expiry, revocable."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, XSD

from services.platform import Platform
from store.queries import QueryLibrary
from store.sparql_text import inject_values_list
from store.terms import OS
from store.writes import GraphChange

PREFIX = "ots_"
CACHE_SECONDS = 30.0


class TokenRefused(Exception):
    """A token that proves nothing: unknown, expired or revoked (the message says which, for the log)."""


@dataclass(frozen=True)
class TokenRecord:
    """What a token stands for."""

    iri: str
    person: str
    expires: dt.datetime
    revoked: bool


def digest(token: str) -> str:
    """The SHA-256 of a token (tokens are 256-bit random strings: a plain hash is enough)."""
    return hashlib.sha256(token.encode()).hexdigest()


def now() -> dt.datetime:
    """The current UTC time, to the second."""
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def _stamp(moment: dt.datetime) -> Literal:
    return Literal(moment.isoformat().replace("+00:00", "Z"), datatype=XSD.dateTime)


class Tokens:
    """The platform's tokens, in their own graph (readable by administrators only)."""

    def __init__(self, platform: Platform, queries: QueryLibrary):
        self.platform = platform
        self.queries = queries
        self.graph = platform.iri("graph", "auth", "tokens")
        self._cache: dict[str, tuple[float, int, TokenRecord | None]] = {}
        self._lock = threading.Lock()

    def _rows(self, name: str, **params) -> list:
        query = self.queries.get(name)
        return self.platform.store.select(query.text, query.bind({"graph": self.graph, **params})).rows

    def issue(self, person: str, label: str, days: int, issued_by: str | None,
              hours: int | None = None) -> tuple[str, str]:
        """A new token for a person, valid for some days (or hours); returns (the token, once, and its IRI)."""
        if hours is None and not 1 <= days <= 3650:
            raise ValueError("a token lasts 1 to 3650 days")
        lifetime = dt.timedelta(hours=hours) if hours is not None else dt.timedelta(days=days)
        token = PREFIX + secrets.token_urlsafe(32)
        iri = self.platform.iri("token", uuid.uuid4().hex)
        change = GraphChange(self.graph, self._triples(iri, token, person, label, lifetime, issued_by))
        # A new token changes nothing anyone cached (its hash was never looked up: it is 256 random bits), so the
        # store's generation stays: 8,200 candidates signing in at an épreuve's start do not make every cache
        # cold 8,200 times. Revoking one does move it.
        self.platform.writer.apply([change], touches_derived=False)
        return token, iri

    def _triples(self, iri: str, token: str, person: str, label: str, lifetime: dt.timedelta,
                 issued_by: str | None) -> Graph:
        created = now()
        data = Graph()
        node = URIRef(iri)
        data.add((node, RDF.type, OS.AccessToken))
        data.add((node, OS.tokenHash, Literal(digest(token))))
        data.add((node, OS.issuedTo, URIRef(person)))
        data.add((node, OS.expires, _stamp(created + lifetime)))
        data.add((node, DCTERMS.created, _stamp(created)))
        data.add((node, RDFS.label, Literal(label or "token")))
        if issued_by:
            data.add((node, PROV.wasAttributedTo, URIRef(issued_by)))
        return data

    def ensure(self, token: str, person: str, label: str) -> None:
        """Register a token given by configuration (the administrator's), replacing any earlier one so labelled."""
        if self.verify_quietly(token) is not None:
            return
        old = self._rows("token_by_label", person=person, label=label)
        iri = self.platform.iri("token", "configured-" + hashlib.sha256(label.encode()).hexdigest()[:12])
        change = GraphChange(self.graph, self._triples(iri, token, person, label, dt.timedelta(days=3650), None),
                             drop_subjects=[r["t"].value for r in old] + [iri])
        self.platform.writer.apply([change])

    def verify(self, token: str) -> TokenRecord:
        """The record of a valid token; TokenRefused otherwise."""
        record = self.verify_quietly(token)
        if record is None:
            raise TokenRefused("unknown token")
        if record.revoked:
            raise TokenRefused("revoked token")
        if record.expires <= now():
            raise TokenRefused("expired token")
        return record

    def verify_quietly(self, token: str) -> TokenRecord | None:
        """The record of a token whatever its state (None when unknown), cached for a few seconds."""
        key = digest(token)
        generation = self.platform.store.generation
        with self._lock:
            cached = self._cache.get(key)
        if cached and cached[1] == generation and time.monotonic() - cached[0] < CACHE_SECONDS:
            return cached[2]
        rows = self._rows("token", hash=key)
        record = None
        if rows:
            row = rows[0]
            record = TokenRecord(row["token"].value, row["person"].value,
                                 dt.datetime.fromisoformat(row["expires"].value.replace("Z", "+00:00")),
                                 "revoked" in row)
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[key] = (time.monotonic(), generation, record)
        return record

    def warm(self, people: Iterable[str]) -> int:
        """Read the tokens of many people in one query into the cache (a crowd of candidates about to sign in);
        returns how many."""
        people = [ox.NamedNode(p) for p in people]
        if not people:
            return 0
        query = self.queries.get("tokens_of_people")
        text = inject_values_list(query.text, "person", people)
        generation, moment = self.platform.store.generation, time.monotonic()
        rows = self.platform.store.select(text, query.bind({"graph": self.graph})).rows
        with self._lock:
            if len(self._cache) + len(rows) > 10_000:
                self._cache.clear()
            for row in rows:
                self._cache[row["hash"].value] = (moment, generation, TokenRecord(
                    row["token"].value, row["person"].value,
                    dt.datetime.fromisoformat(row["expires"].value.replace("Z", "+00:00")), "revoked" in row))
        return len(rows)

    def of(self, person: str) -> list[dict]:
        """A person's tokens (never the secret), newest first."""
        rows = self._rows("tokens_of", person=person)
        return [{"iri": r["t"].value, "id": r["t"].value.rsplit("/", 1)[-1], "label": r["label"].value,
                 "created": r["created"].value, "expires": r["expires"].value,
                 "revoked": r["revoked"].value if "revoked" in r else None} for r in rows]

    def revoke(self, token_iri: str) -> None:
        """Revoke a token from now on (kept, marked, for the record)."""
        data = Graph()
        data.add((URIRef(token_iri), PROV.invalidatedAtTime, _stamp(now())))
        self.platform.writer.apply([GraphChange(self.graph, data)])
