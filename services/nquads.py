"""N-Quads lines written by hand, fast: the generator and NOTATION's demo data share these helpers."""

from __future__ import annotations

OS = "https://w3id.org/ontosides#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCT = "http://purl.org/dc/terms/"
ORG = "http://www.w3.org/ns/org#"
FOAF = "http://xmlns.com/foaf/0.1/"
XSD = "http://www.w3.org/2001/XMLSchema#"
PROV = "http://www.w3.org/ns/prov#"


def lit(text: str, lang: str | None = None, dtype: str | None = None) -> str:
    """A literal in N-Quads syntax."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    if lang:
        return f'"{escaped}"@{lang}'
    if dtype:
        return f'"{escaped}"^^<{XSD}{dtype}>'
    return f'"{escaped}"'


class Writer:
    """Collects N-Quads lines until flushed."""

    def __init__(self):
        self.lines: list[str] = []

    def quad(self, s: str, p: str, o: str, g: str) -> None:
        """A statement whose object is already written (a literal)."""
        self.lines.append(f"<{s}> <{p}> {o} <{g}> .\n")

    def iri(self, s: str, p: str, o: str, g: str) -> None:
        """A statement whose object is an IRI."""
        self.lines.append(f"<{s}> <{p}> <{o}> <{g}> .\n")

    def flush(self) -> list[str]:
        """The lines collected so far (and forget them)."""
        out, self.lines = self.lines, []
        return out
