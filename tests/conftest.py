"""Shared fixtures: stores, a platform with demo data, a live API server, live Oxigraph and Virtuoso servers."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import uvicorn
from fastapi.testclient import TestClient
from rdflib import Graph

from api.app import create_app
from bench.common import stop
from services.synthetic import Scale
from services import dataset
from services.platform import Platform
from services.settings import Settings
from store.embedded import OxigraphStore
from tests.studio_samples import AUTHOR, BASE, TOKENS, UFR
from tests.net import free_port, wait_until_up
from tests.virtuoso_server import VirtuosoServer


class Clock:
    """The server's clock, moved by the test."""

    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


def person(key: str) -> str:
    """A demo person's IRI by key (s0-0-0, sup0-0 …)."""
    return f"{BASE}person/{key}"


def bearer_tokens(app, keys, note: str = "test") -> dict[str, dict[str, str]]:
    """A platform token for each demo person, as request headers by key."""
    headers = {}
    for key in keys:
        token, _ = app.state.access.tokens.issue(person(key), note, 1, None)
        headers[key] = {"Authorization": f"Bearer {token}"}
    return headers

ADMIN_TOKEN = "test-admin-token"
USER_TOKEN = "test-user-token"
# The command line's tests run `ontosides` with this environment only (no ONTOSIDES_* of the developer's own).
CLI_ENV = {"PATH": "/usr/bin:/bin", "COLUMNS": "200"}
SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
FUZZ_SUMMARY = pytest.StashKey[list]()


def pytest_terminal_summary(terminalreporter, config):
    """The fuzzing counts (tests/test_fuzz.py), one line per caller."""
    lines = config.stash.get(FUZZ_SUMMARY, [])
    if lines:
        terminalreporter.section("schemathesis")
        for line in lines:
            terminalreporter.write_line(line)


def make_dpo(platform, key: str) -> str:
    """Make a demo person the data protection officer of univ-0 (the demo has none); returns their IRI."""
    base, os_ = "https://data.ontosides.fr/", "https://w3id.org/ontosides#"
    dpo = f"{base}person/{key}"
    platform.store.update(f"""PREFIX org: <http://www.w3.org/ns/org#> PREFIX os: <{os_}>
      INSERT DATA {{ GRAPH <{base}graph/person/{key}> {{ <{dpo}/function/DPO> a os:FunctionAssignment ;
        org:member <{dpo}> ; org:role os:DelegueProtectionDonnees ; org:organization <{base}org/univ-0> }} }}""")
    return dpo


def make_settings(**kw) -> Settings:
    """Settings for tests: in memory, known tokens, no .env file."""
    values = dict(store=":memory:", admin_token=ADMIN_TOKEN,
                  user_tokens={USER_TOKEN: "https://data.ontosides.fr/person/t0-0-0"})
    values.update(kw)
    return Settings(_env_file=None, **values)


@pytest.fixture
def memory_platform() -> Platform:
    """An empty platform on an in-memory store, with the ontology loaded."""
    platform = Platform.build(make_settings(), OxigraphStore())
    platform.ensure_ontology()
    return platform


@pytest.fixture(scope="session")
def demo_platform() -> Platform:
    """A platform on an in-memory store holding the small demo dataset (read-only use)."""
    platform = Platform.build(make_settings(), OxigraphStore())
    dataset.load_demo(platform, Scale.demo())
    return platform


class LiveServer:
    """A uvicorn server in a thread, on a free loopback port."""

    def __init__(self, app):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the API server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture(scope="session")
def live_api(demo_platform):
    """The API over the demo data, served for real on 127.0.0.1."""
    app = create_app(demo_platform.settings, demo_platform.store)
    with LiveServer(app) as server:
        yield server


@contextlib.contextmanager
def oxigraph_serve(location: Path):
    """A real `oxigraph serve` of this folder on a free loopback port (union default graph); yields its URL."""
    exe = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
    if not Path(exe).exists():
        pytest.fail("the `oxigraph` server binary is missing: `make test` installs it (PyPI package oxigraph)")
    port = free_port()
    proc = subprocess.Popen([exe, "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}",
                             "--union-default-graph"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    if not wait_until_up(f"{url}/query", {"query": "ASK {}"}, proc, 30):
        proc.kill()
        raise RuntimeError(f"oxigraph serve did not start: {proc.stderr.read().decode()[-500:]}")
    try:
        yield url
    finally:
        stop(proc)


@pytest.fixture(scope="session")
def oxigraph_server(tmp_path_factory):
    """A real `oxigraph serve` shared by the session's tests, stopped after them."""
    with oxigraph_serve(tmp_path_factory.mktemp("oxigraph-server")) as url:
        yield url


def run_installed(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """The installed `ontosides` console script, in a fresh interpreter."""
    return subprocess.run([str(Path(sys.executable).parent / "ontosides"), *args], capture_output=True, text=True,
                          cwd=cwd, timeout=300, env=CLI_ENV)


def copy_store(source: str, target: Path) -> str:
    """A copy of a closed on-disk store (with its items' search index, if built), for a test that writes to it."""
    shutil.copytree(source, target)
    if Path(f"{source}-search").is_dir():
        shutil.copytree(f"{source}-search", f"{target}-search")
    return str(target)


@pytest.fixture(scope="session")
def cli_demo_template(tmp_path_factory) -> str:
    """The `make run` demo store, made once per session by the installed `ontosides demo`; never written
    afterwards: a test that uses it works on a copy (copy_store)."""
    location = str(tmp_path_factory.mktemp("cli-demo") / "store")
    done = run_installed("demo", "--store", location)
    assert done.returncode == 0, done.stderr
    assert "demo data:" in done.stdout
    return location


@pytest.fixture(scope="session")
def virtuoso_server():
    """A real Virtuoso 7 on free loopback ports with a throw-away database, stopped after the tests."""
    with VirtuosoServer() as server:
        yield server


def virtuoso_settings(server: VirtuosoServer, **kw) -> Settings:
    """Test settings pointing the platform at a Virtuoso, as an operator would (ONTOSIDES_REMOTE_*)."""
    return make_settings(store=server.url, remote_kind="virtuoso", remote_update_user=server.user,
                         remote_update_password=server.password, **kw)


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    """A STUDIO API over a small demo, with an author, a colleague and two exam managers; media uploaded."""
    settings = make_settings(user_tokens=TOKENS, media_dir=str(tmp_path_factory.mktemp("media")))
    platform = Platform.build(settings, OxigraphStore())
    dataset.load_demo(platform, Scale(universities=2, students_per_faculty=5, questions_per_faculty=5,
                                      referentiel_items=10, objectives_per_item=3, questions_per_epreuve=5))
    functions = Graph().parse(data=f"""
        @prefix os: <https://w3id.org/ontosides#> . @prefix org: <http://www.w3.org/ns/org#> .
        <{BASE}fa/m0> a os:FunctionAssignment ; org:member <{TOKENS['manager']}> ;
            org:role os:GestionnaireEpreuves ; org:organization <{UFR}> .
        <{BASE}fa/m1> a os:FunctionAssignment ; org:member <{TOKENS['other-manager']}> ;
            org:role os:GestionnaireEpreuves ; org:organization <{BASE}org/univ-1/ufr-0> .""", format="turtle")
    platform.writer.replace_graph(f"{BASE}graph/test-functions", functions)
    client = TestClient(create_app(settings, platform.store))
    image = client.post("/media", content=b"\x89PNG fake image", headers={**AUTHOR, "Content-Type": "image/png"})
    article = client.post("/media", content=b"%PDF-1.4 article", headers={**AUTHOR, "Content-Type": "application/pdf"})
    assert image.status_code == article.status_code == 201
    client.media = (image.json()["iri"], article.json()["iri"])
    return client


