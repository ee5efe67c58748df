"""UNESS cockpit: one's account, people and their functions, the training offer, groups, student imports."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from api.security import (
    AccountSelf, AuditRead, CockpitGrant, CockpitManage, GroupsAdminister, Principal, Public, StoreWrite,
)
from importers.students_csv import template
from services.access import Access
from services.cockpit import Cockpit
from services.cockpit.model import NotFound

router = APIRouter(prefix="/cockpit", tags=["Cockpit"])


def get_cockpit(request: Request) -> Cockpit:
    """The cockpit of the app."""
    return request.app.state.cockpit


def get_access(request: Request) -> Access:
    """The access services of the app."""
    return request.app.state.access


CockpitDep = Annotated[Cockpit, Depends(get_cockpit)]
AccessDep = Annotated[Access, Depends(get_access)]


def run(function, *args, **kwargs):
    """A cockpit call off the event loop; its errors are answered by the app's error table."""
    return run_in_threadpool(function, *args, **kwargs)


def person_json(cockpit: Cockpit, person) -> dict:
    """A person with the labels of their organisations."""
    labels = cockpit.people.access.directory.tree().labels
    return person.as_dict(labels)


class Names(BaseModel):
    """New names (either may be left out)."""

    family_name: str | None = None
    given_name: str | None = None


class Address(BaseModel):
    """An e-mail address."""

    address: str = Field(description="an e-mail address")


class Verification(Address):
    """The code mailed to an address."""

    code: str = Field(description="the code received by e-mail")


class NewToken(BaseModel):
    """A token for scripts."""

    label: str = Field("script", max_length=200)
    days: int = Field(90, ge=1, le=3650)


class NewPerson(BaseModel):
    """A person created by a manager."""

    family_name: str
    given_name: str | None = None
    email: str | None = None
    eppn: str | None = None
    university: str | None = Field(None, description="the university that issued the EPPN")


class NewFunction(BaseModel):
    """A function to hold on an organisation."""

    function: str = Field(description="a function name (Enseignant, GestionnaireEpreuves …) or IRI")
    organisation: str
    start: dt.date | None = None
    end: dt.date | None = None


class NewOffer(BaseModel):
    """A training offer."""

    component: str = Field(description="the organisation giving it (a UFR)")
    diploma: str = Field(description="an entry of the Formations list")
    study_year: str = Field(description="an entry of the Années d'étude list")
    period: str = Field(description="YYYY-YYYY, e.g. 2025-2026")
    mention: str | None = None


class Members(BaseModel):
    """People to add and to remove."""

    add: list[str] = Field(default_factory=list)
    remove: list[str] = Field(default_factory=list)


class NewGroup(BaseModel):
    """An ad-hoc group."""

    name: str
    institutions: list[str]
    members: list[str] = Field(default_factory=list)
    administrators: list[str] = Field(default_factory=list)


class GroupChange(BaseModel):
    """Changes to an ad-hoc group."""

    name: str | None = None
    add_members: list[str] = Field(default_factory=list)
    remove_members: list[str] = Field(default_factory=list)
    add_administrators: list[str] = Field(default_factory=list)
    remove_administrators: list[str] = Field(default_factory=list)
    institutions: list[str] | None = None


def _me(cockpit: Cockpit, principal: Principal):
    if principal.person is None:
        raise NotFound("this caller has no account")
    return cockpit.people.get(principal.person)


# --- one's own account ---------------------------------------------------------------
@router.get("/me", summary="My account: names, e-mails, university accounts, functions")
async def me(cockpit: CockpitDep, principal: AccountSelf):
    """The caller's account, as the platform knows it."""
    person = await run(_me, cockpit, principal)
    return {**person_json(cockpit, person), "administrator": principal.is_admin, "authenticated_by": principal.via}


@router.patch("/me", summary="Change my names")
async def rename_me(body: Names, cockpit: CockpitDep, principal: AccountSelf):
    """New family or given name."""
    person = await run(_me, cockpit, principal)
    return person_json(cockpit, await run(cockpit.people.rename, person, body.family_name, body.given_name))


@router.post("/me/emails", status_code=202, summary="Add an e-mail address (a code is mailed to it)")
async def add_email(body: Address, cockpit: CockpitDep, principal: AccountSelf):
    """The address waits for verification: until then it matches no legacy item."""
    person = await run(_me, cockpit, principal)
    await run(cockpit.people.add_email, person, body.address)
    return {"detail": f"a verification code was sent to {body.address.strip().lower()}"}


@router.post("/me/emails/verify", summary="Verify an address with the code it received")
async def verify_email(body: Verification, cockpit: CockpitDep, principal: AccountSelf):
    """The address becomes verified (and primary if none was)."""
    person = await run(_me, cockpit, principal)
    return person_json(cockpit, await run(cockpit.people.verify_email, person, body.address, body.code))


@router.put("/me/emails/primary", summary="Choose my primary address")
async def primary_email(body: Address, cockpit: CockpitDep, principal: AccountSelf):
    """One of the verified addresses."""
    person = await run(_me, cockpit, principal)
    return person_json(cockpit, await run(cockpit.people.set_primary, person, body.address))


@router.delete("/me/emails", summary="Remove one of my addresses")
async def remove_email(cockpit: CockpitDep, principal: AccountSelf, address: Annotated[str, Query()]):
    """Not the primary one while others remain."""
    person = await run(_me, cockpit, principal)
    return person_json(cockpit, await run(cockpit.people.remove_email, person, address))


@router.get("/me/tokens", summary="My platform tokens (never their secret)")
async def my_tokens(access: AccessDep, principal: AccountSelf):
    """Tokens issued to the caller, newest first."""
    return await run(access.tokens.of, principal.person)


@router.post("/me/tokens", status_code=201, summary="A new platform token for my scripts (shown once)")
async def new_token(body: NewToken, access: AccessDep, principal: AccountSelf):
    """The token is stored hashed: copy it now, it is never shown again."""
    token, iri = await run(access.tokens.issue, principal.person, body.label, body.days, principal.person)
    return {"token": token, "id": iri.rsplit("/", 1)[-1], "iri": iri, "days": body.days}


@router.delete("/me/tokens/{token_id}", status_code=204, summary="Revoke one of my tokens")
async def revoke_token(token_id: str, access: AccessDep, principal: AccountSelf):
    """From now on the token proves nothing."""
    mine = {t["id"]: t for t in await run(access.tokens.of, principal.person)}
    if token_id not in mine:
        raise NotFound(f"you have no token {token_id}")
    await run(access.tokens.revoke, mine[token_id]["iri"])
    return Response(status_code=204)


@router.get("/me/groups", summary="The groups I belong to or administer")
async def my_groups(cockpit: CockpitDep, principal: AccountSelf):
    """Group, name, and whether one is a member or an administrator."""
    query = cockpit.people.queries.get("groups_of_person")
    rows = await run(cockpit.people.platform.store.select, query.text, query.bind({"person": principal.person}))
    return [{"group": r["group"].value, "name": r["name"].value, "role": r["role"].value} for r in rows]


# --- organisations and people -----------------------------------------------------------
@router.get("/organisations", summary="Universities and their faculties (UFR)")
async def organisations(access: AccessDep, _: Public):
    """Every organisation with its kind, label and parent."""
    tree = await run(access.directory.tree)
    return [{"iri": o, "kind": tree.kinds.get(o), "label": tree.labels.get(o), "parent": tree.parent.get(o)}
            for o in sorted(tree.kinds)]


@router.get("/accounts", summary="Search the people of the organisations I manage")
async def search_accounts(cockpit: CockpitDep, principal: CockpitManage,
                          q: Annotated[str | None, Query(description="words of a name, e-mail, EPPN or id")] = None,
                          organisation: str | None = None,
                          function: Annotated[str | None, Query(description="e.g. Etudiant")] = None,
                          limit: Annotated[int, Query(ge=1, le=500)] = 50, offset: Annotated[int, Query(ge=0)] = 0):
    """People holding a function or an account at the organisations the caller manages."""
    return await run(cockpit.people.search, principal, q, organisation, function, limit, offset)


@router.post("/accounts", status_code=201, summary="Create a person with their university account")
async def create_account(body: NewPerson, cockpit: CockpitDep, principal: CockpitManage):
    """A new person at a university the caller manages; an EPPN already held there is refused."""
    person = await run(cockpit.people.create, principal, body.family_name, body.given_name, body.email,
                       body.eppn, body.university)
    return person_json(cockpit, person)


@router.get("/accounts/{person_id}", summary="A person of an organisation I manage")
async def read_account(person_id: str, cockpit: CockpitDep, principal: CockpitManage):
    """Names, e-mails, accounts and functions (the read is logged)."""
    return person_json(cockpit, await run(cockpit.people.read, principal, person_id))


@router.post("/accounts/{person_id}/tokens", status_code=201, summary="Issue a token to someone (administrator)")
async def issue_token(person_id: str, body: NewToken, cockpit: CockpitDep, access: AccessDep, principal: StoreWrite):
    """A platform token for a person (for example a service account); shown once."""
    person = await run(cockpit.people.get, person_id)
    token, iri = await run(access.tokens.issue, person.iri, body.label, body.days, principal.person)
    return {"token": token, "id": iri.rsplit("/", 1)[-1], "iri": iri, "person": person.iri, "days": body.days}


# --- functions ----------------------------------------------------------------------------
@router.get("/functions", summary="Every function, who grants it, and where I may grant it")
async def functions_catalogue(cockpit: CockpitDep, principal: AccountSelf):
    """The catalogue of functions."""
    return await run(cockpit.functions.catalogue, principal)


@router.post("/accounts/{person_id}/functions", status_code=201, summary="Give a person a function")
async def assign_function(person_id: str, body: NewFunction, cockpit: CockpitDep, principal: CockpitGrant):
    """Refused (403, logged) unless the caller may grant this function on this organisation."""
    person = await run(cockpit.functions.assign, principal, person_id, body.function, body.organisation,
                       body.start, body.end)
    return person_json(cockpit, person)


@router.delete("/accounts/{person_id}/functions/{assignment_id}", summary="Take a function away")
async def remove_function(person_id: str, assignment_id: str, cockpit: CockpitDep, principal: CockpitGrant):
    """Refused (403, logged) unless the caller may grant that function there."""
    return person_json(cockpit, await run(cockpit.functions.remove, principal, person_id, assignment_id))


# --- training offer -----------------------------------------------------------------------
@router.get("/offers", summary="The training offer of the organisations I manage")
async def list_offers(cockpit: CockpitDep, principal: CockpitManage, organisation: str | None = None):
    """Offers with their cohort group and number of students."""
    return await run(cockpit.offers.listing, principal, organisation)


@router.post("/offers", status_code=201, summary="Add a training offer (its cohort group comes with it)")
async def create_offer(body: NewOffer, cockpit: CockpitDep, principal: CockpitManage):
    """Formation and year of study come from the component's lists; the period is YYYY-YYYY."""
    offer = await run(cockpit.offers.create, principal, body.component, body.diploma, body.study_year,
                      body.period, body.mention)
    return vars(offer)


@router.get("/offers/{offer_id}", summary="A training offer with its cohort")
async def read_offer(offer_id: str, cockpit: CockpitDep, principal: CockpitManage):
    """The offer and its members."""
    return vars(await run(cockpit.offers.read, principal, offer_id))


@router.post("/offers/{offer_id}/members", summary="Add or remove cohort members by hand")
async def offer_members(offer_id: str, body: Members, cockpit: CockpitDep, principal: CockpitManage):
    """People to add to and remove from the cohort group."""
    offer = await run(cockpit.offers.read, principal, offer_id)
    return vars(await run(cockpit.offers.set_members, principal, offer, body.add, body.remove))


@router.get("/students-template.csv", summary="The student import template (Nom;Prénom;Courriel;EPPN)")
async def students_template(_: Public):
    """UTF-8 with a BOM, semicolon-separated, one example line."""
    return Response(template(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="modele-import-etudiants.csv"'})


@router.post("/offers/{offer_id}/students", summary="Import a cohort's students (all or nothing)",
             openapi_extra={"requestBody": {"content": {"text/csv": {"schema": {"type": "string"}}}}})
async def import_students(offer_id: str, request: Request, cockpit: CockpitDep, principal: CockpitManage,
                          dry_run: bool = False):
    """Each bad line is reported with its number and reason, and then nothing is written; importing the same
    file again changes nothing; an EPPN already known at the university links to its account."""
    content = await request.body()
    report = await run(cockpit.offers.import_students, principal, offer_id, content, dry_run)
    body = report.as_dict()
    if report.errors:
        return JSONResponse({"detail": f"{len(report.errors)} line(s) refused; nothing was written", **body}, 422)
    return body


# --- groups ----------------------------------------------------------------------------------
@router.get("/groups", summary="The groups of the organisations I manage, and those I administer")
async def list_groups(cockpit: CockpitDep, principal: GroupsAdminister, organisation: str | None = None):
    """Groups with their kind, institutions and size."""
    return await run(cockpit.groups.listing, principal, organisation)


@router.post("/groups", status_code=201, summary="Create an ad-hoc group")
async def create_group(body: NewGroup, cockpit: CockpitDep, principal: CockpitManage):
    """A group attached to institutions the caller manages; the caller is one of its administrators."""
    return vars(await run(cockpit.groups.create, principal, body.name, body.institutions, body.members,
                          body.administrators))


@router.get("/groups/{group_id}", summary="A group with its members and administrators")
async def read_group(group_id: str, cockpit: CockpitDep, principal: GroupsAdminister):
    """Visible to its administrators, its members and the school office of its institutions."""
    group = await run(cockpit.groups.get, group_id)
    if not (cockpit.groups.manages(principal, group) or principal.person in group.members):
        raise NotFound(f"no group {group_id}")
    return vars(group)


@router.patch("/groups/{group_id}", summary="Change an ad-hoc group")
async def change_group(group_id: str, body: GroupChange, cockpit: CockpitDep, principal: GroupsAdminister):
    """Its name, members, administrators or institutions."""
    return vars(await run(cockpit.groups.change, principal, group_id, body.name, body.add_members,
                          body.remove_members, body.add_administrators, body.remove_administrators,
                          body.institutions))


# --- access log ------------------------------------------------------------------------------
@router.get("/audit", summary="The access log: refusals, grants, reads of personal data")
async def audit(access: AccessDep, _: AuditRead, since: dt.date | None = None,
                kind: Annotated[str | None, Query(description="refusal, grant, removal, token, login, read")] = None,
                limit: Annotated[int, Query(ge=1, le=5000)] = 500):
    """Newest first."""
    return await run(access.audit.read, since, kind, limit)
