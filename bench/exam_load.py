"""EXAMEN under load: 8,200 candidates answering one épreuve of 120 published QRU/QRM items through the HTTP API
of a real uvicorn server process, on this 2-core machine.

The store is built once by the product's own code (the generator at the bench's scale, then an exam planned
through the planner and one platform token per candidate) and copied for each run, where the épreuve is dated
to start a few seconds after the preparation: the server runs on its own clock, no offset.

A separate load-generator process (a small asyncio HTTP/1.1 client: keep-alive connections, requests sent on a
schedule, not one after the other) opens every session — spread over the first minute, as a room of candidates
clicking « commencer » — then each candidate saves answers with exponential think times: a burst at the start,
a steady stretch, a burst in the last seconds. Latency is measured from the time a request was due, so a
server that falls behind shows it (no coordinated omission). Goals: ≥ 2,000 saves/s sustained, p99 ≤ 100 ms,
0 errors; opening a session p95 ≤ 50 ms.

    python -m bench.exam_load [--rate 2000] [--steady 120] [--candidates 8200] [--questions 120] [--fresh]
    python -m bench.exam_load --generators      # wrk (Debian) vs this client, both flat out: who eats less CPU

Outputs (figures as JSON, the client's raw samples) go to bench/out/.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import heapq
import json
import os
import random
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from array import array
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"
# uvicorn's fast HTTP parser and event loop (not dependencies of the platform yet), installed for the bench only:
#   pip install --target bench/out/pylib httptools uvloop      (make bench-exam does it)
EXTRAS = OUT / "pylib"
ROOT = Path(__file__).resolve().parent.parent
BASE_IRI = "https://data.ontosides.fr/"
ADMIN_TOKEN = "bench-exam-admin-token-0123456789abcdef"
TOKEN_DAYS = 30
# The architecture's floor of the answer path on this machine (one uvicorn worker, wrk beside it): an async
# FastAPI POST appending to a file, without and with an fsync per request (docs/architecture.md §6).
FLOOR_APPEND = 7_850
FLOOR_FSYNC = 3_070
GOAL_RATE, GOAL_P99_MS, GOAL_OPEN_P95_MS = 2_000, 100.0, 50.0

OPEN, SAVE = 0, 1
KEPT, SUPERSEDED, REFUSED, OTHER, FAILED = 0, 1, 2, 3, -1


# ============================================================================================================
# The store: built once per size, copied for each run
# ============================================================================================================
def base_folder(candidates: int, questions: int) -> Path:
    """Where the prepared store of a size lives."""
    return OUT / f"exam-{candidates}x{questions}"


def prepare_base(candidates: int, questions: int, fresh: bool = False) -> dict:
    """The prepared store of a size (built when missing, stale or asked): generated people and items, an exam of
    one draft épreuve of `questions` published items for the cohort, one platform token per candidate.
    Returns the plan (exam key, questions and options, tokens file)."""
    folder = base_folder(candidates, questions)
    plan_file = folder / "plan.json"
    if not fresh and plan_file.exists():
        plan = json.loads(plan_file.read_text())
        age = time.time() - plan["built"]
        if age < (TOKEN_DAYS - 5) * 86_400:
            return plan
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    started = time.perf_counter()

    from services import dataset
    from services.access import Access
    from services.exams.model import DisplayOptions
    from services.lists.library import ListLibrary
    from services.notation.reading import read_sheet
    from services.planner.exams import Planner
    from services.planner.inputs import EpreuveInput, ExamInput, Registrations, SlotInput
    from services.platform import Platform
    from services.settings import Settings
    from services.studio.items import Studio
    from services.synthetic import Scale

    platform = Platform.build(Settings(_env_file=None, store=str(folder / "store")))
    scale = Scale(universities=1, faculties_per_university=1, students_per_faculty=candidates, teachers_per_faculty=3,
                  referentiel_items=30, objectives_per_item=8, questions_per_faculty=questions, exams_per_faculty=0,
                  questions_per_epreuve=questions, question_mix=("QRU", "QRM"), first_exam_epreuves=1, graded=False,
                  correction_epreuve=False)
    report = dataset.load_demo(platform, scale)
    print(f"  generated people, cohort and items: {report.quads:,} quads ({time.perf_counter() - started:.0f} s)")
    access = Access.build(platform)
    lists = ListLibrary(platform)
    studio = Studio(platform, lists)
    planner = Planner(platform, studio, access)
    office = access.directory.principal(platform.iri("person", "rs0-0"), "bench")
    cohort = platform.iri("group", "univ-0-ufr-0-dfasm1-2025")
    offer = platform.iri("offer", "univ-0-ufr-0-dfasm1-2025")
    epreuve = EpreuveInput(title="Épreuve nationale (bench)", duration_minutes=240,
                           slots=[SlotInput(item=f"u0f0q{n}") for n in range(questions)],
                           registrations=Registrations(groups=[cohort]),
                           display=DisplayOptions(shuffle_items=True, shuffle_options=True))
    exam = planner.create(office, ExamInput(title="ECN blanc (bench)", short_name="BENCH-ECN",
                                            owner=platform.iri("org", "univ-0", "ufr-0"), offers=[offer],
                                            epreuves=[epreuve]))
    close = studio.search_index.index.close
    platform.closing.remove(close)
    close()
    sheet = read_sheet(platform, f"{exam.key}-1", exam.epreuves[0].iri, exam.key, 1)
    plan_questions = [[q.key, q.type, [o.iri for o in q.options]] for q in sheet.questions]
    print(f"  planned exam {exam.key}: {len(plan_questions)} questions ({time.perf_counter() - started:.0f} s)")
    with (folder / "tokens.tsv").open("w") as out:
        for n in range(candidates):
            key = f"s0-0-{n}"
            token, _ = access.tokens.issue(platform.iri("person", key), "bench", TOKEN_DAYS, None)
            out.write(f"{key}\t{token}\n")
    print(f"  issued {candidates:,} platform tokens ({time.perf_counter() - started:.0f} s)")
    platform.close()
    plan = {"exam": exam.key, "number": 1, "candidates": candidates, "questions": plan_questions,
            "office": office.person, "built": time.time()}
    plan_file.write_text(json.dumps(plan))
    print(f"prepared {folder} in {time.perf_counter() - started:.0f} s")
    return plan


def tokens(candidates: int, questions: int) -> list[tuple[str, str]]:
    """(person key, token) of every candidate."""
    lines = (base_folder(candidates, questions) / "tokens.tsv").read_text().splitlines()
    return [tuple(line.split("\t")) for line in lines]


def reusable(run: Path, margin_minutes: float = 30) -> bool:
    """Whether a run folder's épreuve is still open for a while (its sessions can serve another run)."""
    try:
        state = json.loads((run / "run.json").read_text())
    except (OSError, ValueError):
        return False
    end = dt.datetime.fromisoformat(state["start"]) + dt.timedelta(minutes=state["duration_minutes"] - margin_minutes)
    return dt.datetime.now(dt.timezone.utc) < end and state.get("opened", False)


def prepare_run(plan: dict, run: Path, lead_s: float = 3.0) -> dt.datetime:
    """Copy the prepared store to a run folder and make its épreuve ready, starting `lead_s` seconds from now
    (it is open by the time the server is up). Returns the start."""
    from services.access import Access
    from services.lists.library import ListLibrary
    from services.planner.exams import Planner
    from services.planner.inputs import EpreuveChange
    from services.platform import Platform
    from services.settings import Settings
    from services.studio.items import Studio

    base = base_folder(plan["candidates"], len(plan["questions"]))
    shutil.rmtree(run, ignore_errors=True)
    run.mkdir(parents=True)
    for name in ("store", "store-search"):
        if (base / name).exists():
            shutil.copytree(base / name, run / name)
    platform = Platform.build(Settings(_env_file=None, store=str(run / "store")))
    access = Access.build(platform)
    studio = Studio(platform, ListLibrary(platform))
    planner = Planner(platform, studio, access)
    office = access.directory.principal(plan["office"], "bench")
    start = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=lead_s)).replace(microsecond=0)
    start += dt.timedelta(seconds=1)
    planner.change_epreuve(office, plan["exam"], plan["number"], EpreuveChange(start=start))
    planner.set_status(office, plan["exam"], plan["number"], "ready")
    close = studio.search_index.index.close
    platform.closing.remove(close)
    close()
    platform.close()
    (run / "run.json").write_text(json.dumps({"start": start.isoformat(), "duration_minutes": 240, "opened": False}))
    return start


def mark_opened(run: Path) -> None:
    """Record that every session of the run folder's épreuve is open."""
    state = json.loads((run / "run.json").read_text())
    (run / "run.json").write_text(json.dumps(dict(state, opened=True)))


# ============================================================================================================
# The server: a real uvicorn process over the run's store
# ============================================================================================================
def server_app():
    """The platform's app as `ontosides serve` builds it, plus one read-only bench route with the journal's
    figures and the process's CPU time (uvicorn --factory target)."""
    from api.app import create_app
    from services.settings import Settings
    from services.taking.journal import Journal

    replayed = {"records": None}
    opening = Journal.open

    def open_and_count(journal):  # how many records the opening replayed (the kill test prints it)
        records = opening(journal)
        replayed["records"] = len(records)
        return records

    Journal.open = open_and_count
    if os.environ.get("BENCH_VALUES_PER_VARIABLE") == "1":
        values_per_variable()
    app = create_app(Settings())
    if os.environ.get("BENCH_TAKING_FIRST") == "1":
        taking_first(app)

    async def journal_figures() -> dict:  # on the event loop: never queued behind the thread pool
        taking = app.state.taking
        journal = taking.journal
        times = os.times()
        figures = {"cpu_s": times.user + times.system, "pid": os.getpid(), "replayed": replayed["records"]}
        callers = getattr(app.state, "saver_callers", None)
        if callers is not None:
            figures.update(auth_hits=callers.hits, auth_misses=callers.misses)
        if journal is not None:
            figures.update(dict(journal.stats), lag=journal.lag, written=list(journal._written),
                           applied=list(journal._applied))
        return figures

    app.add_api_route("/bench/journal", journal_figures, methods=["GET"], include_in_schema=False)
    return app


def values_per_variable() -> None:
    """Bind named-query parameters on the embedded store one VALUES block per variable, as the remote adapter
    already does for Virtuoso. pyoxigraph 0.5 does not push a one-row `VALUES (?a ?b) { (x y) }` into the
    patterns it joins: the platform-token lookup (`queries/access/token.rq`, ?hash and ?graph bound) then reads
    every token, 2–5 s with 8,200 tokens on this machine, against 0.2 ms with one block per variable. The
    proposed fix is `per_variable=True` in store/embedded.py's two calls of `inject_values`; until it lands the
    bench applies it in its server process (`--as-is` measures without)."""
    import inspect

    import store.embedded
    from store import sparql_text

    if "per_variable=True" in inspect.getsource(store.embedded):
        return  # the fix landed: store/embedded.py binds one VALUES block per variable itself
    store.embedded.inject_values = (
        lambda query, bindings, per_variable=True: sparql_text.inject_values(query, bindings, True))


def taking_first(app) -> None:
    """Match EXAMEN's routes before the others. FastAPI tries the routers in the order api/app.py includes them
    and EXAMEN's comes eleventh: a save first fails to match some 110 routes (a third of the event loop's time
    per save, measured in process). The proposed fix is to include `taking` first in api/app.py."""
    routes = app.router.routes
    for route in list(routes):
        router = getattr(route, "original_router", None)
        if router is not None and "EXAMEN" in (getattr(router, "tags", None) or []):
            routes.remove(route)
            routes.insert(0, route)
            return


class Server:
    """A uvicorn process serving the run's store on a loopback port."""

    def __init__(self, run: Path, port: int, http: str = "auto", loop: str = "auto", cli: bool = False,
                 log: Path | None = None, as_is: bool = False, taking_first: bool = False):
        self.run, self.port, self.http, self.loop, self.cli, self.as_is = run, port, http, loop, cli, as_is
        self.taking_first = taking_first
        self.log = log or run / "server.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict:
        env = dict(os.environ, ONTOSIDES_STORE=str(self.run / "store"), ONTOSIDES_ADMIN_TOKEN=ADMIN_TOKEN,
                   ONTOSIDES_MAX_RESULTS="5000000", ONTOSIDES_QUERY_TIMEOUT_S="600", HF_HUB_OFFLINE="1")
        env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
        env["BENCH_VALUES_PER_VARIABLE"] = "0" if self.as_is else "1"
        env["BENCH_TAKING_FIRST"] = "1" if self.taking_first else "0"
        if (self.http == "httptools" or self.loop == "uvloop") and EXTRAS.exists():
            env["PYTHONPATH"] = str(EXTRAS) + os.pathsep + env["PYTHONPATH"]
        return env

    def start(self, timeout: float = 120.0) -> float:
        """Start and wait until it answers; the seconds it took."""
        started = time.perf_counter()
        if self.cli:
            command = [str(Path(sys.executable).parent / "ontosides"), "serve", "--store", str(self.run / "store"),
                       "--port", str(self.port)]
        else:
            command = [sys.executable, "-m", "uvicorn", "bench.exam_load:server_app", "--factory", "--host",
                       "127.0.0.1", "--port", str(self.port), "--no-access-log", "--log-level", "warning",
                       "--backlog", "4096", "--http", self.http, "--loop", self.loop]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(command, cwd=ROOT, env=self.env(), stdout=log, stderr=log)
        while time.perf_counter() - started < timeout:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited ({self.process.returncode}); see {self.log}")
            try:
                with urllib.request.urlopen(self.url + "/health", timeout=2) as response:
                    if response.status == 200:
                        return time.perf_counter() - started
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"the server did not answer within {timeout} s; see {self.log}")

    def figures(self, timeout: float = 30) -> dict | None:
        """The bench route's figures (None with `ontosides serve`, which has no such route, or when the server
        does not answer in time)."""
        if self.cli:
            return None
        try:
            with urllib.request.urlopen(self.url + "/bench/journal", timeout=timeout) as response:
                return json.loads(response.read())
        except OSError:
            return None

    def cpu_s(self) -> float:
        """The server process's CPU seconds so far (from /proc)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def kill9(self) -> None:
        """SIGKILL, and reap it."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self, timeout: float = 120.0) -> int:
        """SIGTERM (uvicorn's clean stop: the journal is drained into the store); the exit code."""
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else 0
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill9()
            return -9


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ============================================================================================================
# The load generator (its own process)
# ============================================================================================================
class Conn(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection, one request at a time."""

    def __init__(self, client: "LoadClient"):
        self.client = client
        self.transport = None
        self.buf = bytearray()
        self.need = -1
        self.status = 0
        self.body_at = 0
        self.request = None

    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if self.need < 0:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buf[:end]).lower()
            self.status = int(head[9:12])
            at = head.find(b"content-length:")
            self.need = end + 4 + (int(head[at + 15:head.find(b"\r\n", at) if head.find(b"\r\n", at) > 0 else None])
                                   if at >= 0 else 0)
            self.body_at = end + 4
        if len(self.buf) < self.need:
            return
        body = bytes(self.buf[self.body_at:self.need])
        del self.buf[:self.need]
        self.need = -1
        request, self.request = self.request, None
        self.client.answered(self, request, self.status, body)

    def connection_lost(self, exc) -> None:
        self.transport = None
        request, self.request = self.request, None
        self.client.lost(self, request)

    def send(self, request: list) -> None:
        self.request = request
        request[5] = self.client.loop.time()
        self.transport.write(request[6])


class LoadClient:
    """Candidates on a schedule: each opens their session, then saves answers with exponential think times whose
    mean follows the phase (start burst, steady, last-minutes burst). Requests wait for a free connection in
    order; latency counts from when a request was due."""

    def __init__(self, job: dict):
        self.job = job
        self.rng = random.Random(job.get("seed", 7))
        self.host, self.port = job["host"], job["port"]
        self.exam, self.number = job["exam"], job["number"]
        self.tokens = [t for _, t in job["tokens"]]
        self.questions = job["questions"]
        self.n = len(self.tokens)
        self.q = len(self.questions)
        self.closed = False
        self.idle: list[Conn] = []
        self.waiting: list = []  # a FIFO kept as a list and a head index
        self.head = 0
        self.inflight = 0
        self.connections = 0
        self.want = job["connections"]
        self.results = {name: array(code) for name, code in (("kind", "b"), ("cand", "i"), ("q", "h"), ("seq", "q"),
                                                              ("due", "d"), ("sent", "d"), ("done", "d"),
                                                              ("status", "h"), ("outcome", "b"), ("mask", "I"))}
        self.opened = [False] * self.n
        self.seq = [job.get("seq_base", 0)] * self.n
        self.order = []
        self.position = [0] * self.n
        for _ in range(self.n):
            order = list(range(self.q))
            self.rng.shuffle(order)
            self.order.append(order)
        self.pending_saves = 0
        self.conns: list[Conn] = []
        self.unreachable_since: float | None = None
        self.stop_on_loss = job.get("stop_on_loss", False)
        self.finished = asyncio.Event()

    # --- the timeline --------------------------------------------------------------------------------
    def factor(self, t: float) -> float:
        """The save-rate multiplier of the phase at t seconds into the run (0 = no new saves)."""
        j = self.job
        if t >= j["end_s"]:
            return 0.0
        for start, end, factor in j["phases"]:
            if start <= t < end:
                return factor
        return 1.0

    def think(self, t: float) -> float | None:
        """Seconds until a candidate's next save, drawn at t (None when the run is over for them)."""
        factor = self.factor(t)
        if factor <= 0:
            # An idle stretch: wait until the next phase with saves.
            later = [s for s, _, f in self.job["phases"] if s > t and f > 0 and s < self.job["end_s"]]
            if not later:
                return None
            return min(later) - t + self.rng.expovariate(1.0) * self.n / (self.job["rate"] * 1.0)
        mean = self.n / (self.job["rate"] * factor)
        if self.rng.random() < self.job.get("revise", 0.25):
            mean *= 0.3  # a tick changed right after another one
        return self.rng.expovariate(1.0 / mean)

    # --- requests ------------------------------------------------------------------------------------
    def open_request(self, cand: int, due: float) -> list:
        token = self.tokens[cand]
        raw = (f"POST /taking/{self.exam}/{self.number}/session HTTP/1.1\r\nhost: 127.0.0.1\r\n"
               f"authorization: Bearer {token}\r\ncontent-length: 0\r\n\r\n").encode()
        return [OPEN, cand, -1, 0, due, 0.0, raw, 0, 0]

    def save_request(self, cand: int, due: float, qi: int | None = None, seq: int | None = None,
                     mask: int | None = None) -> list:
        if qi is None:
            order = self.order[cand]
            if self.rng.random() >= self.job.get("revise", 0.25) or self.position[cand] == 0:
                self.position[cand] += 1
            qi = order[(self.position[cand] - 1) % self.q]
        key, kind, options = self.questions[qi]
        if mask is None:
            if kind == "QRU":
                mask = 1 << self.rng.randrange(len(options))
            else:
                mask = 0
                for k in self.rng.sample(range(len(options)), self.rng.randint(1, min(3, len(options)))):
                    mask |= 1 << k
        if seq is None:
            self.seq[cand] += 1
            seq = self.seq[cand]
        ticked = ",".join(f'"{options[k]}"' for k in range(len(options)) if mask >> k & 1)
        body = f'{{"seq":{seq},"options":[{ticked}]}}'.encode()
        raw = (f"PUT /taking/{self.exam}/{self.number}/answers/{key} HTTP/1.1\r\nhost: 127.0.0.1\r\n"
               f"authorization: Bearer {self.tokens[cand]}\r\ncontent-type: application/json\r\n"
               f"content-length: {len(body)}\r\n\r\n").encode() + body
        return [SAVE, cand, qi, seq, due, 0.0, raw, 0, mask]

    def submit(self, request: list) -> None:
        if self.idle:
            self.inflight += 1
            self.idle.pop().send(request)
        else:
            self.waiting.append(request)

    def _next_waiting(self):
        if self.head < len(self.waiting):
            request = self.waiting[self.head]
            self.head += 1
            if self.head > 4096 and self.head * 2 > len(self.waiting):
                del self.waiting[:self.head]
                self.head = 0
            return request
        return None

    def record(self, request: list, done: float, status: int, outcome: int) -> None:
        r = self.results
        r["kind"].append(request[0])
        r["cand"].append(request[1])
        r["q"].append(request[2])
        r["seq"].append(request[3])
        r["due"].append(request[4] - self.t0)
        r["sent"].append(request[5] - self.t0 if request[5] else -1.0)
        r["done"].append(done - self.t0)
        r["status"].append(status)
        r["outcome"].append(outcome)
        r["mask"].append(request[8])

    def answered(self, conn: Conn, request: list, status: int, body: bytes) -> None:
        now = self.loop.time()
        self.inflight -= 1
        if request[0] == SAVE:
            self.pending_saves -= 1
            if status == 200:
                outcome = KEPT if b'"kept"' in body else SUPERSEDED if b'"superseded"' in body else OTHER
            else:
                outcome = REFUSED if status in (409, 422) else OTHER
            self.record(request, now, status, outcome)
        else:
            self.record(request, now, status, KEPT if status == 200 else OTHER)
            cand = request[1]
            if status == 200:
                self.opened[cand] = True
                # Saves start with the save phase (or at once when the opening overlaps it).
                first = max(now, self.t0 + self.job.get("saves_from_s", 0.0))
                wait = self.think(first - self.t0)
                if wait is not None:
                    self.schedule(first + wait, SAVE, cand)
            elif status >= 500 or status == 0:
                self.schedule(now + 1.0, OPEN, cand)
        self._feed(conn)
        self._check_finished()

    def lost(self, conn: Conn, request: list | None) -> None:
        self.connections -= 1
        if conn in self.idle:
            self.idle.remove(conn)
        if request is not None:
            self.inflight -= 1
            if request[0] == SAVE:
                self.pending_saves -= 1
            self.record(request, self.loop.time(), 0, FAILED)
            if request[0] == OPEN and not self.stop_on_loss:
                self.schedule(self.loop.time() + 1.0, OPEN, request[1])
        if not self.closed:
            self.loop.create_task(self.reconnect())

    async def connect(self) -> bool:
        try:
            transport, conn = await self.loop.create_connection(lambda: Conn(self), self.host, self.port)
        except OSError:
            return False
        self.connections += 1
        self.conns.append(conn)
        self._feed(conn)
        return True

    def _feed(self, conn: Conn) -> None:
        """Give a free connection the next request due, or leave it idle."""
        nxt = self._next_waiting()
        if nxt is not None:
            self.inflight += 1
            conn.send(nxt)
        else:
            self.idle.append(conn)

    async def reconnect(self) -> None:
        delay = 0.02
        while not self.closed:
            if await self.connect():
                self.unreachable_since = None
                return
            if self.unreachable_since is None:
                self.unreachable_since = self.loop.time()
            if self.stop_on_loss:
                self.abandon()
                return
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.5)

    def abandon(self) -> None:
        """The server is gone (kill test): requests not yet sent are dropped, unsent, and the run ends."""
        self.closed = True
        self.heap.clear()
        self.finished.set()

    # --- the schedule --------------------------------------------------------------------------------
    def schedule(self, at: float, kind: int, cand: int) -> None:
        heapq.heappush(self.heap, (at, kind, cand))

    def _check_finished(self) -> None:
        if not self.heap and self.inflight == 0 and self.head >= len(self.waiting) and self.dispatching_over:
            self.finished.set()

    async def run(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.heap: list = []
        self.dispatching_over = False
        for _ in range(self.want):
            for _attempt in range(50):
                if await self.connect():
                    break
                await asyncio.sleep(0.1)
        job = self.job
        self.t0 = self.loop.time() + job.get("delay_s", 0.2)
        wall0 = time.time() + job.get("delay_s", 0.2)
        resend = job.get("resend")
        self.resend_queue = None
        if resend is not None:  # the kill test's last round: every save not acknowledged, sent again as it was
            self.resend_queue = {}
            for cand, qi, seq, mask in resend:
                self.resend_queue.setdefault(cand, []).append((qi, seq, mask))
                self.schedule(self.t0 + self.rng.uniform(0, job.get("resend_s", 5.0)), SAVE, cand)
        for cand in range(self.n):
            if resend is not None:
                break
            if job.get("opened"):
                self.opened[cand] = True
                wait = self.think(0.0)
                if wait is not None:
                    self.schedule(self.t0 + wait, SAVE, cand)
            else:
                self.schedule(self.t0 + self.rng.uniform(0, job["open_s"]), OPEN, cand)
        rusage0 = resource.getrusage(resource.RUSAGE_SELF)
        give_up = self.t0 + job["end_s"] + job.get("drain_timeout_s", 60)
        while not self.closed and (self.heap or self.inflight or self.head < len(self.waiting)):
            now = self.loop.time()
            if now > give_up:  # the server fell that far behind: what is still queued is never sent
                self.heap.clear()
                break
            while self.heap and self.heap[0][0] <= now:
                due, kind, cand = heapq.heappop(self.heap)
                if kind == OPEN:
                    self.submit(self.open_request(cand, due))
                    continue
                if self.resend_queue is not None:
                    qi, seq, mask = self.resend_queue[cand].pop()
                    request = self.save_request(cand, due, qi, seq, mask)
                else:
                    if due - self.t0 >= job["end_s"]:
                        continue  # the run is over for this candidate
                    request = self.save_request(cand, due)
                    wait = self.think(due - self.t0)
                    if wait is not None:
                        self.schedule(due + wait, SAVE, cand)
                self.pending_saves += 1
                self.submit(request)
            await asyncio.sleep(max(0.0, min(self.heap[0][0] - self.loop.time(), 0.05)) if self.heap else 0.005)
        self.dispatching_over = True
        self._check_finished()
        if not self.finished.is_set():
            try:
                await asyncio.wait_for(self.finished.wait(), job.get("drain_timeout_s", 60))
            except asyncio.TimeoutError:
                pass
        self.closed = True
        if self.stop_on_loss:
            await asyncio.sleep(0.3)  # the other connections' losses arrive
        for conn in self.conns:
            if conn.request is not None:  # never answered: not acknowledged
                request, conn.request = conn.request, None
                self.record(request, self.loop.time(), 0, FAILED)
            if conn.transport:
                conn.transport.close()
        rusage1 = resource.getrusage(resource.RUSAGE_SELF)
        self.cpu_s = (rusage1.ru_utime - rusage0.ru_utime) + (rusage1.ru_stime - rusage0.ru_stime)
        self.wall0 = wall0
        self.unsent = len(self.waiting) - self.head


async def saturate(job: dict) -> dict:
    """Closed loop: every connection sends its next save as soon as the last one is answered, for a while
    (how many saves/s the server takes flat out; the client's CPU per request)."""
    client = LoadClient(dict(job, phases=[], end_s=1e9, open_s=0))
    client.loop = asyncio.get_running_loop()
    client.heap = []
    client.t0 = client.loop.time()
    client.dispatching_over = False
    stop_at = client.loop.time() + job["seconds"]
    cursor = [0]

    def next_save(conn: Conn | None = None):
        cand = cursor[0] % client.n
        cursor[0] += 1
        return client.save_request(cand, client.loop.time())

    original = client.answered

    def answered(conn, request, status, body):
        client.inflight -= 1
        outcome = KEPT if status == 200 and b'"kept"' in body else OTHER
        client.record(request, client.loop.time(), status, outcome)
        if client.loop.time() < stop_at:
            client.inflight += 1
            conn.send(next_save())
        else:
            client.idle.append(conn)
            if client.inflight == 0:
                client.finished.set()

    client.answered = answered
    del original
    conns = []
    for _ in range(job["connections"]):
        _, conn = await client.loop.create_connection(lambda: Conn(client), client.host, client.port)
        conns.append(conn)
    rusage0 = resource.getrusage(resource.RUSAGE_SELF)
    for conn in conns:
        client.inflight += 1
        conn.send(next_save())
    await client.finished.wait()
    rusage1 = resource.getrusage(resource.RUSAGE_SELF)
    for conn in conns:
        conn.transport.close()
    r = client.results
    return {"requests": len(r["done"]), "ok": sum(1 for o in r["outcome"] if o == KEPT),
            "cpu_s": (rusage1.ru_utime - rusage0.ru_utime) + (rusage1.ru_stime - rusage0.ru_stime),
            "wall_s": job["seconds"], "latency_ms": [1000 * (d - s) for d, s in zip(r["done"], r["due"])]}


def client_main(job_path: str) -> None:
    """The load generator's process: run a job file, write its samples beside it."""
    try:
        import uvloop  # noqa: F401
        runner = uvloop.run
    except ImportError:
        runner = asyncio.run
    job = json.loads(Path(job_path).read_text())
    out = Path(job["out"])
    if job.get("mode") == "saturate":
        figures = runner(saturate(job))
        out.write_text(json.dumps(figures))
        return
    client = LoadClient(job)
    runner(client.run())
    import numpy as np

    np.savez(out, **{name: np.frombuffer(values, dtype=values.typecode) if len(values) else
                     np.zeros(0, dtype=values.typecode) for name, values in client.results.items()},
             meta=np.array(json.dumps({"cpu_s": client.cpu_s, "wall0": client.wall0, "unsent": client.unsent,
                                       "seq_max": max(client.seq) if client.seq else 0})))


def run_client(job: dict, name: str, folder: Path) -> subprocess.Popen:
    """Start the load generator on a job (its samples go to folder/name.npz)."""
    job_path = folder / f"{name}.job.json"
    job["out"] = str(folder / (f"{name}.npz" if job.get("mode") != "saturate" else f"{name}.json"))
    job_path.write_text(json.dumps(job))
    path = [str(EXTRAS)] if EXTRAS.exists() else []  # the load generator runs on uvloop when it is there
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(path + [str(ROOT), os.environ.get("PYTHONPATH", "")]))
    return subprocess.Popen([sys.executable, "-m", "bench.exam_load", "client", str(job_path)], cwd=ROOT, env=env)


def load_samples(path: Path) -> tuple[dict, dict]:
    """A client's samples (numpy arrays) and its meta figures."""
    import numpy as np

    with np.load(path) as data:
        samples = {k: data[k] for k in data.files if k != "meta"}
        meta = json.loads(str(data["meta"]))
    return samples, meta


# ============================================================================================================
# Figures
# ============================================================================================================
def pct(values, qs=(50, 95, 99)) -> list[float]:
    """Percentiles of a non-empty array (NaN when empty)."""
    import numpy as np

    if len(values) == 0:
        return [float("nan")] * len(qs)
    return [float(v) for v in np.percentile(values, qs)]


def phase_windows(job: dict) -> list[tuple[str, float, float]]:
    """(name, start, end) seconds of the run's phases, for the figures."""
    return [(name, start, end) for name, start, end in job["phase_names"]]


def summarise(samples: dict, job: dict) -> dict:
    """Throughput, latency and errors, overall and per phase."""
    import numpy as np

    kind, due, done, sent = samples["kind"], samples["due"], samples["done"], samples["sent"]
    status, outcome = samples["status"], samples["outcome"]
    latency = 1000 * (done - due)
    service = 1000 * (done - np.where(sent >= 0, sent, done))
    saves, opens = kind == SAVE, kind == OPEN
    out = {"opens": int(opens.sum()), "saves": int(saves.sum())}
    ok_open = opens & (status == 200)
    out["open_ms"] = dict(zip(("p50", "p95", "p99"), pct(latency[ok_open])))
    out["open_max_ms"] = float(latency[ok_open].max()) if ok_open.any() else float("nan")
    out["open_errors"] = int((opens & (status != 200)).sum())
    ok_save = saves & (status == 200)
    out["save_ms"] = dict(zip(("p50", "p95", "p99"), pct(latency[ok_save])))
    out["save_service_ms"] = dict(zip(("p50", "p95", "p99"), pct(service[ok_save])))
    out["save_max_ms"] = float(latency[ok_save].max()) if ok_save.any() else float("nan")
    out["save_outcomes"] = {"kept": int((saves & (outcome == KEPT)).sum()),
                            "superseded": int((saves & (outcome == SUPERSEDED)).sum()),
                            "refused": int((saves & (outcome == REFUSED)).sum()),
                            "other_status": int((saves & (outcome == OTHER)).sum()),
                            "connection_failed": int((saves & (outcome == FAILED)).sum())}
    out["errors"] = int((saves & (status != 200)).sum()) + out["open_errors"]
    phases = {}
    for name, start, end in phase_windows(job):
        in_phase = ok_save & (done >= start) & (done < end)
        span = max(end - start, 1e-9)
        phases[name] = {"seconds": round(span, 1), "saves_per_s": float(in_phase.sum() / span),
                        "offered_per_s": float((saves & (due >= start) & (due < end)).sum() / span),
                        **dict(zip(("p50_ms", "p95_ms", "p99_ms"), pct(latency[in_phase])))}
    out["phases"] = phases
    # The best 60 s (sliding by 1 s) of completed saves: what the server sustained.
    ends = np.sort(done[ok_save])
    best = 0.0
    if len(ends):
        for start in np.arange(0, max(ends[-1] - 60, 0) + 1, 1.0):
            count = np.searchsorted(ends, start + 60) - np.searchsorted(ends, start)
            best = max(best, count / 60)
    out["best_60s_saves_per_s"] = float(best)
    return out


def show(figures: dict) -> None:
    """Print a run's figures."""
    s = figures["summary"]
    print(f"\nsessions opened: {s['opens']:,} ({s['open_errors']} errors): latency p50 {s['open_ms']['p50']:.1f} ms, "
          f"p95 {s['open_ms']['p95']:.1f} ms, p99 {s['open_ms']['p99']:.1f} ms, max {s['open_max_ms']:.0f} ms "
          f"(goal p95 ≤ {GOAL_OPEN_P95_MS:g} ms)")
    print(f"saves: {s['saves']:,}; outcomes {s['save_outcomes']}; errors {s['errors']}"
          + (f"; {figures['unsent']:,} saves never sent (the server fell behind past the run's end)"
             if figures.get("unsent") else ""))
    print(f"save latency (from due time) p50 {s['save_ms']['p50']:.1f} ms, p95 {s['save_ms']['p95']:.1f} ms, "
          f"p99 {s['save_ms']['p99']:.1f} ms, max {s['save_max_ms']:.0f} ms (goal p99 ≤ {GOAL_P99_MS:g} ms); "
          f"on the wire p99 {s['save_service_ms']['p99']:.1f} ms")
    print(f"{'phase':<16}{'s':>6}{'offered/s':>11}{'saves/s':>10}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
    for name, p in s["phases"].items():
        print(f"{name:<16}{p['seconds']:>6.0f}{p['offered_per_s']:>11,.0f}{p['saves_per_s']:>10,.0f}"
              f"{p['p50_ms']:>9.1f}{p['p95_ms']:>9.1f}{p['p99_ms']:>9.1f}")
    steady = s["phases"].get("steady", {}).get("saves_per_s", float("nan"))
    print(f"sustained (steady phase): {steady:,.0f} saves/s; best 60 s: {s['best_60s_saves_per_s']:,.0f} saves/s "
          f"= {s['best_60s_saves_per_s'] / FLOOR_FSYNC:.2f}× the fsync-per-request floor ({FLOOR_FSYNC:,}/s), "
          f"{s['best_60s_saves_per_s'] / FLOOR_APPEND:.2f}× the plain-append floor ({FLOOR_APPEND:,}/s)")
    j = figures.get("journal")
    if j:
        print(f"journal: {j['records']:,} records in {j['groups']:,} groups (mean {j['records'] / max(j['groups'], 1):.1f}, "
              f"largest {j['largest_group']}), applied in {j['apply_batches']:,} store updates; applier lag max "
              f"{figures['lag_max']:,} records, {figures['drain_s']:.1f} s to drain after the last save")
    cpu = figures.get("cpu", {})
    if cpu:
        print(f"CPU during the run: server {cpu['server_s']:.0f} s ({cpu['server_pct']:.0f} % of one core), load "
              f"generator {cpu['client_s']:.0f} s ({cpu['client_us_per_request']:.0f} µs per request), over "
              f"{cpu['wall_s']:.0f} s")
    verdict = (steady >= GOAL_RATE and s["save_ms"]["p99"] <= GOAL_P99_MS and s["errors"] == 0
               and not figures.get("unsent"))
    print(f"goal ≥ {GOAL_RATE:,} saves/s sustained, p99 ≤ {GOAL_P99_MS:g} ms, 0 errors: "
          f"{'met' if verdict else 'NOT met'}; open p95 ≤ {GOAL_OPEN_P95_MS:g} ms: "
          f"{'met' if s['open_ms']['p95'] <= GOAL_OPEN_P95_MS else 'NOT met'}")


def profile_job(plan: dict, port: int, candidates: list, args) -> dict:
    """The run's timeline: every session opened (paced), then the saves: start burst, steady, last minutes."""
    open_s = len(candidates) / args.open_rate
    saves_from = 0.0 if args.overlap else open_s + 2.0
    burst_end = saves_from + args.start_burst_seconds
    steady_end = burst_end + args.steady
    end = steady_end + args.final
    return {"host": "127.0.0.1", "port": port, "exam": plan["exam"], "number": plan["number"], "tokens": candidates,
            "questions": plan["questions"], "connections": args.connections, "rate": args.rate, "open_s": open_s,
            "saves_from_s": saves_from,
            "phases": [[0, burst_end, args.start_factor], [burst_end, steady_end, 1.0], [steady_end, end, args.final_factor]],
            "phase_names": [["start burst", saves_from, burst_end], ["steady", burst_end, steady_end],
                            ["last minutes", steady_end, end]],
            "end_s": end, "revise": 0.25, "seed": args.seed, "drain_timeout_s": 30}


def warm_up(server: Server, plan: dict, token: str) -> float:
    """One candidate's heartbeat, so the épreuve's snapshot is read before the crowd arrives (read cold by
    hundreds of requests at once, every thread of the pool reads it in parallel); the seconds it took."""
    started = time.perf_counter()
    request = urllib.request.Request(f"{server.url}/taking/{plan['exam']}/{plan['number']}/heartbeat", method="POST",
                                     headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=300) as response:
        response.read()
    return time.perf_counter() - started


def watch(server: Server, client: subprocess.Popen, every: float = 1.0) -> tuple[int, list]:
    """Poll the journal's figures while the client runs: the largest applier lag, the samples."""
    lag_max, samples = 0, []
    while client.poll() is None:
        time.sleep(every)
        figures = server.figures(timeout=5)
        if figures:
            lag_max = max(lag_max, figures.get("lag", 0))
            samples.append((time.time(), figures.get("lag", 0), figures.get("records", 0), figures.get("cpu_s", 0)))
    return lag_max, samples


def drain_time(server: Server, timeout: float = 300.0) -> float:
    """Seconds until the applier has put every written record into the store."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        figures = server.figures()
        if not figures or figures.get("lag", 0) == 0:
            break
        time.sleep(0.2)
    return time.perf_counter() - started


def load_run(args) -> dict:
    """One full run: prepare, serve, open every session and save on the profile; the figures."""
    plan = prepare_base(args.candidates, args.questions, args.fresh)
    people = tokens(args.candidates, args.questions)
    run = OUT / "exam-run"
    reused = args.reuse and reusable(run)
    if reused:
        start = dt.datetime.fromisoformat(json.loads((run / "run.json").read_text())["start"])
        print(f"reusing {run}: its sessions are open (started {start.isoformat()})")
    else:
        start = prepare_run(plan, run)
    port = free_port()
    server = Server(run, port, http=args.http, loop=args.loop, cli=args.cli, as_is=args.as_is,
                    taking_first=args.taking_first)
    up = server.start()
    wait = (start - dt.datetime.now(dt.timezone.utc)).total_seconds() + 0.3
    if wait > 0:
        time.sleep(wait)
    warm = warm_up(server, plan, people[0][1])
    print(f"server up in {up:.1f} s, épreuve read in {warm:.1f} s on {server.url} (pid {server.process.pid}); épreuve {plan['exam']}-1 opened at "
          f"{start.isoformat()}; {args.candidates:,} candidates × {len(plan['questions'])} questions")
    job = profile_job(plan, port, people, args)
    if reused:  # every session is open: the saves start at once, with sequence numbers above the last run's
        job.update(opened=True, saves_from_s=0.0, seq_base=int(time.time() * 1000) * 1000)
        offset = job["phase_names"][0][1]
        job["phases"] = [[max(a - offset, 0), b - offset, f] for a, b, f in job["phases"]]
        job["phase_names"] = [[n, a - offset, b - offset] for n, a, b in job["phase_names"]]
        job["end_s"] -= offset
    try:
        cpu0 = server.cpu_s()
        wall0 = time.perf_counter()
        client = run_client(job, "exam_load", OUT)
        try:
            lag_max, lag_samples = watch(server, client) if not args.cli else (0, [])
        finally:
            client.wait()
        wall = time.perf_counter() - wall0
        cpu1 = server.cpu_s()
        drain = drain_time(server)
        journal = server.figures()
    except BaseException:
        server.kill9()
        raise
    samples, meta = load_samples(OUT / "exam_load.npz")
    summary = summarise(samples, job)
    if not reused and summary["opens"] - summary["open_errors"] >= len(people):
        mark_opened(run)
    figures = {"when": dt.datetime.now().isoformat(timespec="seconds"), "args": vars(args), "summary": summary,
               "journal": journal, "lag_max": lag_max, "drain_s": drain, "unsent": meta["unsent"],
               "cpu": {"server_s": cpu1 - cpu0, "server_pct": 100 * (cpu1 - cpu0) / wall, "client_s": meta["cpu_s"],
                       "client_us_per_request": 1e6 * meta["cpu_s"] / max(summary["saves"] + summary["opens"], 1),
                       "wall_s": wall},
               "lag_samples": lag_samples}
    code = server.stop()
    figures["server_exit"] = code
    return figures


# ============================================================================================================
# wrk or this client: which leaves more CPU to the server
# ============================================================================================================
WRK_SCRIPT = r"""
-- Saves from a file of "path<TAB>token<TAB>options-json" lines; each thread takes its own candidates, with an
-- increasing sequence number, so every save is a new one the server journals.
local lines = {}
for line in io.lines(os.getenv("EXAM_REQUESTS")) do
  local path, token, options = line:match("([^\t]+)\t([^\t]+)\t(.*)")
  lines[#lines + 1] = {path, "Bearer " .. token, options}
end
local threads, counter = 0, 0
function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end
function init(args)
  nthreads = tonumber(os.getenv("EXAM_THREADS"))
  counter = id
  seq = 0
end
function request()
  local l = lines[(counter % #lines) + 1]
  counter = counter + nthreads
  seq = seq + 1
  return wrk.format("PUT", l[1], {["Authorization"] = l[2], ["Content-Type"] = "application/json"},
                    '{"seq":' .. seq .. ',"options":' .. l[3] .. '}')
end
"""


def generators(args) -> None:
    """Run wrk (Debian's) and this client flat out in turn on the same server: saves/s and the generator's CPU."""
    plan = prepare_base(args.candidates, args.questions, args.fresh)
    people = tokens(args.candidates, args.questions)
    run = OUT / "exam-run"
    reused = reusable(run)
    start = dt.datetime.fromisoformat(json.loads((run / "run.json").read_text())["start"]) if reused else (
        prepare_run(plan, run))
    server = Server(run, free_port(), http=args.http, loop=args.loop, taking_first=args.taking_first)
    server.start()
    time.sleep(max(0.0, (start - dt.datetime.now(dt.timezone.utc)).total_seconds() + 0.3))
    warm_up(server, plan, people[0][1])
    job = profile_job(plan, server.port, people, args)
    if not reused:
        print("opening every session first ...")
        job.update(end_s=0.0, phases=[])
        run_client(job, "generators-open", OUT).wait()
        mark_opened(run)
    requests = OUT / "wrk-requests.tsv"
    rng = random.Random(3)
    with requests.open("w") as out:
        for cand, (_, token) in enumerate(people):
            for _ in range(2):
                key, kind, options = plan["questions"][rng.randrange(len(plan["questions"]))]
                ticked = [options[rng.randrange(len(options))]]
                out.write(f"/taking/{plan['exam']}/1/answers/{key}\t{token}\t{json.dumps(ticked)}\n")
    script = OUT / "exam_wrk.lua"
    script.write_text(WRK_SCRIPT)
    results = []
    for round_ in range(args.generator_rounds):
        for name in ("wrk", "asyncio"):
            cpu0 = server.cpu_s()
            if name == "wrk":
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                env = dict(os.environ, EXAM_REQUESTS=str(requests), EXAM_THREADS="1")
                done = subprocess.run(["wrk", "-t1", f"-c{args.connections}", f"-d{args.generator_seconds}s",
                                       "--latency", "-s", str(script), server.url], env=env, capture_output=True,
                                      text=True)
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
                total = int(next(line.split()[0] for line in done.stdout.splitlines() if "requests in" in line))
                non2xx = sum(int(line.split(":")[1]) for line in done.stdout.splitlines() if "Non-2xx" in line)
                p99 = next((line.split()[1] for line in done.stdout.splitlines() if line.strip().startswith("99%")),
                           "?")
                figures = {"requests": total, "cpu_s": cpu, "non_2xx": non2xx, "p99": p99}
            else:
                sjob = dict(job, mode="saturate", seconds=args.generator_seconds, seq_base=10_000_000 * (round_ + 1))
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                run_client(sjob, "generators-asyncio", OUT).wait()
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                got = json.loads((OUT / "generators-asyncio.json").read_text())
                cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
                figures = {"requests": got["requests"], "cpu_s": cpu, "non_2xx": got["requests"] - got["ok"],
                           "p99": f"{pct(got['latency_ms'])[2]:.1f}ms"}
            server_cpu = server.cpu_s() - cpu0
            rate = figures["requests"] / args.generator_seconds
            results.append((name, rate, figures, server_cpu))
            print(f"{name:<8} {rate:8,.0f} saves/s flat out ({args.connections} connections), p99 {figures['p99']}, "
                  f"not kept {figures['non_2xx']}; generator CPU {figures['cpu_s']:.1f} s = "
                  f"{1e6 * figures['cpu_s'] / max(figures['requests'], 1):.0f} µs/request; server CPU "
                  f"{server_cpu:.1f} s = {100 * server_cpu / args.generator_seconds:.0f} % of a core")
            time.sleep(2)
    server.stop()
    (OUT / "exam_generators.json").write_text(json.dumps(results, indent=1))


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["client"]:
        client_main(argv[1])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=8_200)
    parser.add_argument("--questions", type=int, default=120)
    parser.add_argument("--rate", type=float, default=2_200, help="steady offered saves/s")
    parser.add_argument("--open-rate", type=float, default=50, help="sessions opened per second (paced, random)")
    parser.add_argument("--overlap", action="store_true", help="candidates save as soon as their session is open")
    parser.add_argument("--start-burst-seconds", type=float, default=20, help="start burst after the opening")
    parser.add_argument("--start-factor", type=float, default=1.5, help="save-rate multiplier of the start burst")
    parser.add_argument("--steady", type=float, default=120, help="seconds of steady saving")
    parser.add_argument("--final", type=float, default=30, help="seconds of the last-minutes burst")
    parser.add_argument("--final-factor", type=float, default=1.5, help="save-rate multiplier of the last minutes")
    parser.add_argument("--connections", type=int, default=256, help="keep-alive connections of the load generator")
    parser.add_argument("--http", default="auto", help="uvicorn's HTTP parser: auto, h11, httptools")
    parser.add_argument("--loop", default="auto", help="uvicorn's event loop: auto, asyncio, uvloop")
    parser.add_argument("--cli", action="store_true", help="serve with `ontosides serve` (access log on)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--taking-first", action="store_true",
                        help="match EXAMEN's routes first (see taking_first: a proposed change of api/app.py)")
    parser.add_argument("--as-is", action="store_true",
                        help="without the bench's one-VALUES-block-per-variable binding (see values_per_variable)")
    parser.add_argument("--fresh", action="store_true", help="rebuild the prepared store")
    parser.add_argument("--generators", action="store_true", help="compare wrk and this client flat out")
    parser.add_argument("--generator-seconds", type=int, default=15)
    parser.add_argument("--generator-rounds", type=int, default=2)
    parser.add_argument("--prepare-only", action="store_true")
    parser.add_argument("--reuse", action="store_true",
                        help="reuse the last run's store while its épreuve is open: sessions stay open, saves only "
                             "(for profiling; the figures of record open every session)")
    args = parser.parse_args(argv)
    OUT.mkdir(exist_ok=True)
    if args.prepare_only:
        prepare_base(args.candidates, args.questions, args.fresh)
        return
    if args.generators:
        generators(args)
        return
    figures = load_run(args)
    show(figures)
    name = OUT / f"exam_load-{dt.datetime.now().strftime('%Y%m%d-%H%M%S')}.json"
    name.write_text(json.dumps(figures, indent=1, default=str))
    print(f"figures -> {name}")


if __name__ == "__main__":
    main()
