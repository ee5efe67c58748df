"""Pages driven as a browser without JavaScript drives them: demo sign-in, forms posted with the anti-forgery
token, the message the page shows afterwards, the store's dump to prove a refusal wrote nothing."""

from __future__ import annotations

import html
import io
import re

import pyoxigraph as ox
from fastapi.testclient import TestClient

from api.csrf import CSRF_COOKIE


def signed_in(app, person: str) -> TestClient:
    """A French-speaking browser without JavaScript, signed in as a demo person."""
    browser = TestClient(app, headers={"Accept-Language": "fr"})
    assert browser.get("/ui/login").status_code == 200
    answer = browser.post("/ui/login/demo", data={"person": person, "csrf_token": browser.cookies[CSRF_COOKIE]},
                          follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return browser


def fields(browser: TestClient, data: dict | list) -> dict[str, list[str]]:
    """A form's fields in order (a name may repeat), with the anti-forgery token."""
    found: dict[str, list[str]] = {}
    for name, value in [*(data.items() if isinstance(data, dict) else data),
                        ("csrf_token", browser.cookies[CSRF_COOKIE])]:
        found.setdefault(name, []).append(value)
    return found


def said(text: str) -> str:
    """The message a page shows in its status region (empty when none)."""
    shown = re.findall(r'class="flash (ok|error)">([^<]*)<', text)
    return html.unescape(shown[0][1]) if shown else ""


def post(browser: TestClient, url: str, data: dict | list) -> tuple[str, str]:
    """Post a form as a browser does, follow the redirect; the page reached and the message it shows."""
    answer = browser.post(url, data=fields(browser, data), follow_redirects=False)
    assert answer.status_code == 303, (answer.status_code, answer.text[:500])
    page = browser.get(answer.headers["location"])
    assert page.status_code == 200
    return answer.headers["location"], said(page.text)


def dump(app) -> bytes:
    """The store as sorted N-Quads."""
    buffer = io.BytesIO()
    app.state.platform.store.dump(buffer, ox.RdfFormat.N_QUADS)
    return b"\n".join(sorted(buffer.getvalue().splitlines()))
