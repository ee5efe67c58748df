"""People: accounts with a platform-unique id, an EPPN per university, several e-mails (one primary).

Two universities may issue the same EPPN: an account is found by (EPPN, university), never by EPPN alone, so
two people are never merged. Accounts are provisioned by first login (a verified identity) or by a manager.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD

from services.access import Access
from services.access.audit import AuditEvent
from services.access.model import SCHOOL_OFFICE, HEADS, Principal
from services.cockpit.model import Account, CockpitError, Conflict, Forbidden, NotFound, Person, normal_email
from services.cockpit.rdf import attributions, person_graph, read_person
from services.platform import Platform
from store.terms import OS, to_rdflib_graph
from store.writes import GraphChange

CODE_HOURS = 24
MANAGERS = SCHOOL_OFFICE | HEADS


@dataclass(frozen=True)
class Identity:
    """A verified identity from a university's SSO: who the university says the caller is."""

    eppn: str
    university: str
    family_name: str
    given_name: str | None = None
    email: str | None = None
    email_verified: bool = False


def new_unique_id() -> str:
    """A platform-unique id: UN- and ten characters of Crockford base32 (no EPPN in it)."""
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    return "UN-" + "".join(secrets.choice(alphabet) for _ in range(10))


class People:
    """Accounts of one platform."""

    def __init__(self, platform: Platform, access: Access):
        self.platform = platform
        self.access = access
        self.queries = platform.queries_for("cockpit")
        self.verifications = platform.iri("graph", "auth", "email-verifications")

    # --- naming ------------------------------------------------------------------
    def iri(self, key: str) -> str:
        """A person's IRI from their key."""
        return self.platform.iri("person", key)

    def graph(self, iri: str) -> str:
        """The graph of a person."""
        return self.platform.iri("graph", "person", iri.rstrip("/").rsplit("/", 1)[-1])

    def _rows(self, name: str, **params) -> list:
        query = self.queries.get(name)
        return self.platform.store.select(query.text, query.bind(params)).rows

    # --- reading -------------------------------------------------------------------
    def get(self, key_or_iri: str) -> Person:
        """A person by key or IRI; NotFound when absent."""
        iri = key_or_iri if ":" in key_or_iri else self.iri(key_or_iri)
        rows = self._rows("person_graph", person=iri)
        if not rows:
            raise NotFound(f"no person {key_or_iri}")
        graph = rows[0]["g"]
        return read_person(to_rdflib_graph(self.platform.store.graph_triples(graph)), iri)

    def _stored(self, person: Person) -> tuple[str, Graph]:
        rows = self._rows("person_graph", person=person.iri)
        graph = rows[0]["g"].value if rows else self.graph(person.iri)
        return graph, to_rdflib_graph(self.platform.store.graph_triples(ox.NamedNode(graph)))

    def by_eppn(self, eppn: str, university: str) -> Person | None:
        """The person holding an EPPN at a university (an EPPN alone names nobody)."""
        rows = self._rows("account_by_eppn", eppn=eppn.strip().lower(), university=university)
        return self.get(rows[0]["person"].value) if rows else None

    def university_of_scope(self, scope: str) -> str | None:
        """The university issuing EPPNs of a scope (None when no university of the platform does)."""
        rows = self._rows("university_by_scope", scope=scope.lower())
        return rows[0]["university"].value if rows else None

    def by_email(self, address: str) -> list[str]:
        """The people (IRIs) who hold a verified e-mail address."""
        return [r["person"].value for r in self._rows("people_by_email", email=normal_email(address))]

    def visible(self, principal: Principal, person: Person) -> bool:
        """One's own account; the school office of an organisation where the person holds a function or an
        account; the administrator."""
        if principal.is_admin or principal.person == person.iri:
            return True
        places = {h.organisation for h in person.holdings} | {a.university for a in person.accounts}
        return any(self.access.policy.covers(principal, MANAGERS, org) for org in places)

    def read(self, principal: Principal, key_or_iri: str) -> Person:
        """A person the caller may see (NotFound otherwise: existence is not theirs to learn)."""
        person = self.get(key_or_iri)
        if not self.visible(principal, person):
            raise NotFound(f"no person {key_or_iri}")
        if principal.person != person.iri:
            self.access.audit.record(AuditEvent("read", "cockpit:person", principal.person, person.iri))
        return person

    def search(self, principal: Principal, text: str | None = None, organisation: str | None = None,
               function: str | None = None, limit: int = 50, offset: int = 0) -> dict:
        """People of the organisations the caller manages, filtered by words, organisation and function."""
        if principal.is_admin:
            scope = None
        else:
            scope = self.access.policy.organisations(principal, MANAGERS)
            if not scope:
                raise Forbidden("searching people needs a school-office function (Scolarité, Responsable "
                                "scolarité) or a head's on an organisation")
        if organisation:
            tree = self.access.directory.tree()
            if organisation not in tree.kinds:
                raise NotFound(f"no organisation {organisation}")
            wanted = tree.subtree({organisation})
            scope = wanted if scope is None else scope & wanted
        query = self.queries.get("people_index").text
        rows = self.platform.store.select(query).rows if scope is None else self.access.directory.rows_for(
            "people_index", "organisation", scope, self.queries)
        found: dict[str, dict] = {}
        for row in rows:
            iri = row["person"].value
            entry = found.setdefault(iri, {"iri": iri, "id": iri.rsplit("/", 1)[-1],
                                           "unique_id": row["uniqueId"].value,
                                           "family_name": row["familyName"].value,
                                           "given_name": row["givenName"].value if "givenName" in row else None,
                                           "emails": set(), "eppns": set(), "functions": set()})
            if "email" in row:
                entry["emails"].add(row["email"].value)
            if "eppn" in row:
                entry["eppns"].add(row["eppn"].value)
            if "function" in row and "organisation" in row:
                entry["functions"].add((row["function"].value.rsplit("#", 1)[-1], row["organisation"].value))
        words = [w for w in (text or "").casefold().split() if w]
        results = []
        for entry in found.values():
            haystack = " ".join([entry["family_name"], entry["given_name"] or "", entry["unique_id"],
                                 *entry["emails"], *entry["eppns"]]).casefold()
            if any(w not in haystack for w in words):
                continue
            if function and not any(f == function.rsplit("#", 1)[-1] for f, _ in entry["functions"]):
                continue
            results.append({**entry, "emails": sorted(entry["emails"]), "eppns": sorted(entry["eppns"]),
                            "functions": [{"function": f, "organisation": o} for f, o in sorted(entry["functions"])]})
        results.sort(key=lambda e: (e["family_name"].casefold(), (e["given_name"] or "").casefold()))
        return {"total": len(results), "people": results[offset:offset + limit]}

    # --- writing --------------------------------------------------------------------
    def write(self, person: Person, extra: list[GraphChange] | None = None,
              granted: dict[str, str] | None = None) -> None:
        """Replace a person's graph (keeping who granted each function) with other changes, in one transaction."""
        graph, stored = self._stored(person)
        change = GraphChange(graph, person_graph(person, {**attributions(stored), **(granted or {})}), replace=True)
        self.platform.writer.apply([change, *(extra or [])])
        self.access.directory.forget()

    def new_person(self, family_name: str, given_name: str | None, email: str | None,
                   eppn: str | None, university: str | None, verified: bool = True) -> Person:
        """A person record not yet written, with a fresh platform-unique id."""
        if not family_name or not family_name.strip():
            raise CockpitError("family_name: a person needs a family name")
        unique_id = new_unique_id()
        key = unique_id.lower()
        person = Person(iri=self.iri(key), key=key, unique_id=unique_id, family_name=family_name.strip(),
                        given_name=(given_name or "").strip() or None)
        if email:
            address = normal_email(email)
            (person.emails if verified else person.pending_emails).append(address)
            if verified:
                person.primary_email = address
        if eppn:
            if not university:
                raise CockpitError("university: an EPPN is issued by a university")
            person.accounts.append(Account(f"{person.iri}/account/{uuid.uuid4().hex[:8]}", eppn.strip().lower(), university))
        return person

    def create(self, principal: Principal, family_name: str, given_name: str | None, email: str | None,
               eppn: str | None, university: str | None) -> Person:
        """A person created by a manager of the university, or by the administrator."""
        if university is None and not principal.is_admin:
            raise CockpitError("university: a person is created with their university account (EPPN)")
        if university and not self.access.policy.covers(principal, MANAGERS, university):
            raise Forbidden(f"you do not manage people of {university}")
        if eppn and university and self.by_eppn(eppn, university):
            raise Conflict(f"the EPPN {eppn} is already held by a person of that university")
        self._check_university(university)
        person = self.new_person(family_name, given_name, email, eppn, university)
        self.write(person)
        return person

    def _check_university(self, university: str | None) -> None:
        if university and self.access.directory.tree().kinds.get(university) != "University":
            raise NotFound(f"no university {university}")

    def provision(self, identity: Identity) -> Person:
        """The account of a verified identity, created at its first login."""
        existing = self.by_eppn(identity.eppn, identity.university)
        if existing is not None:
            return existing
        person = self.new_person(identity.family_name or identity.eppn.split("@")[0], identity.given_name,
                                 identity.email, identity.eppn, identity.university, verified=identity.email_verified)
        self.write(person)
        self.access.audit.record(AuditEvent("login", "account:provision", person.iri, identity.eppn,
                                            "account created at first login"))
        return person

    def ensure_administrator(self, token: str | None) -> str:
        """The platform administrator's account, and the configured administrator token registered for it."""
        iri = self.iri("admin")
        administrators = self.platform.iri("graph", "auth", "administrators")
        if not self.platform.store.has_graph(ox.NamedNode(administrators)):
            person = Person(iri=iri, key="admin", unique_id="UN-ADMIN", family_name="Administrateur",
                            given_name="Plateforme")
            flag = Graph()
            flag.add((URIRef(iri), OS.platformAdministrator, Literal(True)))
            self.write(person, [GraphChange(administrators, flag, replace=True)])
        if token:
            self.access.tokens.ensure(token, iri, "configured administrator token")
        return iri

    def rename(self, person: Person, family_name: str | None, given_name: str | None) -> Person:
        """Change a person's names."""
        if family_name is not None:
            if not family_name.strip():
                raise CockpitError("family_name: a person needs a family name")
            person.family_name = family_name.strip()
        if given_name is not None:
            person.given_name = given_name.strip() or None
        self.write(person)
        return person

    # --- e-mails ----------------------------------------------------------------------
    def add_email(self, person: Person, address: str) -> None:
        """Add an address to verify: a code is mailed to it; until then it matches nothing."""
        address = normal_email(address)
        if address in person.emails or address in person.pending_emails:
            raise Conflict(f"{address} is already one of your addresses")
        code = f"{secrets.randbelow(10**8):08d}"
        person.pending_emails.append(address)
        record = Graph()
        node = URIRef(self.platform.iri("verification", uuid.uuid4().hex))
        record.add((node, RDF.type, OS.EmailVerification))
        record.add((node, OS.codeHash, Literal(hashlib.sha256(code.encode()).hexdigest())))
        record.add((node, OS.forPerson, URIRef(person.iri)))
        record.add((node, OS.address, Literal(address)))
        expires = dt.datetime.now(dt.timezone.utc).replace(microsecond=0) + dt.timedelta(hours=CODE_HOURS)
        record.add((node, OS.expires, Literal(expires.isoformat().replace("+00:00", "Z"), datatype=XSD.dateTime)))
        self.write(person, [GraphChange(self.verifications, record)])
        self.mail(address, "Vérification de votre adresse / Verify your address",
                  f"Bonjour {person.display()},\n\nVotre code de vérification OntoSIDES : {code}\n"
                  f"(valable {CODE_HOURS} h). Your OntoSIDES verification code: {code}.\n")

    def verify_email(self, person: Person, address: str, code: str) -> Person:
        """Prove an address with the code mailed to it: it becomes verified (primary if none was)."""
        address = normal_email(address)
        if address not in person.pending_emails:
            raise NotFound(f"{address} is not waiting for verification")
        rows = self._rows("email_verification", graph=self.verifications, person=person.iri, address=address,
                          hash=hashlib.sha256(code.strip().encode()).hexdigest())
        now = dt.datetime.now(dt.timezone.utc)
        valid = [r for r in rows if dt.datetime.fromisoformat(r["expires"].value.replace("Z", "+00:00")) > now]
        if not valid:
            raise CockpitError("code: wrong or expired verification code")
        person.pending_emails.remove(address)
        person.emails = sorted({*person.emails, address})
        person.primary_email = person.primary_email or address
        cleared = GraphChange(self.verifications, Graph(), drop_subjects=[r["v"].value for r in rows])
        self.write(person, [cleared])
        return person

    def set_primary(self, person: Person, address: str) -> Person:
        """Make a verified address the primary one."""
        address = normal_email(address)
        if address not in person.emails:
            raise CockpitError(f"{address}: only a verified address can be primary")
        person.primary_email = address
        self.write(person)
        return person

    def remove_email(self, person: Person, address: str) -> Person:
        """Remove an address (not the primary one while others remain)."""
        address = normal_email(address)
        if address in person.pending_emails:
            person.pending_emails.remove(address)
        elif address in person.emails:
            if address == person.primary_email and len(person.emails) > 1:
                raise CockpitError(f"{address} is your primary address: choose another primary first")
            person.emails.remove(address)
            if person.primary_email == address:
                person.primary_email = None
        else:
            raise NotFound(f"{address} is not one of your addresses")
        self.write(person)
        return person

    def mail(self, to: str, subject: str, body: str) -> Path:
        """Put a message in the outbox folder (the platform's mail transport picks it up there)."""
        folder = Path(self.platform.settings.outbox_dir)
        folder.mkdir(parents=True, exist_ok=True)
        message = EmailMessage()
        message["To"], message["From"], message["Subject"] = to, self.platform.settings.mail_from, subject
        message.set_content(body)
        path = folder / f"{dt.datetime.now(dt.timezone.utc):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}.eml"
        path.write_bytes(bytes(message))
        return path
