"""The home page: who you are, and the places you may go from here."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse

from api.csrf import check_page_request
from api.pages.i18n import _
from api.pages.render import destinations, render
from api.security import Public

router = APIRouter(dependencies=[Depends(check_page_request)], include_in_schema=False)


@router.get("/")
def root(_caller: Public):
    """The platform opens on its home page."""
    return RedirectResponse("/ui/", status_code=307)


@router.get("/ui")
def ui_root(_caller: Public):
    """The home page's address has a final slash."""
    return RedirectResponse("/ui/", status_code=307)


@router.get("/ui/")
def home(request: Request, principal: Public):
    """Welcome: the caller's functions and the places they may go, each said in a sentence."""
    functions = []
    if principal.person:
        labels = request.app.state.access.directory.tree().labels
        functions = sorted({(h.function, labels.get(h.organisation, h.organisation)) for h in principal.holdings})
    return render(request, principal, "home.html", title=_("Home"), places=destinations(request, principal),
                  functions=functions)
