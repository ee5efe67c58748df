"""The web pages' conventions, without a browser: sessions (token, demo, OpenID Connect with PKCE), the
anti-forgery token, languages, refusals as pages, the list library's actions; the browser journeys are in
tests/browser/."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from fastapi.testclient import TestClient

from api.app import create_app
from api.csrf import CSRF_COOKIE
from api.pages.i18n import load
from api.security import SESSION_COOKIE
from services import dataset
from services.platform import Platform
from services.synthetic import Scale
from store.embedded import OxigraphStore
from store.paths import ROOT, WEB_DIR
from tests.conftest import ADMIN_TOKEN, make_settings
from tests.fake_oidc import FakeProvider

BASE = "https://data.ontosides.fr/"
UFR = f"{BASE}org/univ-0/ufr-0"
UNIV = f"{BASE}org/univ-0"
IC = f"{BASE}list/referentiel/IC-00"
SMALL = Scale(universities=2, students_per_faculty=3, questions_per_faculty=4, referentiel_items=5,
              objectives_per_item=2, questions_per_epreuve=3)
PERSON = {"eduPersonPrincipalName": "newcomer@univ-grenoble.example.fr", "given_name": "Nora",
          "family_name": "Nouvelle", "email": "nora@univ-grenoble.example.fr", "email_verified": True}


@pytest.fixture(scope="module")
def provider():
    """The fake identity provider, signing Nora in."""
    with FakeProvider("ontosides-web", "s3cret", PERSON) as fake:
        yield fake


@pytest.fixture(scope="module")
def app(provider, tmp_path_factory):
    """The platform over a small demo, with demo sign-in and the fake provider configured."""
    settings = make_settings(demo_login=True, oidc_issuer=provider.url, oidc_client_id="ontosides-web",
                             oidc_client_secret="s3cret", outbox_dir=str(tmp_path_factory.mktemp("outbox")))
    platform = Platform.build(settings, OxigraphStore(base_iri=settings.base_iri))
    dataset.load_demo(platform, SMALL)
    return create_app(settings, platform.store)


def client(app, lang: str = "fr") -> TestClient:
    """A browser-like client that has seen a page (so it holds its anti-forgery cookie)."""
    browser = TestClient(app, headers={"Accept-Language": lang})
    assert browser.get("/ui/login").status_code == 200
    return browser


def signed_in(app, person: str) -> TestClient:
    """A client signed in as a demo person."""
    browser = client(app)
    answer = browser.post("/ui/login/demo", data={"person": person, "csrf_token": browser.cookies[CSRF_COOKIE]},
                          follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return browser


def flash(html: str) -> list[str]:
    """The messages a page shows in its status region."""
    return re.findall(r'class="flash (?:ok|error)">([^<]*)<', html)


def test_every_message_of_the_pages_has_a_french_translation():
    keywords = {**DEFAULT_KEYWORDS, "N_": None}
    found = set()
    sources = [("python", p, {}) for p in (ROOT / "api" / "pages").glob("*.py")]
    sources += [("jinja2", p, {"extensions": "jinja2.ext.i18n"}) for p in (WEB_DIR / "templates").rglob("*.html")]
    for method, path, options in sources:
        for _line, message, _comments, _context in extract_from_file(method, str(path), keywords, options=options):
            found.add(message if isinstance(message, str) else tuple(message[:2]))
    french = load(WEB_DIR / "i18n")["fr"]
    missing = [m for m in found if m and (m not in french.plural if isinstance(m, tuple) else m not in french.singular)]
    assert len(found) > 200
    assert missing == []


def test_french_first_english_on_request_and_by_the_switch(app):
    assert '<html lang="fr">' in TestClient(app).get("/ui/").text
    english = TestClient(app, headers={"Accept-Language": "en-GB,en;q=0.8"}).get("/ui/")
    assert '<html lang="en">' in english.text and "List library" in english.text
    browser = client(app, "en")
    switched = browser.get("/ui/lang", params={"to": "fr", "next": "/ui/lists"}, follow_redirects=False)
    assert switched.status_code == 303 and switched.headers["location"] == "/ui/lists"
    assert "Bibliothèque des listes" in browser.get("/ui/lists").text
    assert browser.get("/ui/lang", params={"to": "fr", "next": "https://evil.example"},
                       follow_redirects=False).headers["location"] == "/ui/"


def test_the_platform_opens_on_its_home_page(app):
    answer = TestClient(app).get("/", follow_redirects=False)
    assert answer.status_code == 307 and answer.headers["location"] == "/ui/"


def test_unsafe_page_requests_need_the_anti_forgery_token(app):
    browser = signed_in(app, "la0-0")
    data = {"level": UFR, "entry": IC + "1", "kind": "hide"}
    assert browser.post("/ui/lists/referentiel/changes", data=data).status_code == 403
    assert browser.post("/ui/lists/referentiel/changes", data={**data, "csrf_token": "forged"}).status_code == 403
    answer = browser.post("/ui/lists/referentiel/changes", data={**data, "csrf_token": browser.cookies[CSRF_COOKIE]})
    assert answer.status_code == 200 and "Élément masqué à ce niveau." in flash(answer.text)
    # The API reached with the session cookie wants the header too; with a bearer token it does not.
    change = {"level": UFR, "kind": "show", "target": IC + "1"}
    assert browser.post("/lists/referentiel/changes", json=change).status_code == 403
    answer = browser.post("/lists/referentiel/changes", json=change,
                          headers={"X-CSRF-Token": browser.cookies[CSRF_COOKIE]})
    assert answer.status_code == 204
    bearer = TestClient(app).post("/lists/referentiel/changes", json={**change, "kind": "hide"},
                                  headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert bearer.status_code == 204


def test_sign_in_with_a_token_then_out(app):
    browser = client(app)
    token, _ = app.state.access.tokens.issue(f"{BASE}person/t0-0-0", "script", 1, None)
    refused = browser.post("/ui/login/token", data={"token": "ots_nothing", "csrf_token": browser.cookies[CSRF_COOKIE]})
    assert refused.status_code == 401 and "Ce jeton est inconnu, expiré ou révoqué." in refused.text
    answer = browser.post("/ui/login/token", data={"token": token, "next": "/ui/me",
                                                   "csrf_token": browser.cookies[CSRF_COOKIE]}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/ui/me"
    cookie = next(h for h in answer.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Max-Age=43200" in cookie
    session = browser.cookies[SESSION_COOKIE]
    assert session != token
    assert app.state.access.tokens.verify(session).person == f"{BASE}person/t0-0-0"
    assert "Mes informations" in browser.get("/ui/me").text
    out = browser.post("/ui/logout", data={"csrf_token": browser.cookies[CSRF_COOKIE]}, follow_redirects=False)
    assert out.status_code == 303 and SESSION_COOKIE not in browser.cookies
    assert app.state.access.tokens.verify_quietly(session).revoked


def test_demo_sign_in_only_when_turned_on(app, tmp_path):
    assert "Responsable scolarité" in TestClient(app).get("/ui/login").text
    off = create_app(make_settings(), app.state.platform.store)
    browser = client(off)
    assert "Démonstration" not in browser.get("/ui/login").text
    answer = browser.post("/ui/login/demo", data={"person": "admin", "csrf_token": browser.cookies[CSRF_COOKIE]})
    assert answer.status_code == 404


def test_sign_in_through_the_university_with_pkce(app, provider):
    browser = client(app)
    start = browser.get("/ui/login/oidc", params={"next": "/ui/me"}, follow_redirects=False)
    assert start.status_code == 303
    authorize = urlsplit(start.headers["location"])
    asked = parse_qs(authorize.query)
    assert asked["code_challenge_method"] == ["S256"] and asked["client_id"] == ["ontosides-web"]
    back = httpx.get(start.headers["location"], follow_redirects=False)  # the provider signs Nora in at once
    callback = urlsplit(back.headers["location"])
    assert callback.path == "/ui/login/oidc/callback"
    # Another browser cannot finish this sign-in: the state is bound to the first one's cookie.
    assert client(app).get(f"{callback.path}?{callback.query}").status_code == 401
    done = browser.get(f"{callback.path}?{callback.query}", follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/ui/me", done.text
    page = browser.get("/ui/me").text
    assert "Nora Nouvelle" in page and "newcomer@univ-grenoble.example.fr" in page
    # The code was used once: replaying the callback is refused, by us and by the provider.
    assert browser.get(f"{callback.path}?{callback.query}").status_code == 401


def test_refusals_are_pages_that_say_why(app):
    anonymous = TestClient(app).get("/ui/me")
    assert anonymous.status_code == 401 and 'action="/ui/login/token"' in anonymous.text
    teacher = signed_in(app, "t0-0-0").get("/ui/cockpit/people")
    assert teacher.status_code == 403 and "cockpit:manage" in teacher.text and "Accès refusé" in teacher.text
    unknown = signed_in(app, "la0-0").get("/ui/lists/no-such-list", params={"level": UFR})
    assert unknown.status_code == 404 and "no-such-list" in unknown.text


def test_a_list_admin_changes_the_faculty_and_the_university_stays_as_it_was(app):
    browser = signed_in(app, "la0-0")
    csrf = browser.cookies[CSRF_COOKIE]
    htmx = {"HX-Request": "true", "X-CSRF-Token": csrf}
    relabel = browser.post("/ui/lists/referentiel/changes", headers=htmx,
                           data={"level": UFR, "entry": IC + "3", "kind": "relabel", "label_fr": "Item trois (UFR)"})
    assert "Item trois (UFR)" in relabel.text and "renommé ici" in relabel.text
    assert 'hx-swap-oob="true"' in relabel.text
    faculty = browser.get("/ui/lists/referentiel", params={"level": UFR}).text
    university = browser.get("/ui/lists/referentiel", params={"level": UNIV}).text
    assert "Item trois (UFR)" in faculty and "Item trois (UFR)" not in university
    assert "Modifier" in faculty and "Modifier" not in university  # la0-0 administers the faculty only
    diff = browser.get("/ui/lists/referentiel/diff", params={"level": UFR}).text
    assert "renommage" in diff and "Item trois (UFR)" in diff
    history = browser.get("/ui/lists/referentiel/history", params={"level": UFR}).text
    assert "la0-0" in history
    undo = browser.post("/ui/lists/referentiel/changes", headers=htmx,
                        data={"level": UFR, "entry": IC + "3", "kind": "revert", "change": "relabel"})
    assert "Item trois (UFR)" not in undo.text and "renommé ici" not in undo.text


def test_search_and_lazy_children(app):
    browser = signed_in(app, "la0-0")
    children = browser.get("/ui/lists/referentiel/children", params={"level": UFR, "parent": IC + "2"}).text
    assert children.count('class="entry') == 2 and "OIC-002-01" in children
    found = browser.get("/ui/lists/referentiel/search", params={"level": UFR, "q": "oic-002"}).text
    assert "2 éléments correspondent" in found and "focus=" in found
    focus = f"{BASE}list/referentiel/" + re.search(r"(OIC-002-01-[AB])", found)[1]
    page = browser.get("/ui/lists/referentiel", params={"level": UFR, "focus": focus}).text
    assert 'class="entry focus"' in page


def test_moving_an_entry_with_the_arrows(app):
    browser = signed_in(app, "la0-0")
    htmx = {"HX-Request": "true", "X-CSRF-Token": browser.cookies[CSRF_COOKIE]}
    moved = browser.post("/ui/lists/referentiel/move", headers=htmx,
                         data={"level": UFR, "entry": IC + "4", "direction": "up"})
    order = re.findall(r'<span class="notation">(IC-\d+)</span>', moved.text)
    assert order.index("IC-004") < order.index("IC-003") and "déplacé ici" in moved.text
    university = browser.get("/ui/lists/referentiel", params={"level": UNIV}).text
    order = re.findall(r'<span class="notation">(IC-\d+)</span>', university)
    assert order.index("IC-003") < order.index("IC-004")


def test_adding_removing_and_undoing_from_the_diff_page(app):
    browser = signed_in(app, "la0-0")
    csrf = browser.cookies[CSRF_COOKIE]
    htmx = {"HX-Request": "true", "X-CSRF-Token": csrf}
    added = browser.post("/ui/lists/referentiel/entries", headers=htmx, data={"level": UFR, "label_fr": "Ajout local"})
    assert "Ajout local" in added.text and "ajouté ici" in added.text
    iri = re.search(r'data-iri="([^"]+)"[^>]*>\s*<div class="line">(?:(?!</li>).)*Ajout local', added.text, re.S)[1]
    removed = browser.post("/ui/lists/referentiel/changes", headers=htmx,
                           data={"level": UFR, "entry": iri, "kind": "remove"})
    assert "Ajout local" not in removed.text and flash(removed.text) == ["Élément supprimé."]
    browser.post("/ui/lists/referentiel/changes", data={"level": UFR, "entry": IC + "5", "kind": "hide",
                                                        "csrf_token": csrf})
    diff_url = f"/ui/lists/referentiel/diff?level={UFR}"
    undo = browser.post("/ui/lists/referentiel/changes", follow_redirects=False,
                        data={"level": UFR, "entry": IC + "5", "kind": "revert", "change": "hide",
                              "back": diff_url, "csrf_token": csrf})
    assert undo.status_code == 303 and undo.headers["location"] == diff_url
    assert "Modification annulée" in browser.get(diff_url).text
