"""Issue 15 in headless Chromium: the Directeur des études finds the students in difficulty of their formation with
their trend, a student compares their progress with their cohort, a researcher runs a named query from YASGUI's
example tabs (npm's build, vendored and served by the platform) and draws a named query's chart. Each page
is checked with axe-core; screenshots go to var/test-artefacts/."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from api.pages.dashboards import yasgui_available
from services import dataset
from services.platform import Platform
from services.research import Research
from services.research.projects import Project
from store.embedded import OxigraphStore
from tests.browser.conftest import SCALE, Site, accessible, serve, shot, sign_in
from tests.conftest import make_settings

B = "https://data.ontosides.fr/"


@pytest.fixture(scope="module")
def research_site():
    """A demo platform with a research project of univ-0 built for the demo researcher, served for real."""
    settings = make_settings(demo_login=True, research_secret="browser-research-secret")
    platform = Platform.build(settings, OxigraphStore(base_iri=settings.base_iri))
    dataset.load_demo(platform, SCALE)
    with serve(settings, platform) as server:
        research = Research.build(platform)
        research.projects.create(Project(key="nav", title="Parcours des étudiants", ethics_approval="CER-2026-021",
                                         organisations=[f"{B}org/univ-0"], period_start=dt.date(2025, 9, 1),
                                         period_end=dt.date(2026, 8, 31), researchers=[f"{B}person/ch0-0"], k=1))
        research.pseudonymiser.build("nav")
        yield Site(server.url, settings, platform)


def test_the_dashboards_of_a_directeur_a_student_and_a_researcher(page, research_site):
    site = research_site
    # The Directeur des études: the students in difficulty of their formation, with their trend.
    sign_in(page, site, r"\(de0-0\)")
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Étudiants en difficulté").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Étudiants en difficulté")
    page.get_by_label("Moyenne inférieure à (sur 20)").fill("21")
    page.get_by_role("button", name="Afficher").click()
    rows = page.locator("table.followup tbody tr")
    expect(rows.first.locator("svg.spark")).to_be_visible()
    assert rows.count() >= 1
    expect(page.locator("table.followup caption")).to_contain_text("étudiant")
    accessible(page, "Étudiants en difficulté")
    shot(page, "research-followup")
    page.context.clear_cookies()

    # A student: their progress per référentiel item next to their cohort's quartiles.
    sign_in(page, site, r"\(s0-0-0\)")
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Ma progression").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ma progression")
    expect(page.locator("table.progress svg.box-plot").first).to_be_visible()
    expect(page.locator("table.progress")).to_contain_text("·")  # Q1 · median · Q3 shown (8 students ≥ 5)
    accessible(page, "Ma progression")
    shot(page, "research-progress")
    page.context.clear_cookies()

    # A researcher: YASGUI with the named queries as example tabs, then a chart.
    sign_in(page, site, r"\(ch0-0\)")
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Recherche", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Recherche")
    expect(page.get_by_text("Parcours des étudiants")).to_be_visible()
    assert yasgui_available()
    expect(page.locator("#research-yasgui .CodeMirror").first).to_be_visible()
    expect(page.locator("#research-yasgui .CodeMirror").first).to_contain_text("objective rank")
    accessible(page, "Recherche (YASGUI)")
    page.locator("#research-yasgui .yasqe_queryButton").first.click()
    expect(page.locator("#research-yasgui .yasr_results table tbody tr").first).to_be_visible()
    expect(page.locator("#research-yasgui .yasr_results")).to_contain_text("successRate")
    shot(page, "research-yasgui")
    details = page.locator("#ex-success_by_referentiel_rank")
    details.locator("summary").click()
    details.get_by_role("button", name="Tracer le graphique").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("Graphique de success_by_referentiel_rank"))
    expect(page.locator("figure.chart svg.bars rect").first).to_be_visible()
    accessible(page, "Graphique")
    shot(page, "research-chart")
