"""A private Virtuoso 7 for tests and benchmarks: loopback ports, a throw-away folder, stopped by PID."""

from __future__ import annotations

import ctypes
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from store.dialects import VIRTUOSO_SYSTEM_GRAPHS
from tests.net import free_port, wait_until_up

USER = "ontosides"
PR_SET_PDEATHSIG = 1

# Small buffers: 2 cores and 24 GB shared with the rest of the suite; 8 KiB pages, so ~80 MB of pool.
INI = """\
[Database]
DatabaseFile       = {dir}/virtuoso.db
ErrorLogFile       = {dir}/virtuoso.log
LockFile           = {dir}/virtuoso.lck
TransactionFile    = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
FileExtend         = 200
Striping           = 0
TempStorage        = TempDatabase

[TempDatabase]
DatabaseFile       = {dir}/virtuoso-temp.db
TransactionFile    = {dir}/virtuoso-temp.trx
Striping           = 0

[Parameters]
ServerPort         = 127.0.0.1:{sql_port}
DisableUnixSocket  = 1
ServerThreads      = 4
CheckpointInterval = 0
NumberOfBuffers    = {buffers}
MaxDirtyBuffers    = {dirty}
DirsAllowed        = {dir}
CaseMode           = 2

[HTTPServer]
ServerPort         = 127.0.0.1:{http_port}
ServerRoot         = {dir}
ServerThreads      = 4
EnabledDavVSP      = 0

[SPARQL]
; Virtuoso truncates larger results silently: keep this above ONTOSIDES_MAX_RESULTS
ResultSetMaxRows   = 10000000
"""


def setup_sql(user: str, password: str) -> str:
    """What an operator runs once (isql-vt, as dba): a user for updates, Virtuoso's own graphs made private.

    Graphs in the PrivateGraphs group are invisible to users whose default permissions on private graphs
    are 0 ("nobody" is the anonymous /sparql user), so the default graph is the union of the data graphs.
    """
    private = "http://www.openlinksw.com/schemas/virtrdf#PrivateGraphs"
    return "".join([
        f"DB.DBA.USER_CREATE('{user}', '{password}'); ",
        f'GRANT SPARQL_UPDATE TO "{user}"; ',
        f"DB.DBA.RDF_GRAPH_GROUP_CREATE('{private}', 1); ",
        *(f"DB.DBA.RDF_GRAPH_GROUP_INS('{private}', '{g}'); " for g in VIRTUOSO_SYSTEM_GRAPHS),
        "DB.DBA.RDF_DEFAULT_USER_PERMS_SET('nobody', 0, 1); ",
        f"DB.DBA.RDF_DEFAULT_USER_PERMS_SET('{user}', 0, 1); ",
    ])


def _die_with_parent() -> None:
    """In the child: the kernel sends SIGTERM when the test process dies, even by SIGKILL (no orphan)."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class VirtuosoServer:
    """`virtuoso-t` in the foreground on free loopback ports, with a user allowed SPARQL updates."""

    buffers: int = 10_000
    password: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    started_in_s: float = 0.0

    def __post_init__(self):
        self.folder = Path(tempfile.mkdtemp(prefix="virtuoso-"))
        self.sql_port = free_port()
        self.http_port = free_port()
        self.url = f"http://127.0.0.1:{self.http_port}"
        self.user = USER
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> VirtuosoServer:
        exe = shutil.which("virtuoso-t")
        if exe is None or shutil.which("isql-vt") is None:
            raise RuntimeError("virtuoso-t / isql-vt are missing: `make test` installs virtuoso-opensource-7-bin")
        (self.folder / "virtuoso.ini").write_text(INI.format(
            dir=self.folder, sql_port=self.sql_port, http_port=self.http_port,
            buffers=self.buffers, dirty=self.buffers * 3 // 4))
        started = time.monotonic()
        self.process = subprocess.Popen([exe, "-f", "-c", "virtuoso.ini"], cwd=self.folder,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                                        start_new_session=True, preexec_fn=_die_with_parent)
        try:
            if not wait_until_up(f"{self.url}/sparql", {"query": "ASK {}"}, self.process, 60):
                log = self.folder / "virtuoso.log"
                tail = log.read_text(errors="replace")[-800:] if log.exists() else ""
                raise RuntimeError(f"Virtuoso did not start (exit {self.process.poll()}): {tail}")
            self._sql(setup_sql(self.user, self.password))
        except BaseException:
            self.stop()
            raise
        self.started_in_s = time.monotonic() - started
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def _sql(self, statement: str) -> None:
        """Run SQL as the throw-away database's dba (isql-vt exits 0 even on errors: read its output)."""
        done = subprocess.run(["isql-vt", f"127.0.0.1:{self.sql_port}", "dba", "dba", f"exec={statement}"],
                              capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
        if done.returncode or "*** Error" in done.stdout + done.stderr:
            raise RuntimeError(f"isql-vt failed: {done.stdout[-400:]} {done.stderr[-400:]}")

    def bulk_load(self, path: Path) -> None:
        """Load an N-Quads file with Virtuoso's own bulk loader (for benchmarks: the platform uses the Graph Store)."""
        link = self.folder / "load.nq"
        link.symlink_to(Path(path).resolve())
        self._sql(f"ld_add('{link}', 'urn:ontosides:bulk'); rdf_loader_run(); checkpoint;")
        link.unlink()

    def stop(self) -> None:
        """Stop the server (TERM, then KILL after 20 s) and remove its folder."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        shutil.rmtree(self.folder, ignore_errors=True)
