"""GDPR: everything the platform holds about a person (export), and their erasure.

Export: the person's account graph (account, e-mails, functions), their copies and grades, every other triple
that names them (group memberships, candidate lists, tokens, items they wrote …) and the access-log events they
are the actor or the target of, as JSON-LD (one named graph per source graph) or CSV (graph, subject,
predicate, object).

Erasure (`ONTOSIDES_ERASURE`): the account graph is dropped and their tokens removed, then
- `pseudonymise`: every IRI that names them (the person, the answers, sessions and grades that embed their key,
  the copy and grade graphs) is rewritten to a random key that nothing records (irreversible), and every literal
  that mentions them (e-mail, EPPN, identifier, IRI) has the mention replaced; grades stay, so every statistic
  is unchanged;
- `delete`: their copy and grade graphs are dropped and every triple that names them deleted.
Other candidates' grades and the épreuves' statistics (maintained graphs) are not touched by either; the
person's rows leave every research project's pseudonymised dataset (found by their keyed pseudonym). The search
for what names a person scans every quad once: erasure is rare and thorough rather than fast.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
from dataclasses import dataclass, field

import pyoxigraph as ox

from services.platform import Platform
from store.sparql_text import inject_values_list

OS = "https://w3id.org/ontosides#"
FOAF = "http://xmlns.com/foaf/0.1/"


PERSON_KEY = re.compile(r"^[A-Za-z0-9._-]{1,128}$")


class PersonNotFound(LookupError):
    """No such person (404)."""


@dataclass
class Mentions:
    """Every quad that names a person, by graph; and the graphs that are theirs as a whole."""

    person: str
    key: str
    identifiers: list[str]
    quads: list[tuple[str, str, str, str, str]] = field(default_factory=list)  # g, s, p, o (N-Triples), kind
    whole: list[str] = field(default_factory=list)  # graphs named after them (account, copies, grades)


class Gdpr:
    """Export and erasure of a person's data."""

    def __init__(self, platform: Platform):
        self.platform = platform
        self.base = platform.settings.base_iri.rstrip("/") + "/"
        self.queries = platform.queries_for("gdpr")

    def person_iri(self, key_or_iri: str) -> str:
        """A person's IRI from their key or IRI (PersonNotFound when it cannot name a person of this platform)."""
        iri = key_or_iri if key_or_iri.startswith("http") else f"{self.base}person/{key_or_iri}"
        self._key(iri)
        if not PERSON_KEY.match(iri[len(self.base) + len("person/"):]):
            raise PersonNotFound(f"no person {key_or_iri!r}: person keys are letters, digits, '.', '_' and '-'")
        return iri

    def _key(self, person: str) -> str:
        head = f"{self.base}person/"
        if not person.startswith(head) or "/" in person[len(head):]:
            raise PersonNotFound(f"not a person of this platform: {person}")
        return person[len(head):]

    def identifiers(self, person: str) -> list[str]:
        """The strings that identify the person in literals: their IRI, e-mails, EPPNs, unique id."""
        query = self.queries.get("identity")
        values = {r["value"].value for r in self.platform.store.select(query.text, query.bind({"person": person}))}
        return sorted({person, *values})

    def mentions(self, person: str) -> Mentions:
        """Every quad naming the person: by IRI (the person, or an IRI under the base with their key as a path
        segment) or in a literal holding one of their identifiers."""
        key = self._key(person)
        exists = self.queries.get("person_exists")
        if not self.platform.store.ask(exists.text, exists.bind({"person": person})):
            raise PersonNotFound(f"no person {person}")
        found = Mentions(person, key, self.identifiers(person))
        pattern = "^" + re.escape(self.base) + "(.*/)?" + re.escape(key) + "(/|$)"
        # By their key (in an IRI, or in a literal: a request path in the access log, /gdpr/people/{key}), or by
        # one of their identifiers in a literal.
        query = self.queries.get("mentions")
        bound = query.bind({"base": self.base, "root": self.base[:-1], "key": key, "segment": f"/{key}/",
                            "tail": f"/{key}"})
        literal = inject_values_list(self.queries.get("literal_mentions").text, "needle",
                                     [ox.Literal(v) for v in found.identifiers])
        token_subjects = set()
        seen = set()
        for row in [*self.platform.store.select(query.text, bound), *self.platform.store.select(literal)]:
            g, s, p, o = row["g"].value, row["s"], row["p"].value, row["o"]
            mention = (g, str(s), str(ox.NamedNode(p)), str(o), "mention")
            if mention in seen:
                continue
            seen.add(mention)
            if p == f"{OS}issuedTo":
                token_subjects.add(s.value)
            found.quads.append(mention)
        whole = {q[0] for q in found.quads if re.match(pattern, q[0])}
        found.whole = sorted(whole)
        if token_subjects:  # a token of theirs goes whole, whatever its triples say
            text = inject_values_list(self.queries.get("subject_quads").text, "s",
                                      [ox.NamedNode(t) for t in token_subjects])
            for row in self.platform.store.select(text):
                found.quads.append((row["g"].value, str(row["s"]), str(ox.NamedNode(row["p"].value)),
                                    str(row["o"]), "token"))
        return found

    # --- export -------------------------------------------------------------------------
    def export_rows(self, person: str) -> list[tuple[str, str, str, str]]:
        """(graph, subject, predicate, object) of every quad about the person, whole graphs included."""
        found = self.mentions(person)
        rows = {(g, s, p, o) for g, s, p, o, _ in found.quads}
        shared = set()
        for graph in found.whole:
            for t in self.platform.store.graph_triples(ox.NamedNode(graph)):
                rows.add((graph, str(t.subject), str(t.predicate), str(t.object)))
                if t.predicate.value == f"{OS}hasQuestionScore":
                    shared.add(t.object)
        if shared:  # what their grades' question scores say (question, fraction, points), shared with others
            text = inject_values_list(self.queries.get("subject_quads").text, "s", sorted(shared, key=str))
            rows.update((r["g"].value, str(r["s"]), str(ox.NamedNode(r["p"].value)), str(r["o"]))
                        for r in self.platform.store.select(text))
        return sorted(rows)

    def export_jsonld(self, person: str) -> bytes:
        text = "".join(f"{s} {p} {o} <{g}> .\n" for g, s, p, o in self.export_rows(person))
        return ox.serialize(ox.parse(text.encode(), ox.RdfFormat.N_QUADS), format=ox.RdfFormat.JSON_LD)

    def export_csv(self, person: str) -> bytes:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["graph", "subject", "predicate", "object"])
        for g, s, p, o in self.export_rows(person):
            quad = next(iter(ox.parse(f"{s} {p} {o} <{g}> .", ox.RdfFormat.N_QUADS)))
            obj = getattr(quad.object, "value", str(quad.object))
            writer.writerow([g, quad.subject.value, quad.predicate.value, obj])
        return out.getvalue().encode("utf-8")

    # --- erasure ------------------------------------------------------------------------
    def erase(self, person: str, policy: str | None = None) -> dict:
        """Erase a person per the policy; returns what was done."""
        policy = policy or self.platform.settings.erasure
        if policy not in ("pseudonymise", "delete"):
            raise ValueError(f"unknown erasure policy {policy!r}")
        found = self.mentions(person)
        account_graph = f"{self.base}graph/person/{found.key}"
        replacement = "erased-" + secrets.token_hex(12)  # recorded nowhere: the link back is gone
        key_segment = re.compile("(?<=/)" + re.escape(found.key) + "(?=/|$|>)")
        deleted, inserted, dropped = [], [], []
        for g, s, p, o, kind in found.quads:
            quad = f"{s} {p} {o} <{g}> ."
            if g in found.whole or g == account_graph:
                continue  # the graph goes (or moves) whole
            deleted.append(quad)
            if kind == "token" or policy == "delete":
                continue
            if p in (f"<{FOAF}givenName>", f"<{FOAF}familyName>", f"<{OS}email>", f"<{OS}primaryEmail>",
                     f"<{OS}eppn>", f"<{OS}uniqueId>"):
                continue
            inserted.append(self._rewrite(s, p, o, g, found, key_segment, replacement))
        moved = 0
        for graph in found.whole:
            dropped.append(graph)
            if graph == account_graph or policy == "delete":
                continue
            target = key_segment.sub(replacement, graph)
            for t in self.platform.store.graph_triples(ox.NamedNode(graph)):
                inserted.append(self._rewrite(str(t.subject), str(t.predicate), str(t.object), target, found,
                                              key_segment, replacement))
                moved += 1
        ops = [f"DROP SILENT GRAPH <{g}>" for g in dropped]
        if deleted:
            ops.append("DELETE DATA {\n" + self._as_graphs(deleted) + "\n}")
        if inserted:
            ops.append("INSERT DATA {\n" + self._as_graphs(inserted) + "\n}")
        ops += self._research_ops(person)
        if ops:
            self.platform.store.update(" ;\n".join(ops))
        return {"person": person, "policy": policy, "graphs_dropped": len(dropped),
                "triples_removed": len(deleted), "triples_rewritten": len(inserted) if policy != "delete" else 0,
                "moved": moved}

    def _research_ops(self, person: str) -> list[str]:
        """Remove the person's rows from every research project's dataset (their keyed pseudonym and the IRIs
        carrying it); a rebuild brings back, under a new pseudonym, only what erasure kept."""
        from services.research.projects import Projects
        from services.research.pseudonymise import pseudonym_hex

        secret = self.platform.settings.research_secret
        if not secret:
            return []
        projects = Projects(self.platform)
        ops = []
        rows_query = self.queries.get("research_rows")
        for row in self.platform.store.select(self.queries.get("research_projects").text):
            key = row["p"].value.rsplit("/", 1)[-1]
            bound = rows_query.bind({"prefix": projects.data_prefix(key),
                                     "hexed": pseudonym_hex(secret, key, person)})
            quads = [f"{r['s']} {r['p']} {r['o']} <{r['g'].value}> ."
                     for r in self.platform.store.select(rows_query.text, bound)]
            if quads:
                ops.append("DELETE DATA {\n" + self._as_graphs(quads) + "\n}")
        return ops

    def _rewrite(self, s: str, p: str, o: str, g: str, found: Mentions, key_segment, replacement) -> str:
        erased = f"<{self.base}person/{replacement}>"
        def iri(term: str) -> str:
            if term == f"<{found.person}>":
                return erased
            return key_segment.sub(replacement, term) if term.startswith(f"<{self.base}") else term

        s = iri(s)
        if o.startswith("<"):
            o = iri(o)
        elif o.startswith('"'):
            for value in sorted(found.identifiers, key=len, reverse=True):
                escaped = str(ox.Literal(value))[1:-1]
                by = f"{self.base}person/{replacement}" if value == found.person else "[effacé]"
                o = re.sub(re.escape(escaped) + r"(?![A-Za-z0-9._-])", lambda _: by, o)
            o = re.sub(r"(?<=[/ ])" + re.escape(found.key) + r"(?=$|[/?# \"])", replacement, o)
        g = key_segment.sub(replacement, g) if g.startswith(self.base) else g
        return f"{s} {p} {o} <{g}> ."

    @staticmethod
    def _as_graphs(quads: list[str]) -> str:
        by_graph: dict[str, list[str]] = {}
        for line in quads:
            body, graph = line.rsplit(" <", 1)
            by_graph.setdefault("<" + graph[:-2].strip(), []).append(body + " .")
        return "\n".join(f"GRAPH {g} {{\n" + "\n".join(lines) + "\n}" for g, lines in by_graph.items())
