"""Answer records (as the journal holds them) to RDF: the triples of an answer and the update that puts a
batch of them into their copy graphs.

A record is self-contained (IRIs, not keys), so the journal replays into the store without the snapshot.
`answer_triples` is the reference (the shapes tests check its triples); `answer_text` writes the same triples
as N-Triples text without building a term object per triple, for the applier's hot path.
"""

from __future__ import annotations

import datetime as dt
import decimal

import pyoxigraph as ox

OS = "https://w3id.org/ontosides#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
PROV_ATTRIBUTED = ox.NamedNode("http://www.w3.org/ns/prov#wasAttributedTo")
XSD = "http://www.w3.org/2001/XMLSchema#"
JOURNAL = ox.NamedNode("urn:ontosides:answer-journal")
SYSTEM = ox.NamedNode("urn:ontosides:system")


def _p(local: str) -> ox.NamedNode:
    return ox.NamedNode(OS + local)


def _decimal(value: float) -> ox.Literal:
    text = format(decimal.Decimal(repr(float(value))).normalize(), "f")
    return ox.Literal(text if "." in text else text + ".0", datatype=ox.NamedNode(XSD + "decimal"))


def utc_text(moment: dt.datetime) -> str:
    """An aware datetime as xsd:dateTime text in UTC, to the millisecond."""
    return moment.astimezone(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _value_property(record: dict) -> str:
    # One scale value: a TCS answer's choice, or an ECOS examiner's global rating of the station.
    return "globalRating" if record.get("ty") == "ECOS" else "selectedOption"


def answer_triples(record: dict) -> list[ox.Triple]:
    """The triples of one answer record."""
    a = ox.NamedNode(record["a"])
    out = [ox.Triple(a, RDF_TYPE, _p("Answer")),
           ox.Triple(a, _p("epreuve"), ox.NamedNode(record["e"])),
           ox.Triple(a, _p("student"), ox.NamedNode(record["s"])),
           ox.Triple(a, _p("question"), ox.NamedNode(record["q"])),
           ox.Triple(a, _p("sequence"), ox.Literal(str(record["n"]), datatype=ox.NamedNode(XSD + "integer"))),
           ox.Triple(a, _p("answeredAt"), ox.Literal(record["t"], datatype=ox.NamedNode(XSD + "dateTime"))),
           ox.Triple(a, _p("marker"), ox.Literal("true" if record.get("m") else "false",
                                                 datatype=ox.NamedNode(XSD + "boolean")))]
    for option in record.get("o", ()):
        out.append(ox.Triple(a, _p("selectedOption"), ox.NamedNode(option)))
    if record.get("v") is not None:
        out.append(ox.Triple(a, _p(_value_property(record)), ox.NamedNode(record["v"])))
    if record.get("x") is not None:
        out.append(ox.Triple(a, _p("textAnswer"), ox.Literal(record["x"])))
    if record.get("num") is not None:
        out.append(ox.Triple(a, _p("numericAnswer"), _decimal(record["num"])))
    if record.get("u") is not None:
        out.append(ox.Triple(a, _p("unit"), ox.Literal(record["u"])))
    if record.get("zx") is not None:
        out.append(ox.Triple(a, _p("zoneX"), _decimal(record["zx"])))
        out.append(ox.Triple(a, _p("zoneY"), _decimal(record["zy"])))
    for n, (left, right) in enumerate(record.get("p", ()), 1):
        pair = ox.NamedNode(f"{record['a']}/pair/{n}")
        out += [ox.Triple(a, _p("pairAnswer"), pair), ox.Triple(pair, RDF_TYPE, _p("PairAnswer")),
                ox.Triple(pair, _p("pairLeft"), ox.Literal(left)), ox.Triple(pair, _p("pairRight"), ox.Literal(right))]
    for check in record.get("c", ()):
        out.append(ox.Triple(a, _p("checkedItem"), ox.NamedNode(check)))
    if record.get("np"):
        out.append(ox.Triple(a, _p("notepad"), ox.Literal(record["np"])))
    if record.get("by"):
        out.append(ox.Triple(a, PROV_ATTRIBUTED, ox.NamedNode(record["by"])))
    return out


# The constant pieces of `answer_text`, as pyoxigraph writes them.
_P = {local: str(_p(local)) for local in ("epreuve", "student", "question", "sequence", "answeredAt", "marker",
                                          "selectedOption", "textAnswer", "numericAnswer", "unit", "zoneX", "zoneY",
                                          "pairAnswer", "pairLeft", "pairRight", "checkedItem", "globalRating",
                                          "notepad")}
_IS_ANSWER = f"{RDF_TYPE} {_p('Answer')} ."
_IS_PAIR = f"{RDF_TYPE} {_p('PairAnswer')} ."
_INTEGER = f"^^{ox.NamedNode(XSD + 'integer')}"
_DATETIME = ox.NamedNode(XSD + "dateTime")
_MARKER = {True: f"{_P['marker']} {ox.Literal('true', datatype=ox.NamedNode(XSD + 'boolean'))} .",
           False: f"{_P['marker']} {ox.Literal('false', datatype=ox.NamedNode(XSD + 'boolean'))} ."}
_ATTRIBUTED = str(PROV_ATTRIBUTED)
_iri_cache: dict[str, str] = {}


def _iri(value: str) -> str:
    """An IRI as N-Triples writes it (checked by pyoxigraph; the épreuve's IRIs are cached)."""
    found = _iri_cache.get(value)
    if found is None:
        found = str(ox.NamedNode(value))
        if len(_iri_cache) < 100_000:
            _iri_cache[value] = found
    return found


def answer_text(record: dict) -> str:
    """The triples of `answer_triples(record)` as N-Triples statements on one line (same terms, same text)."""
    a = str(ox.NamedNode(record["a"]))
    seq = record["n"]
    if not isinstance(seq, int) or isinstance(seq, bool):
        raise ValueError(f"sequence number {seq!r} is not an integer")
    parts = [f"{a} {_IS_ANSWER}", f"{a} {_P['epreuve']} {_iri(record['e'])} .",
             f"{a} {_P['student']} {_iri(record['s'])} .", f"{a} {_P['question']} {_iri(record['q'])} .",
             f'{a} {_P["sequence"]} "{seq}"{_INTEGER} .',
             f"{a} {_P['answeredAt']} {ox.Literal(record['t'], datatype=_DATETIME)} .",
             f"{a} {_MARKER[bool(record.get('m'))]}"]
    for option in record.get("o", ()):
        parts.append(f"{a} {_P['selectedOption']} {_iri(option)} .")
    if record.get("v") is not None:
        parts.append(f"{a} {_P[_value_property(record)]} {_iri(record['v'])} .")
    if record.get("x") is not None:
        parts.append(f"{a} {_P['textAnswer']} {ox.Literal(record['x'])} .")
    if record.get("num") is not None:
        parts.append(f"{a} {_P['numericAnswer']} {_decimal(record['num'])} .")
    if record.get("u") is not None:
        parts.append(f"{a} {_P['unit']} {ox.Literal(record['u'])} .")
    if record.get("zx") is not None:
        parts.append(f"{a} {_P['zoneX']} {_decimal(record['zx'])} .")
        parts.append(f"{a} {_P['zoneY']} {_decimal(record['zy'])} .")
    for n, (left, right) in enumerate(record.get("p", ()), 1):
        pair = str(ox.NamedNode(f"{record['a']}/pair/{n}"))
        parts += [f"{a} {_P['pairAnswer']} {pair} .", f"{pair} {_IS_PAIR}",
                  f"{pair} {_P['pairLeft']} {ox.Literal(left)} .", f"{pair} {_P['pairRight']} {ox.Literal(right)} ."]
    for check in record.get("c", ()):
        parts.append(f"{a} {_P['checkedItem']} {_iri(check)} .")
    if record.get("np"):
        parts.append(f"{a} {_P['notepad']} {ox.Literal(record['np'])} .")
    if record.get("by"):
        parts.append(f"{a} {_ATTRIBUTED} {_iri(record['by'])} .")
    return " ".join(parts)


def batch_update(records: list[dict], position: str) -> str:
    """One SPARQL update putting the latest record of each answer into its copy graph (what was there before
    replaced) and recording how far the journal has been applied.

    Three operations whatever the batch's size — the old triples of every answer (and of its pairs) removed
    through one VALUES list, the new ones inserted as data — and the position, in one transaction."""
    latest: dict[str, dict] = {}
    for record in records:
        known = latest.get(record["a"])
        if known is None or record["n"] >= known["n"]:
            latest[record["a"]] = record
    keys, paired, body = [], [], []
    for record in latest.values():
        graph = _iri(record["g"])
        key = f"({graph} {ox.NamedNode(record['a'])})"
        keys.append(key)
        if record.get("ty") == "ASSOCIATION":
            paired.append(key)
        body.append(f"GRAPH {graph} {{ {answer_text(record)} }}")
    ops = []
    if paired:
        ops.append(f"DELETE {{ GRAPH ?g {{ ?pair ?pp ?po }} }} WHERE {{ VALUES (?g ?a) {{ {' '.join(paired)} }} "
                   f"GRAPH ?g {{ ?a {_P['pairAnswer']} ?pair . ?pair ?pp ?po }} }}")
    if keys:
        ops.append(f"DELETE {{ GRAPH ?g {{ ?a ?p ?o }} }} WHERE {{ VALUES (?g ?a) {{ {' '.join(keys)} }} "
                   "GRAPH ?g { ?a ?p ?o } }")
        ops.append("INSERT DATA {\n" + "\n".join(body) + "\n}")
    ops.append(f"DELETE WHERE {{ GRAPH {SYSTEM} {{ {JOURNAL} {_p('appliedTo')} ?old }} }}")
    ops.append(f"INSERT DATA {{ GRAPH {SYSTEM} {{ {JOURNAL} {_p('appliedTo')} {ox.Literal(position)} }} }}")
    return " ;\n".join(ops)
