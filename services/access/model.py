"""Who is calling and what they hold: principals, functions held on organisations, and the rules on them.

Pure data and rules (no RDF): the policy and the tests use them directly.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

OS = "https://w3id.org/ontosides#"


def fn(name: str) -> str:
    """The IRI of a function (org:Role) of the ontology."""
    return OS + name


PERSONNEL, ETUDIANT, ENSEIGNANT, ENSEIGNANT_JUNIOR = fn("Personnel"), fn("Etudiant"), fn("Enseignant"), fn("EnseignantJunior")
RTS, MEMBRE, GESTIONNAIRE, RESPONSABLE_SCOLARITE = fn("RTS"), fn("Membre"), fn("GestionnaireEpreuves"), fn("ResponsableScolarite")
SCOLARITE, INGENIEUR, DIRECTEUR_ETUDES, DOYEN = fn("Scolarite"), fn("IngenieurPedagogique"), fn("DirecteurEtudes"), fn("Doyen")
DIRECTEUR, PRESIDENT, LIST_ADMIN, CORRECTEUR = fn("Directeur"), fn("President"), fn("AdministrateurListes"), fn("Correcteur")
SUPERVISEUR, CHERCHEUR, DPO = fn("Superviseur"), fn("Chercheur"), fn("DelegueProtectionDonnees")

FUNCTIONS = (PERSONNEL, ETUDIANT, ENSEIGNANT, ENSEIGNANT_JUNIOR, RTS, MEMBRE, GESTIONNAIRE, RESPONSABLE_SCOLARITE,
             SCOLARITE, INGENIEUR, DIRECTEUR_ETUDES, DOYEN, DIRECTEUR, PRESIDENT, LIST_ADMIN, CORRECTEUR,
             SUPERVISEUR, CHERCHEUR, DPO)

# Who may write items in the STUDIO (the seed: teachers, junior teachers, exam managers, learning engineers).
AUTHORING = frozenset({ENSEIGNANT, ENSEIGNANT_JUNIOR, GESTIONNAIRE, INGENIEUR, DIRECTEUR_ETUDES, DOYEN})
# Who manages people, groups, training offers and registrations of an organisation (the cockpit).
SCHOOL_OFFICE = frozenset({RESPONSABLE_SCOLARITE, SCOLARITE})
# Who follows students' results (dashboards of students in difficulty).
FOLLOW_UP = frozenset({DIRECTEUR_ETUDES, SCOLARITE, RESPONSABLE_SCOLARITE, DOYEN})
HEADS = frozenset({DOYEN, DIRECTEUR, PRESIDENT})
# Who plans the exams of an organisation (PLANIFICATEUR), and who reads them (graders and supervisors too).
PLANNING = SCHOOL_OFFICE | HEADS | frozenset({GESTIONNAIRE})
EXAM_STAFF = PLANNING | frozenset({CORRECTEUR, SUPERVISEUR})
# Who grades an organisation's épreuves (NOTATION), publishes their grades, releases their items to the annals.
GRADING = frozenset({CORRECTEUR, GESTIONNAIRE}) | SCHOOL_OFFICE | HEADS
PUBLISHING = frozenset({RESPONSABLE_SCOLARITE}) | HEADS
ANNALS = frozenset({GESTIONNAIRE, RESPONSABLE_SCOLARITE}) | HEADS

# Who may grant a function: "nobody grants what they do not hold the right to grant". A granter holds one of
# these functions on the target organisation or one above it. The platform administrator grants anything.
GRANTED_BY: dict[str, frozenset[str]] = {
    **{f: frozenset({RESPONSABLE_SCOLARITE, *HEADS}) for f in (
        PERSONNEL, ETUDIANT, ENSEIGNANT, ENSEIGNANT_JUNIOR, RTS, MEMBRE, GESTIONNAIRE, SCOLARITE, INGENIEUR,
        CORRECTEUR, SUPERVISEUR, LIST_ADMIN)},
    RESPONSABLE_SCOLARITE: HEADS,
    DIRECTEUR_ETUDES: HEADS,
    DOYEN: frozenset({PRESIDENT}),
    DIRECTEUR: frozenset({PRESIDENT}),
    PRESIDENT: frozenset(),
    CHERCHEUR: frozenset(),  # research access follows an ethics committee's decision: the administrator's
    DPO: frozenset(),
}


@dataclass(frozen=True)
class Holding:
    """A function held on an organisation, between two dates (open ends allowed)."""

    function: str
    organisation: str
    assignment: str = ""
    start: dt.date | None = None
    end: dt.date | None = None

    def active(self, today: dt.date) -> bool:
        """Whether the function is held on that day."""
        return (self.start is None or self.start <= today) and (self.end is None or today <= self.end)


@dataclass(frozen=True)
class Principal:
    """Who is calling: a person (or nobody), whether they administer the platform, and what they hold today."""

    person: str | None = None
    is_admin: bool = False
    holdings: tuple[Holding, ...] = ()
    via: str = "anonymous"   # how they proved it: anonymous, token, dev-token, oidc, session
    research_projects: tuple[str, ...] = ()

    @property
    def id(self) -> str | None:
        """The person IRI (the name the routes used before accounts)."""
        return self.person

    @property
    def is_anonymous(self) -> bool:
        """No credentials were given."""
        return self.person is None and not self.is_admin

    def functions(self) -> frozenset[str]:
        """The functions held, on any organisation."""
        return frozenset(h.function for h in self.holdings)

    def holds(self, functions: frozenset[str] | set[str]) -> bool:
        """Whether any of these functions is held somewhere."""
        return bool(self.functions() & set(functions))

    def organisations(self, functions: frozenset[str] | set[str] | None = None) -> frozenset[str]:
        """The organisations on which (some of) the functions are held."""
        return frozenset(h.organisation for h in self.holdings if functions is None or h.function in functions)


ANONYMOUS = Principal()


@dataclass
class OrgTree:
    """Organisations and their parents (a UFR's university; deeper units allowed)."""

    parent: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)

    def ancestors(self, organisation: str) -> list[str]:
        """The organisation and every unit above it, nearest first."""
        chain, seen = [organisation], {organisation}
        while chain[-1] in self.parent and self.parent[chain[-1]] not in seen:
            chain.append(self.parent[chain[-1]])
            seen.add(chain[-1])
        return chain

    def subtree(self, organisations) -> frozenset[str]:
        """The organisations and every unit below them."""
        top = set(organisations)
        return frozenset(o for o in {*self.parent, *self.labels, *top} if top & set(self.ancestors(o)))

    def covers(self, held_on: str, target: str) -> bool:
        """Whether a function held on one organisation covers another (itself or a unit below it)."""
        return held_on in self.ancestors(target)


def may_grant(principal: Principal, function: str, organisation: str, tree: OrgTree) -> bool:
    """Whether the principal may assign (or remove) a function on an organisation."""
    if principal.is_admin:
        return True
    granters = GRANTED_BY.get(function, frozenset())
    return any(h.function in granters and tree.covers(h.organisation, organisation) for h in principal.holdings)
