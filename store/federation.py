"""The server never calls out on a caller's behalf: SERVICE and LOAD are refused unless allow-listed."""

from __future__ import annotations

from dataclasses import dataclass, field

from store.errors import FederationRefused, QuerySyntaxError
from store.sparql_lexer import MAX_NESTING, nesting
from store.sparql_text import called_services, loaded_documents


@dataclass(frozen=True)
class Federation:
    """The SPARQL endpoints a query may federate to (`SERVICE`); empty means federation is off."""

    allowed: frozenset[str] = field(default_factory=frozenset)

    def check(self, text: str, update: bool = False) -> None:
        """Raise FederationRefused when the text calls a service (or loads a URL) not allow-listed, and
        QuerySyntaxError when it nests deeper than the engines' parsers survive (pyoxigraph's recursion overflows
        its thread's stack past a few thousand levels and takes the process down)."""
        if (deepest := nesting(text)) > MAX_NESTING:
            raise QuerySyntaxError(f"the text nests {deepest} levels of brackets, braces or parentheses deep; "
                                   f"at most {MAX_NESTING} are accepted")
        lowered = text.lower()  # keywords are ASCII and case-insensitive: most texts need no lexing at all
        for endpoint in called_services(text) if "service" in lowered else ():
            if endpoint not in self.allowed:
                what = "a variable endpoint" if endpoint == "?" else f"<{endpoint}>"
                raise FederationRefused(
                    f"SERVICE {what} refused: federation is disabled on this server"
                    + (" except for the allow-listed endpoints (ONTOSIDES_SERVICE_ALLOW)" if self.allowed else
                       " (an administrator may allow named endpoints with ONTOSIDES_SERVICE_ALLOW)"))
        for document in loaded_documents(text) if update and "load" in lowered else ():
            if document.lower().startswith("file:") or document not in self.allowed:
                raise FederationRefused(
                    f"LOAD <{document}> refused: the server does not fetch documents on a caller's behalf"
                    " (never file:); upload the data to the Graph Store (/graphs) or use `ontosides load`")
