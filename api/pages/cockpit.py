"""UNESS cockpit pages: « Mes informations », « Utilisateurs et fonctions », « Offre de formation »,
« Groupes des promotions » and « Groupes », over the cockpit services the API calls.

Forms are plain HTML posts answered by a redirect back with a message (htmx boosts them where the page asks
it); a refusal of the services (a function one may not grant, a bad line of an import) is shown in words.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, UploadFile
from starlette.concurrency import run_in_threadpool

from api.csrf import check_page_request
from api.pages.i18n import _
from api.pages.render import display_name, redirect, render
from api.security import AccountSelf, CockpitGrant, CockpitManage, GroupsAdminister, Principal
from services.access.model import HEADS, SCHOOL_OFFICE
from services.cockpit.model import CockpitError, NotFound

router = APIRouter(prefix="/ui", dependencies=[Depends(check_page_request)], include_in_schema=False)
MANAGERS = SCHOOL_OFFICE | HEADS
Text = Annotated[str, Form()]


def cockpit_of(request: Request):
    """The app's cockpit services."""
    return request.app.state.cockpit


def organisations(request: Request, principal: Principal, functions=MANAGERS) -> list[tuple[str, str]]:
    """The organisations (and their units) where the caller holds one of the functions, labelled and sorted."""
    tree = request.app.state.access.directory.tree()
    if principal.is_admin:
        places = set(tree.kinds)
    else:
        places = request.app.state.access.policy.organisations(principal, frozenset(functions))
    return sorted(((o, tree.labels.get(o, o)) for o in places if o in tree.kinds), key=lambda o: o[1])


def person_iri(request: Request, text: str) -> str:
    """The person a form names by key, IRI or verified e-mail address; NotFound otherwise."""
    people = cockpit_of(request).people
    text = text.strip()
    if "@" in text and ":" not in text:
        found = people.by_email(text)
        if not found:
            raise NotFound(f"nobody has the verified address {text}")
        return found[0]
    return people.get(text).iri


def names(request: Request, iris) -> list[dict]:
    """People as (IRI, key, name), sorted by name."""
    return sorted(({"iri": i, "key": i.rsplit("/", 1)[-1], "name": display_name(request, i)} for i in iris),
                  key=lambda p: p["name"].casefold())


def attempt(request: Request, back: str, action, success: str):
    """Do a cockpit action and go back with its outcome in words (the service's reason when it refuses)."""
    try:
        action()
    except (CockpitError, ValueError) as exc:
        return redirect(request, back, str(exc), "error")
    return redirect(request, back, success)


# --- « Mes informations » -------------------------------------------------------------------------
@router.get("/me")
def me(request: Request, principal: AccountSelf):
    """One's names, e-mail addresses and platform tokens."""
    cockpit = cockpit_of(request)
    person = cockpit.people.get(principal.person)
    tokens = request.app.state.access.tokens.of(principal.person)
    labels = request.app.state.access.directory.tree().labels
    return render(request, principal, "cockpit/me.html", title=_("My information"), me=person, tokens=tokens,
                  labels=labels, new_token=None)


@router.post("/me/names")
def rename(request: Request, principal: AccountSelf, family_name: Text, given_name: Text = ""):
    """Change one's names."""
    people = cockpit_of(request).people
    return attempt(request, "/ui/me", lambda: people.rename(people.get(principal.person), family_name, given_name),
                   _("Your names were saved."))


@router.post("/me/emails")
def add_email(request: Request, principal: AccountSelf, address: Text):
    """Add an address: a code is sent to it."""
    people = cockpit_of(request).people
    return attempt(request, "/ui/me", lambda: people.add_email(people.get(principal.person), address),
                   _("A verification code was sent to %(address)s: type it below.") % {"address": address.strip()})


@router.post("/me/emails/verify")
def verify_email(request: Request, principal: AccountSelf, address: Text, code: Text):
    """Prove an address with its code."""
    people = cockpit_of(request).people
    return attempt(request, "/ui/me", lambda: people.verify_email(people.get(principal.person), address, code),
                   _("%(address)s is verified.") % {"address": address})


@router.post("/me/emails/primary")
def primary_email(request: Request, principal: AccountSelf, address: Text):
    """Choose the primary address."""
    people = cockpit_of(request).people
    return attempt(request, "/ui/me", lambda: people.set_primary(people.get(principal.person), address),
                   _("%(address)s is now your primary address.") % {"address": address})


@router.post("/me/emails/remove")
def remove_email(request: Request, principal: AccountSelf, address: Text):
    """Remove an address."""
    people = cockpit_of(request).people
    return attempt(request, "/ui/me", lambda: people.remove_email(people.get(principal.person), address),
                   _("%(address)s was removed.") % {"address": address})


@router.post("/me/tokens")
def new_token(request: Request, principal: AccountSelf, label: Text, days: Annotated[int, Form()] = 90):
    """A token for one's scripts, shown once on the page that answers."""
    access = request.app.state.access
    if not 1 <= days <= 3650:
        return redirect(request, "/ui/me", _("A token lasts from 1 to 3650 days."), "error")
    token, _iri = access.tokens.issue(principal.person, label.strip() or "script", days, principal.person)
    person = cockpit_of(request).people.get(principal.person)
    page = render(request, principal, "cockpit/me.html", title=_("My information"), me=person,
                  tokens=access.tokens.of(principal.person), labels=access.directory.tree().labels,
                  new_token=token, flash={"kind": "ok", "text": _("Token created: copy it now, it will not be "
                                                                  "shown again.")})
    page.headers["HX-Push-Url"] = "/ui/me"  # reloading the page shows the tokens, never this one again
    return page


@router.get("/me/tokens")
def tokens_page(request: Request, principal: AccountSelf):
    """The tokens live on « Mes informations »."""
    return redirect(request, "/ui/me")


@router.post("/me/tokens/{token_id}/revoke")
def revoke_token(request: Request, token_id: str, principal: AccountSelf):
    """Revoke one of one's tokens."""
    access = request.app.state.access
    mine = {t["id"]: t for t in access.tokens.of(principal.person)}
    if token_id not in mine:
        return redirect(request, "/ui/me", _("You have no such token."), "error")
    access.tokens.revoke(mine[token_id]["iri"])
    return redirect(request, "/ui/me", _("The token « %(label)s » is revoked.") % {"label": mine[token_id]["label"]})


# --- « Utilisateurs et fonctions » -----------------------------------------------------------------
@router.get("/cockpit/people")
def people_page(request: Request, principal: CockpitManage, q: str = "", organisation: str = "",
                function: str = ""):
    """The people of one's organisations, filtered by words, organisation and function."""
    cockpit = cockpit_of(request)
    found, error = {"total": 0, "people": []}, None
    try:
        found = cockpit.people.search(principal, q or None, organisation or None, function or None, 200, 0)
    except CockpitError as exc:
        error = str(exc)
    functions = [f["function"] for f in cockpit.functions.catalogue(principal)]
    return render(request, principal, "cockpit/people.html", title=_("Users and functions"), found=found,
                  error=error, q=q, organisation=organisation, function=function,
                  organisations=organisations(request, principal), functions=functions,
                  labels=request.app.state.access.directory.tree().labels)


@router.get("/cockpit/people/{person_id}")
def person_page(request: Request, person_id: str, principal: CockpitManage):
    """A person's accounts and functions, with the functions the caller may give or take away."""
    cockpit = cockpit_of(request)
    person = cockpit.people.read(principal, person_id)
    catalogue = cockpit.functions.catalogue(principal)
    grantable = [f for f in catalogue if f["you_may_grant_on"]]
    places = sorted({o for f in grantable for o in f["you_may_grant_on"]})
    tree = request.app.state.access.directory.tree()
    policy = request.app.state.access.policy
    removable = {h.assignment for h in person.holdings if policy.may_grant(principal, h.function, h.organisation)}
    return render(request, principal, "cockpit/person.html", title=person.display(), someone=person,
                  grantable=grantable, places=sorted(((o, tree.labels.get(o, o)) for o in places), key=lambda o: o[1]),
                  removable=removable, labels=tree.labels, today=dt.date.today())


@router.post("/cockpit/people/{person_id}/functions")
def give_function(request: Request, person_id: str, principal: CockpitGrant, function: Text, organisation: Text,
                  start: Text = "", end: Text = ""):
    """Give a person a function on an organisation (refused in words when the caller may not)."""
    functions = cockpit_of(request).functions
    back = f"/ui/cockpit/people/{person_id}"

    def assign():
        first = dt.date.fromisoformat(start) if start else None
        last = dt.date.fromisoformat(end) if end else None
        functions.assign(principal, person_id, function, organisation, first, last)

    return attempt(request, back, assign, _("Function given."))


@router.post("/cockpit/people/{person_id}/functions/{assignment_id}/remove")
def take_function(request: Request, person_id: str, assignment_id: str, principal: CockpitGrant):
    """Take a function away (refused in words when the caller may not)."""
    functions = cockpit_of(request).functions
    return attempt(request, f"/ui/cockpit/people/{person_id}",
                   lambda: functions.remove(principal, person_id, assignment_id), _("Function removed."))


# --- « Offre de formation » --------------------------------------------------------------------------
def offer_choices(request: Request, component: str) -> dict:
    """The formations and years of study a component's lists offer."""
    lists = request.app.state.lists
    choices = {}
    for name, key in (("diplomas", "formations"), ("years", "annees-etude")):
        try:
            entries = lists.effective(key, component).entries
        except ValueError:
            entries = []
        choices[name] = [(r.iri, r.entry.label("fr")) for r in entries]
    return choices


@router.get("/cockpit/offers")
def offers_page(request: Request, principal: CockpitManage, component: str = ""):
    """The training offer of one's organisations, and a form to add one."""
    cockpit = cockpit_of(request)
    places = organisations(request, principal)
    component = component or (places[0][0] if places else "")
    offers = cockpit.offers.listing(principal)
    return render(request, principal, "cockpit/offers.html", title=_("Training offer"), offers=offers,
                  places=places, component=component, labels=request.app.state.access.directory.tree().labels,
                  **(offer_choices(request, component) if component else {"diplomas": [], "years": []}))


@router.get("/cockpit/offers/choices")
def offers_choices(request: Request, principal: CockpitManage, component: str):
    """The formation and year fields for another component (htmx swaps them in)."""
    return render(request, principal, "cockpit/_offer_choices.html", **offer_choices(request, component))


@router.post("/cockpit/offers")
def add_offer(request: Request, principal: CockpitManage, component: Text, diploma: Text, study_year: Text,
              period: Text, mention: Text = ""):
    """Add a training offer (its cohort group comes with it)."""
    offers = cockpit_of(request).offers
    return attempt(request, f"/ui/cockpit/offers?component={component}",
                   lambda: offers.create(principal, component, diploma, study_year, period, mention or None),
                   _("Training offer added, with its cohort group."))


# --- « Groupes des promotions » ---------------------------------------------------------------------
@router.get("/cockpit/cohorts")
def cohorts_page(request: Request, principal: CockpitManage):
    """The cohort groups of the training offer."""
    return render(request, principal, "cockpit/cohorts.html", title=_("Cohort groups"),
                  offers=cockpit_of(request).offers.listing(principal),
                  labels=request.app.state.access.directory.tree().labels)


@router.get("/cockpit/cohorts/{offer_id}")
def cohort_page(request: Request, offer_id: str, principal: CockpitManage):
    """A cohort's students, and the import of a student file."""
    offer = cockpit_of(request).offers.read(principal, offer_id)
    return render(request, principal, "cockpit/cohort.html", title=offer.label, offer=offer,
                  members=names(request, offer.members), report=None,
                  labels=request.app.state.access.directory.tree().labels)


@router.post("/cockpit/cohorts/{offer_id}/import")
async def import_students(request: Request, offer_id: str, principal: CockpitManage, file: UploadFile):
    """Import the students of a file, all or nothing: each bad line is shown with its number and reason."""
    cockpit = cockpit_of(request)
    content = await file.read()
    report = await run_in_threadpool(cockpit.offers.import_students, principal, offer_id, content)
    offer = await run_in_threadpool(cockpit.offers.read, principal, offer_id)
    members = await run_in_threadpool(names, request, offer.members)
    if report.errors:
        flash = {"kind": "error", "text": _("%(n)s line(s) refused: nothing was written.") % {"n": len(report.errors)}}
    else:
        flash = {"kind": "ok", "text": _("Import done: %(created)s created, %(linked)s linked, %(unchanged)s "
                                         "unchanged.") % {"created": len(report.created), "linked": len(report.linked),
                                                          "unchanged": len(report.unchanged)}}
    return render(request, principal, "cockpit/cohort.html", title=offer.label, offer=offer, members=members,
                  report=report, flash=flash, labels=request.app.state.access.directory.tree().labels)


# --- « Groupes » ---------------------------------------------------------------------------------------
@router.get("/cockpit/groups")
def groups_page(request: Request, principal: GroupsAdminister):
    """The groups one manages or administers, and a form to create one."""
    groups = cockpit_of(request).groups.listing(principal)
    return render(request, principal, "cockpit/groups.html", title=_("Groups"), groups=groups,
                  places=organisations(request, principal),
                  labels=request.app.state.access.directory.tree().labels)


@router.post("/cockpit/groups")
async def create_group(request: Request, principal: CockpitManage, name: Text):
    """Create an ad-hoc group attached to institutions; its creator administers it."""
    form = await request.form()
    institutions = [str(v) for v in form.getlist("institutions")]
    groups = cockpit_of(request).groups
    try:
        group = await run_in_threadpool(groups.create, principal, name, institutions, [], [])
    except CockpitError as exc:
        return redirect(request, "/ui/cockpit/groups", str(exc), "error")
    return redirect(request, f"/ui/cockpit/groups/{group.key}",
                    _("Group « %(name)s » created.") % {"name": group.name})


@router.get("/cockpit/groups/{group_id}")
def group_page(request: Request, group_id: str, principal: GroupsAdminister):
    """A group's members, administrators and institutions."""
    groups = cockpit_of(request).groups
    group = groups.get(group_id)
    manages = groups.manages(principal, group)
    if not (manages or principal.person in group.members):
        raise NotFound(f"no group {group_id}")
    return render(request, principal, "cockpit/group.html", title=group.name, group=group, manages=manages,
                  members=names(request, group.members), administrators=names(request, group.administrators),
                  places=organisations(request, principal),
                  labels=request.app.state.access.directory.tree().labels)


@router.post("/cockpit/groups/{group_id}")
async def change_group(request: Request, group_id: str, principal: GroupsAdminister, action: Text,
                       person: Text = "", name: Text = ""):
    """Add or remove a member or an administrator, rename the group, or set its institutions."""
    groups = cockpit_of(request).groups
    form = await request.form()
    back = f"/ui/cockpit/groups/{group_id}"

    def apply():
        if action == "rename":
            groups.change(principal, group_id, name=name)
        elif action == "institutions":
            groups.change(principal, group_id, institutions=[str(v) for v in form.getlist("institutions")])
        elif action in ("add_member", "remove_member", "add_administrator", "remove_administrator"):
            who = person_iri(request, person) if action.startswith("add") else person
            groups.change(principal, group_id, **{action.replace("member", "members").replace(
                "administrator", "administrators"): [who]})
        else:
            raise CockpitError(f"unknown change {action!r}")

    return await run_in_threadpool(attempt, request, back, apply, _("The group was changed."))
