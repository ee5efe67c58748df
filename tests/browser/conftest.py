"""Browser tests: Debian's Chromium driven by Playwright (the system browser, never a download), against a real
uvicorn server on a demo store. Each test fails on a console error, a page error, a failed request or an
unexpected 4xx/5xx answer; each saves a screenshot under var/test-artefacts/; pages are checked with axe-core."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright

from api.app import create_app
from services import dataset
from services.platform import Platform
from services.settings import Settings
from services.synthetic import Scale
from store.embedded import OxigraphStore
from store.paths import ROOT
from tests.conftest import LiveServer, make_settings
from tests.fake_oidc import FakeProvider

CHROMIUM = Path("/usr/bin/chromium")
# As root, in a closed network: no sandbox, no GPU, and none of Chromium's own calls home.
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-default-apps"]
ARTEFACTS = ROOT / "var" / "test-artefacts"
AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
NORA = {"eduPersonPrincipalName": "nora.nouvelle@univ-grenoble.example.fr", "given_name": "Nora",
        "family_name": "Nouvelle", "email": "nora.nouvelle@univ-grenoble.example.fr", "email_verified": True}
SCALE = Scale(universities=2, students_per_faculty=8, teachers_per_faculty=3, referentiel_items=30,
              objectives_per_item=8, questions_per_faculty=6, questions_per_epreuve=5)


@dataclass
class Site:
    """The platform under test: its address, settings and store, and its identity provider."""

    url: str
    settings: Settings
    platform: Platform
    provider: FakeProvider | None = None


def serve(settings: Settings, platform: Platform):
    """A live server of the app over a platform (a context manager)."""
    return LiveServer(create_app(settings, platform.store))


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """A demo platform with demo sign-in and a fake university identity provider, served for real."""
    with FakeProvider("ontosides-web", "web-secret", NORA) as provider:
        settings = make_settings(demo_login=True, oidc_issuer=provider.url, oidc_client_id="ontosides-web",
                                 oidc_client_secret="web-secret",
                                 outbox_dir=str(tmp_path_factory.mktemp("outbox")),
                                 media_dir=str(tmp_path_factory.mktemp("media")))
        platform = Platform.build(settings, OxigraphStore(base_iri=settings.base_iri))
        dataset.load_demo(platform, SCALE)
        with serve(settings, platform) as server:
            yield Site(server.url, settings, platform, provider)


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless, with a fresh profile."""
    if not CHROMIUM.exists():
        pytest.fail("Chromium is missing: `make chromium` installs Debian's package (make test does it)")
    if not AXE.exists():
        pytest.fail("axe-core is missing: `make browser-tools` installs it (make test does it)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS, headless=True)
        yield chromium
        chromium.close()


@dataclass
class Watch:
    """What went wrong in a page while a test drove it."""

    problems: list[str] = field(default_factory=list)
    allowed: list[tuple[int, str]] = field(default_factory=list)

    def allow(self, status: int, path_pattern: str) -> None:
        """An answer the journey expects (a refusal it provokes on purpose)."""
        self.allowed.append((status, path_pattern))

    def response(self, response) -> None:
        if response.status >= 400 and not any(
                response.status == status and re.search(pattern, response.url) for status, pattern in self.allowed):
            self.problems.append(f"{response.status} {response.request.method} {response.url}")


@pytest.fixture
def page(browser, request):
    """A French-speaking page that records console errors, page errors, failed requests and error answers."""
    context = browser.new_context(locale="fr-FR", accept_downloads=True, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    watch = Watch()
    page.on("console", lambda m: watch.problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: watch.problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: None if r.failure == "net::ERR_ABORTED" and r.resource_type == "document"
            else watch.problems.append(f"failed request: {r.method} {r.url} ({r.failure})"))
    page.on("response", watch.response)
    page.watch = watch
    yield page
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()
    assert watch.problems == [], "the page reported problems:\n" + "\n".join(watch.problems)


def accessible(page: Page, where: str) -> None:
    """axe-core finds no serious or critical violation in the page as it is now."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    violations = page.evaluate("""async () => {
        const result = await axe.run(document, {resultTypes: ['violations']});
        return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                            nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
    }""")
    serious = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert serious == [], f"axe-core on {where}: {serious}"


def shot(page: Page, name: str) -> None:
    """A screenshot of the page at a step of a journey."""
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / f"{name}.png"), full_page=True)


def sign_in(page: Page, site: Site, role_button: str, next_path: str = "/ui/") -> None:
    """Sign in as a demo person through the sign-in page (its button says the role)."""
    page.goto(f"{site.url}/ui/login?next={next_path}")
    page.get_by_role("button", name=re.compile(role_button)).click()
    page.wait_for_url(re.compile(re.escape(next_path) + r"$"))
