"""Rewriting SPARQL text safely: parameters as a VALUES block, protocol USING clauses, a deadline check."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache

import pyoxigraph as ox

from store.dataset import DatasetSpec
from store.errors import QuerySyntaxError
from store.sparql_lexer import matching_brace, prologue, term_iri, tokenize, where_group

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
DEADLINE_FUNCTION = "urn:ontosides:fn:within-time-limit"


@lru_cache(maxsize=2048)
def top_group_start(query: str) -> int:
    """Offset of the opening brace of the query's WHERE group (remembered: named queries bind the same text
    again and again, and lexing it was a third of a token lookup)."""
    tokens = tokenize(query)
    index = where_group(tokens)
    if index is None:
        first = next((t for t in tokens if t.text == "{"), None)
        if first is None:
            raise ValueError("the query has no group pattern")
        return first.start
    return tokens[index].start


def values_block(bindings: Mapping[str, object], per_variable: bool = False) -> str:
    """A one-row VALUES block (or one block per variable); terms are serialised by pyoxigraph, which escapes them."""
    names = list(bindings)
    for name in names:
        if not _NAME.match(name):
            raise ValueError(f"invalid variable name: {name!r}")
    if per_variable:
        return " ".join(f"VALUES ?{n} {{ {bindings[n]} }}" for n in names)
    head = " ".join(f"?{n}" for n in names)
    row = " ".join(str(bindings[n]) for n in names)
    return f"VALUES ({head}) {{ ({row}) }}"


def values_list(var: str, terms: Iterable[object]) -> str:
    """A one-variable VALUES block listing several terms."""
    if not _NAME.match(var):
        raise ValueError(f"invalid variable name: {var!r}")
    return f"VALUES ?{var} {{ {' '.join(str(t) for t in terms)} }}"


def inject_values(query: str, bindings: Mapping[str, object] | None, per_variable: bool = False) -> str:
    """Bind variables by a VALUES block placed first in the WHERE group (one per variable if asked), and again
    first in the OPTIONAL groups and subqueries below it that use them (`pushed_groups`)."""
    if not bindings:
        return query
    at = top_group_start(query)
    inserts = [(at, list(bindings))] + pushed_groups(query, tuple(bindings))
    pieces, last = [], 0
    for offset, names in sorted(inserts):
        block = values_block({n: bindings[n] for n in names}, per_variable)
        pieces += [query[last:offset + 1], f" {block} "]
        last = offset + 1
    pieces.append(query[last:])
    return "".join(pieces)


@lru_cache(maxsize=2048)
def pushed_groups(query: str, names: tuple[str, ...]) -> list[tuple[int, list[str]]]:
    """Where a parameter's VALUES block is repeated: (offset of a group's `{`, the parameters it uses).

    Why: the embedded engine evaluates an OPTIONAL's group and a subquery on their own before joining them by
    hashing, so a parameter bound only at the top reaches them after they have read every épreuve's answers
    (one épreuve's answer patterns: over a minute at 10M quads, 0.3 s with the block repeated inside).
    Same results: the block is placed first in the WHERE group, so every row an OPTIONAL extends already
    holds the parameter's value, and a right-hand row with another value could never join it; a subquery gets
    it only when it projects the variable plainly, binds it in a triple pattern of its own group (so no group
    of unbound rows exists to merge) and has no LIMIT or OFFSET. Groups are entered recursively from a group
    that holds the block; a group that BINDs the variable, MINUS, EXISTS, GRAPH and SERVICE groups are left
    alone."""
    tokens = tokenize(query)
    top = where_group(tokens)
    if top is None:
        return []
    found: list[tuple[int, list[str]]] = []
    _push_into(tokens, top, names, found)
    return found


def _uses(tokens, start: int, end: int, names: tuple[str, ...]) -> list[str]:
    """The parameters a token span mentions, unless one of them is assigned there (`AS ?name`)."""
    mentioned = {t.text[1:] for t in tokens[start:end] if t.kind == "var"}
    assigned = {tokens[k + 1].text[1:] for k in range(start, end - 1)
                if tokens[k].is_keyword("AS") and tokens[k + 1].kind == "var"}
    return [n for n in names if n in mentioned and n not in assigned]


def _push_into(tokens, open_index: int, names: tuple[str, ...], found: list) -> None:
    """Collect the OPTIONAL groups and subqueries directly inside a group that holds the parameters' block."""
    close = matching_brace(tokens, open_index)
    if close is None:
        return
    i = open_index + 1
    while i < close:
        token = tokens[i]
        if token.is_keyword("OPTIONAL") and tokens[i + 1].text == "{":
            end = matching_brace(tokens, i + 1)
            if end is None:
                return
            if i + 2 < len(tokens) and tokens[i + 2].is_keyword("SELECT"):
                _push_into_subquery(tokens, i + 1, end, names, found)
            elif used := _uses(tokens, i + 1, end, names):
                found.append((tokens[i + 1].start, used))
                _push_into(tokens, i + 1, tuple(used), found)
            i = end + 1
        elif token.text == "{":
            end = matching_brace(tokens, i)
            if end is None:
                return
            if tokens[i + 1].is_keyword("SELECT") and not (i > 0 and tokens[i - 1].is_keyword("UNION")) \
                    and not (end + 1 < len(tokens) and tokens[end + 1].is_keyword("UNION")):
                _push_into_subquery(tokens, i, end, names, found)
            i = end + 1  # other groups (VALUES data, GRAPH, MINUS, EXISTS, SERVICE, UNION branches) stay as written
        else:
            i += 1


def _push_into_subquery(tokens, open_index: int, end: int, names: tuple[str, ...], found: list) -> None:
    select = open_index + 1
    where = next((j for j in range(select + 1, end) if tokens[j].text == "{" and tokens[j].depth == tokens[select].depth),
                 None)
    if where is None:
        return
    where_end = matching_brace(tokens, where)
    if where_end is None or any(t.is_keyword("LIMIT", "OFFSET") for t in tokens[where_end:end]
                                if t.depth == tokens[select].depth):
        return
    projection = tokens[select + 1:where]
    star = any(t.text == "*" and t.parens == tokens[select].parens for t in projection)
    projected = {t.text[1:] for k, t in enumerate(projection)
                 if t.kind == "var" and t.parens == tokens[select].parens and not (k and projection[k - 1].is_keyword("AS"))}
    depth, parens = tokens[where].depth + 1, tokens[where].parens
    # Bound in a triple pattern of the subquery's own group (not only in an OPTIONAL, a UNION branch or an expression).
    certain = {t.text[1:] for t in tokens[where + 1:where_end] if t.kind == "var" and t.depth == depth and t.parens == parens}
    used = [n for n in _uses(tokens, where, where_end, names) if (star or n in projected) and n in certain]
    if used:
        found.append((tokens[where].start, used))
        _push_into(tokens, where, tuple(used), found)


def inject_values_list(query: str, var: str, terms: Iterable[object]) -> str:
    """Bind one variable to several terms by a VALUES block placed first in the WHERE group."""
    at = top_group_start(query)
    return f"{query[:at + 1]} {values_list(var, terms)} {query[at + 1:]}"


def inject_numbered_values(query: str, var: str, terms: Iterable[object]) -> str:
    """Bind one variable to several terms, each numbered in ?k (0, 1 …), by a VALUES block placed first: a
    GROUP_CONCAT(?k) then returns short numbers, and no term is decoded."""
    if not _NAME.match(var):
        raise ValueError(f"invalid variable name: {var!r}")
    at = top_group_start(query)
    rows = " ".join(f'({t} "{k}")' for k, t in enumerate(terms))
    return f"{query[:at + 1]} VALUES (?{var} ?k) {{ {rows} }} {query[at + 1:]}"


def with_deadline_check(query: str) -> str | None:
    """The query with an always-true FILTER calling the deadline function in its WHERE group (None if none).

    The engine evaluates the filter while it joins, so a query past its time limit stops where it is instead
    of running on in a worker thread; the filter never changes the results.
    """
    tokens = tokenize(query)
    index = where_group(tokens)
    if index is None:
        return None
    end = matching_brace(tokens, index)
    if end is None:
        return None  # unbalanced: the engine will say where
    # Every group of the WHERE clause gets the check (a subquery's aggregate runs before its parent's
    # filter), except inline data blocks and the braces that only wrap a subquery.
    # A SERVICE group is evaluated by another engine, which does not know the function: it is left alone.
    groups, data_block, service, skip_to = [], False, False, -1
    for i in range(index, end):
        token = tokens[i]
        if i <= skip_to:
            continue
        if token.is_keyword("VALUES"):
            data_block = True
        elif token.is_keyword("SERVICE"):
            service = True
        elif token.text == "{":
            if service:
                skip_to = matching_brace(tokens, i) or end
            elif not data_block and not tokens[i + 1].is_keyword("SELECT"):
                groups.append(token.start)
            data_block = service = False
    pieces, last = [], 0
    for at in groups:
        pieces += [query[last:at + 1], f" FILTER(<{DEADLINE_FUNCTION}>()) "]
        last = at + 1
    pieces.append(query[last:])
    return "".join(pieces)


def with_using(update: str, dataset: DatasetSpec) -> str:
    """An update whose WHERE clauses read the protocol's dataset (using-graph-uri / using-named-graph-uri)."""
    tokens = tokenize(update)
    if any(t.depth == 0 and t.is_keyword("USING", "WITH") for t in tokens):
        raise QuerySyntaxError("using-graph-uri / using-named-graph-uri cannot be combined with USING or WITH "
                               "in the update itself (SPARQL 1.1 Protocol § 2.2.3)")
    clauses = " ".join([*(f"USING {ox.NamedNode(g)}" for g in dataset.default),
                        *(f"USING NAMED {ox.NamedNode(g)}" for g in dataset.named)])
    pieces, last = [], 0
    for i, token in enumerate(tokens):
        if token.depth == 0 and token.is_keyword("WHERE") and i > 0 and not tokens[i - 1].is_keyword("DELETE"):
            pieces += [update[last:token.start], clauses, " "]
            last = token.start
    pieces.append(update[last:])
    return "".join(pieces)


def called_services(text: str) -> list[str]:
    """The endpoints a query or update federates to (`SERVICE <iri>`); '?' for a variable endpoint."""
    tokens = tokenize(text)
    base, prefixes = prologue(tokens)
    found = []
    for i, token in enumerate(tokens):
        if not token.is_keyword("SERVICE") or (i > 0 and tokens[i - 1].text in ("?", "$")):
            continue
        j = i + 1
        if j < len(tokens) and tokens[j].is_keyword("SILENT"):
            j += 1
        if j < len(tokens):
            found.append(term_iri(tokens[j], base, prefixes) or "?")
    return found


def loaded_documents(text: str) -> list[str]:
    """The documents an update LOADs ('?' where the IRI cannot be read)."""
    tokens = tokenize(text)
    base, prefixes = prologue(tokens)
    found = []
    for i, token in enumerate(tokens):
        if token.depth == 0 and token.is_keyword("LOAD"):
            j = i + 2 if i + 1 < len(tokens) and tokens[i + 1].is_keyword("SILENT") else i + 1
            found.append((term_iri(tokens[j], base, prefixes) if j < len(tokens) else None) or "?")
    return found
