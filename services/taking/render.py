"""Answer records (as the journal holds them) to RDF: the triples of an answer and the update that puts a
batch of them into their copy graphs.

A record is self-contained (IRIs, not keys), so the journal replays into the store without the snapshot.
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
        out.append(ox.Triple(a, _p("selectedOption"), ox.NamedNode(record["v"])))
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


def batch_update(records: list[dict], position: str) -> str:
    """One SPARQL update putting the latest record of each answer into its copy graph (what was there before
    replaced) and recording how far the journal has been applied."""
    latest: dict[str, dict] = {}
    for record in records:
        known = latest.get(record["a"])
        if known is None or record["n"] >= known["n"]:
            latest[record["a"]] = record
    ops = []
    for record in latest.values():
        graph, answer = ox.NamedNode(record["g"]), ox.NamedNode(record["a"])
        if record.get("ty") == "ASSOCIATION":
            ops.append(f"DELETE {{ GRAPH {graph} {{ ?pair ?pp ?po }} }} WHERE {{ GRAPH {graph} {{ "
                       f"{answer} {_p('pairAnswer')} ?pair . ?pair ?pp ?po }} }}")
        ops.append(f"DELETE WHERE {{ GRAPH {graph} {{ {answer} ?p ?o }} }}")
        body = " ".join(f"{t} ." for t in answer_triples(record))
        ops.append(f"INSERT DATA {{ GRAPH {graph} {{ {body} }} }}")
    ops.append(f"DELETE WHERE {{ GRAPH {SYSTEM} {{ {JOURNAL} {_p('appliedTo')} ?old }} }}")
    ops.append(f"INSERT DATA {{ GRAPH {SYSTEM} {{ {JOURNAL} {_p('appliedTo')} {ox.Literal(position)} }} }}")
    return " ;\n".join(ops)
