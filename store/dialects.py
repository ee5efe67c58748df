"""How a SPARQL server departs from the SPARQL 1.1 protocols, so the remote adapter can keep one contract.

The generic dialect departs in nothing. Virtuoso 7 departs in many small ways, measured against the contract
suite (tests/test_store_contract.py) on Debian's virtuoso-opensource-7-bin 7.2.5; each is handled here.
"""

from __future__ import annotations

import httpx
import pyoxigraph as ox

from store.dataset import DatasetSpec
from store.errors import QuerySyntaxError
from store.sparql_lexer import Token, matching_brace, prologue, term_iri, tokenize, where_group

# Sent for an empty default graph or empty set of named graphs: no parameter at all would mean "everything".
NO_GRAPH = "urn:ontosides:no-graph"

XSD = "http://www.w3.org/2001/XMLSchema#"
# Virtuoso's SPARQL parser exhausts its stack past ~5,000 triples in one INSERT DATA block.
TRIPLES_PER_INSERT = 2000

# What a fresh Virtuoso 7 holds besides our data: its RDF views, the LDP vocabulary, its service description
# (named after [URIQA] DefaultHost; "localuriqaserver" when the ini leaves it out).
VIRTUOSO_SYSTEM_GRAPHS = (
    "http://www.openlinksw.com/schemas/virtrdf#",
    "http://www.w3.org/ns/ldp#",
    "http://localuriqaserver/sparql",
)


class Dialect:
    """A standard SPARQL 1.1 server: texts, datasets, terms and errors pass unchanged."""

    gsp_graph_param = "graph"
    #: bind parameters with one VALUES block per variable instead of one row of several
    values_per_variable = False
    #: graphs of the server's own that are not data: left out of the named graphs the adapter lists
    hidden_graphs: tuple[str, ...] = ()

    def query_text(self, text: str, dataset: DatasetSpec | None) -> str:
        """The text to send for a query read on a dataset."""
        return text

    def dataset_form(self, dataset: DatasetSpec | None) -> list[tuple[str, str]]:
        """The protocol's dataset parameters."""
        if dataset is None:
            return []
        return ([("default-graph-uri", g) for g in dataset.default or (NO_GRAPH,)]
                + [("named-graph-uri", g) for g in dataset.named or (NO_GRAPH,)])

    def update_text(self, text: str) -> str:
        """The text to send for an update."""
        return text

    def json_value(self, value: dict) -> dict:
        """A SPARQL JSON results value as the engine should have written it."""
        return value

    def term(self, term):
        """A term as the engine should have answered it."""
        return term

    def caller_error(self, response: httpx.Response) -> str | None:
        """The engine's message when a failed request is the caller's fault (bad text), else None."""
        return (response.text.strip() or "the server rejected the request") if response.status_code == 400 else None


class VirtuosoDialect(Dialect):
    """Virtuoso 7: its own Graph Store parameter, system graphs in the default graph, SQL-flavoured answers."""

    gsp_graph_param = "graph-uri"
    # VALUES (?a ?b) { (x y) } beside an OPTIONAL stops Virtuoso 7.2's compiler ("no SPART_VARR_FIXED").
    values_per_variable = True

    def __init__(self, hidden_graphs: tuple[str, ...] = VIRTUOSO_SYSTEM_GRAPHS):
        # Their triples are kept out of the default graph by the server's graph security (NOTES-virtuoso.md:
        # "private graphs"). The pragma `define input:default-graph-exclude` costs more per query (bench.virtuoso)
        # and makes Virtuoso 7.2 answer nothing for GRAPH <iri> patterns; listing every data graph in
        # default-graph-uri costs far more. The names may still show in GRAPH ?g: named_graphs() drops them.
        self.hidden_graphs = hidden_graphs

    def query_text(self, text: str, dataset: DatasetSpec | None) -> str:
        tokens = tokenize(text)
        refuse_extensions(tokens)
        if dataset is not None:
            text = without_from(text, tokens)
            tokens = tokenize(text)
        return never_provably_empty(text, tokens)

    def dataset_form(self, dataset: DatasetSpec | None) -> list[tuple[str, str]]:
        # NO_GRAPH is always a named graph, so the branch never_provably_empty adds is a real one.
        if dataset is None:
            return []
        return ([("default-graph-uri", g) for g in dataset.default or (NO_GRAPH,)]
                + [("named-graph-uri", g) for g in (*dataset.named, NO_GRAPH)])

    def update_text(self, text: str) -> str:
        tokens = tokenize(text)
        refuse_extensions(tokens)
        return insert_data_for_virtuoso(text, tokens)

    def json_value(self, value: dict) -> dict:
        if value["type"] == "bnode" and value["value"].startswith("nodeID://"):
            return {**value, "value": value["value"].removeprefix("nodeID://")}
        return value

    def term(self, term):
        if isinstance(term, ox.Literal):
            datatype = term.datatype.value
            # Virtuoso keeps numbers as SQL integers: an xsd:integer written by SPARQL comes back as xsd:int.
            if datatype == f"{XSD}int":
                return ox.Literal(term.value, datatype=ox.NamedNode(f"{XSD}integer"))
            if datatype == f"{XSD}boolean" and term.value in ("0", "1"):
                return ox.Literal(term.value == "1")
        return term

    def caller_error(self, response: httpx.Response) -> str | None:
        # Virtuoso answers 400 for most syntax errors, 500 for others (SQL state 37000) and for data
        # exceptions of the caller's text (22xxx: a bad literal, DROP of a graph that does not exist).
        text = response.text.strip()
        if response.status_code == 400 or (response.status_code == 500
                                           and text.startswith(("Virtuoso 37000", "Virtuoso 22"))):
            return text.split("\n\nSPARQL query:")[0].strip() or "the server rejected the request"
        return None


def refuse_extensions(tokens: list[Token]) -> None:
    """Refuse what Virtuoso accepts beyond SPARQL 1.1 and would let a caller past the platform's rules."""
    base, prefixes = prologue(tokens)
    for token in tokens:
        if token.is_keyword("DEFINE"):
            # Pragmas such as input:default-graph-uri widen the dataset; get:soft fetches documents.
            raise QuerySyntaxError("'define' pragmas are not SPARQL 1.1")
        if token.kind in ("iri", "pname"):
            iri = term_iri(token, base, prefixes) or token.text
            if iri.lstrip("<").lower().startswith(("bif:", "sql:")):
                # bif:http_get calls any host; sql: runs stored procedures.
                raise QuerySyntaxError(f"{token.text}: Virtuoso built-in and SQL functions (bif:, sql:) "
                                       "are not SPARQL 1.1")
        if token.is_keyword("FROM") and token.depth:
            # A FROM inside a subquery reads graphs outside the request's dataset on Virtuoso.
            raise QuerySyntaxError("FROM inside a group (a subquery's own dataset) is not SPARQL 1.1")


def without_from(text: str, tokens: list[Token]) -> str:
    """The text without its FROM clauses: the request's dataset already took them into account.

    Virtuoso adds a query's FROM graphs to the protocol's default-graph-uri instead of letting the protocol win.
    """
    edits = []
    for i, token in enumerate(tokens):
        if token.is_keyword("FROM") and token.depth == 0:
            last = min(i + 2 if i + 1 < len(tokens) and tokens[i + 1].is_keyword("NAMED") else i + 1, len(tokens) - 1)
            edits.append((token.start, tokens[last].end, ""))
    return apply_edits(text, edits)


def never_provably_empty(text: str, tokens: list[Token]) -> str:
    """The WHERE group as a union with a branch Virtuoso cannot prove empty before running it.

    Virtuoso 7.2 answers one solution (ASK true, COUNT(*) 1) when its compiler proves the whole WHERE empty
    (a GRAPH outside the request's named graphs, a bound variable contradicting a FILTER). A union with a
    pattern on an empty graph changes no answer and keeps the compiler from taking that path.
    """
    index = where_group(tokens)
    end = None if index is None else matching_brace(tokens, index)
    if end is None:
        return text  # no WHERE group, or unbalanced: the engine will say where
    void = f"<{NO_GRAPH}>"
    return apply_edits(text, [(tokens[index].end, tokens[index].end, " {"),
                              (tokens[end].start, tokens[end].start,
                               f"}} UNION {{ GRAPH {void} {{ {void} {void} {void} }} }} ")])


def insert_data_for_virtuoso(text: str, tokens: list[Token], per_operation: int = TRIPLES_PER_INSERT) -> str:
    """Each INSERT DATA as Virtuoso takes it: in operations of at most `per_operation` triples, and as
    INSERT { … } WHERE {} when it holds blank nodes (which Virtuoso refuses in INSERT DATA).

    Virtuoso's parser runs out of stack past ~5,000 triples in one block ("memory exhausted"). The template
    form mints fresh blank nodes once per operation, as INSERT DATA does, so it is not split (a label must stay
    one node); Virtuoso compiles it to SQL and refuses it past ~500 triples: bigger data with blank nodes goes
    through the Graph Store (`ontosides load`).
    """
    edits = []
    for i, token in enumerate(tokens[:-1]):
        if not (token.depth == 0 and token.is_keyword("INSERT") and tokens[i + 1].is_keyword("DATA")):
            continue
        opening = i + 2
        closing = matching_brace(tokens, opening) if opening < len(tokens) else None
        if closing is None:
            continue  # unbalanced: the engine will say where
        if any(t.kind == "bnode" or t.text == "[" for t in tokens[opening:closing]):
            edits += [(tokens[i + 1].start, tokens[i + 1].end, ""),
                      (tokens[closing].end, tokens[closing].end, " WHERE {}")]
        else:
            edits += _split_points(tokens, opening, closing, per_operation)
    return apply_edits(text, edits)


def _split_points(tokens: list[Token], opening: int, closing: int, per_operation: int) -> list:
    edits, graph, count = [], None, 0
    for j in range(opening + 1, closing):
        token = tokens[j]
        if token.depth == 1 and token.is_keyword("GRAPH"):
            graph, count = tokens[j + 1].text, 0
        elif token.depth == 1 and token.text == "}":
            graph, count = None, 0
        elif token.text == "." and token.depth == (2 if graph else 1):
            count += 1
            if count >= per_operation and tokens[j + 1].text != "}":
                reopen = f" }} }} ; INSERT DATA {{ GRAPH {graph} {{ " if graph else " } ; INSERT DATA { "
                edits.append((token.end, token.end, reopen))
                count = 0
    return edits


def apply_edits(text: str, edits: list[tuple[int, int, str]]) -> str:
    """The text with each (start, end, replacement) applied; edits do not overlap."""
    pieces, last = [], 0
    for start, end, replacement in sorted(edits):
        pieces += [text[last:start], replacement]
        last = end
    pieces.append(text[last:])
    return "".join(pieces)


def dialect_for(kind: str, hidden_graphs: tuple[str, ...] | None = None) -> Dialect:
    """The dialect of a kind of server: oxigraph and generic speak the standard; virtuoso has its own."""
    if kind == "virtuoso":
        return VirtuosoDialect(VIRTUOSO_SYSTEM_GRAPHS if hidden_graphs is None else hidden_graphs)
    if kind in ("oxigraph", "generic"):
        return Dialect()
    raise ValueError(f"unknown kind of SPARQL server: {kind!r} (oxigraph, virtuoso or generic)")
