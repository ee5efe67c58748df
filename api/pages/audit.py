"""« Journal des accès »: the data protection officer reads who read personal data, who was refused, who granted
what — filtered by kind, date and person, newest first, and downloaded as CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api.csrf import check_page_request
from api.pages.i18n import _
from api.pages.render import display_name, render
from api.security import AuditRead
from services.access.audit import KINDS

router = APIRouter(prefix="/ui", dependencies=[Depends(check_page_request)], include_in_schema=False)
SHOWN = 500
COLUMNS = ("at", "kind", "action", "actor", "target", "detail")


def _since(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


async def _events(request: Request, kind: str, since: str, who: str) -> list[dict]:
    audit = request.app.state.access.audit
    events = await run_in_threadpool(audit.read, _since(since), kind if kind in KINDS else None, 5_000)
    if who:
        wanted = who.strip().lower()
        events = [e for e in events if e["actor"] and (wanted in e["actor"].lower()
                                                       or wanted in display_name(request, e["actor"]).lower())]
    return events


@router.get("/audit")
async def audit_page(request: Request, principal: AuditRead, kind: str = "", since: str = "", who: str = ""):
    """The latest events of the access log, filtered."""
    events = await _events(request, kind, since, who)
    names = {e["actor"]: display_name(request, e["actor"]) for e in events[:SHOWN] if e["actor"]}
    return render(request, principal, "audit/log.html", title=_("Access log"), events=events[:SHOWN],
                  total=len(events), kinds=KINDS, kind=kind, since=since, who=who, names=names,
                  bad_since=bool(since) and _since(since) is None)


@router.get("/audit.csv")
async def audit_csv(request: Request, principal: AuditRead, kind: str = "", since: str = "", who: str = ""):
    """The same events as CSV (every one that matches, up to 5,000)."""
    events = await _events(request, kind, since, who)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for event in events:
        writer.writerow([event.get(c) or "" for c in COLUMNS])
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="access-log.csv"'})
