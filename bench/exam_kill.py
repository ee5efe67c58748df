"""EXAMEN's promise under `kill -9`: every save acknowledged "kept" is in the store after a restart, with its
latest sequence number — none lost, none duplicated — whenever the server dies.

The setup of `bench.exam_load` (the 8,200 × 120 épreuve, a real uvicorn process, the same load generator), with
fewer candidates answering (`--active`, 2,000 by default) for shorter stretches. The server is killed with
SIGKILL at three moments, restarted on the same store (the journal replays what the store missed), and the
store is read back through SPARQL after each restart:

1. idle: saves were sent and answered, none is in flight;
2. mid-burst: while a burst of saves is in flight;
3. during a group commit: the journal's writer thread is seen inside the synchronous write of a group (its
   segment is O_DSYNC; /proc/<pid>/task/*/syscall) while a stream of saves is in flight, and killed then.

A save is acknowledged when it got 200 with status "kept". After each restart, for every (candidate, question):
the stored sequence number is at least the highest acknowledged one (else lost), is one the client sent (else
phantom), with the options sent with it (else wrong), and each answer has one sequence number in one graph
(else duplicated). A save whose answer was lost with the connection may or may not be stored (it was never
acknowledged). At the end the client sends again, as a browser would, every save it has no acknowledgement
for, and then each stored answer must be exactly the last one sent.

    python -m bench.exam_kill [--active 2000] [--rate 1500] [--candidates 8200] [--questions 120]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

from bench.exam_load import (ADMIN_TOKEN, FAILED, KEPT, OUT, SAVE, Server, free_port, load_samples, prepare_base,
                             prepare_run, run_client, tokens, warm_up)

GROUP_COMMIT_SYSCALLS = {"1", "74", "75"}  # x86_64: write, fsync, fdatasync


class Ledger:
    """What the client sent and what the server acknowledged, per (candidate, question)."""

    def __init__(self):
        self.sent: dict[tuple[int, int], dict[int, int]] = {}  # (cand, q) -> seq -> option mask
        self.acked: dict[tuple[int, int], int] = {}
        self.counts = {"sent": 0, "acked": 0, "failed": 0, "superseded": 0, "other": 0}

    def add(self, samples: dict) -> dict:
        """Take a round's samples in; the round's counts."""
        counts = {"sent": 0, "acked": 0, "failed": 0, "superseded": 0, "other": 0}
        kind, cand, q, seq = samples["kind"], samples["cand"], samples["q"], samples["seq"]
        status, outcome, mask = samples["status"], samples["outcome"], samples["mask"]
        for i in range(len(kind)):
            if kind[i] != SAVE:
                continue
            key = (int(cand[i]), int(q[i]))
            self.sent.setdefault(key, {})[int(seq[i])] = int(mask[i])
            counts["sent"] += 1
            if outcome[i] == FAILED:
                counts["failed"] += 1
            elif status[i] == 200 and outcome[i] == KEPT:
                counts["acked"] += 1
                self.acked[key] = max(self.acked.get(key, -1), int(seq[i]))
            elif status[i] == 200:
                counts["superseded"] += 1
            else:
                counts["other"] += 1
        for name, value in counts.items():
            self.counts[name] += value
        return counts

    def unacknowledged(self) -> list[tuple[int, int, int, int]]:
        """(cand, q, seq, mask) of every answer whose last sent save has no acknowledgement."""
        out = []
        for key, seqs in self.sent.items():
            last = max(seqs)
            if self.acked.get(key, -1) < last:
                out.append((key[0], key[1], last, seqs[last]))
        return out


def stored_answers(server: Server, plan: dict, people: list, questions: list) -> tuple[dict, dict, int]:
    """Through SPARQL: (cand, q) -> list of (graph, seq) stored, and -> set of selected options; answers of
    unknown candidates or questions."""
    prefix = f"https://data.ontosides.fr/graph/copy/{plan['exam']}-{plan['number']}/"
    cand_of = {key: i for i, (key, _) in enumerate(people)}
    q_of = {key: i for i, (key, _, _) in enumerate(questions)}
    seqs: dict[tuple[int, int], list] = {}
    options: dict[tuple[int, int], set] = {}
    unknown = 0

    def rows(query: str):
        data = urllib.parse.urlencode({"query": query}).encode()
        request = urllib.request.Request(server.url + "/sparql", data=data, method="POST", headers={
            "Authorization": f"Bearer {ADMIN_TOKEN}", "Accept": "application/sparql-results+json",
            "Content-Type": "application/x-www-form-urlencoded"})
        with urllib.request.urlopen(request, timeout=600) as response:
            return json.loads(response.read())["results"]["bindings"]

    def key_of(answer: str):
        person, question = answer.rsplit("/", 2)[-2:]
        if person not in cand_of or question not in q_of:
            return None
        return cand_of[person], q_of[question]

    os_ = "https://w3id.org/ontosides#"
    for row in rows(f'SELECT ?g ?a ?seq WHERE {{ GRAPH ?g {{ ?a <{os_}sequence> ?seq }} '
                    f'FILTER(STRSTARTS(STR(?g), "{prefix}")) }}'):
        key = key_of(row["a"]["value"])
        if key is None:
            unknown += 1
            continue
        seqs.setdefault(key, []).append((row["g"]["value"], int(row["seq"]["value"])))
    for row in rows(f'SELECT ?a ?o WHERE {{ GRAPH ?g {{ ?a <{os_}selectedOption> ?o }} '
                    f'FILTER(STRSTARTS(STR(?g), "{prefix}")) }}'):
        key = key_of(row["a"]["value"])
        if key is not None:
            options.setdefault(key, set()).add(row["o"]["value"])
    return seqs, options, unknown


def check(server: Server, plan: dict, people: list, ledger: Ledger, final: bool = False) -> dict:
    """Every acknowledged save against the store (after a restart); `final`: each answer is the last sent."""
    questions = plan["questions"]
    started = time.perf_counter()
    seqs, options, unknown = stored_answers(server, plan, people, questions)
    result = {"acknowledged": len(ledger.acked), "stored": len(seqs), "lost": 0, "duplicated": 0, "phantom": 0,
              "wrong_options": 0, "not_last_sent": 0, "durable_unacknowledged": 0, "unknown": unknown}
    for key, found in seqs.items():
        if len(found) > 1:
            result["duplicated"] += 1
        seq = max(s for _, s in found)
        sent = ledger.sent.get(key, {})
        if seq not in sent:
            result["phantom"] += 1
            continue
        _, kind, option_iris = questions[key[1]]
        expected = {option_iris[k] for k in range(len(option_iris)) if sent[seq] >> k & 1}
        if options.get(key, set()) != expected:
            result["wrong_options"] += 1
        if seq > ledger.acked.get(key, -1):
            result["durable_unacknowledged"] += 1
        if final and seq != max(sent):
            result["not_last_sent"] += 1
    for key, acked in ledger.acked.items():
        found = seqs.get(key)
        if not found or max(s for _, s in found) < acked:
            result["lost"] += 1
    if final:
        result["not_last_sent"] += sum(1 for key in ledger.sent if key not in seqs)
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


def journal_fds(pid: int) -> set[str]:
    """The file descriptors (as /proc/<pid>/task/*/syscall prints them, in hex) of the answer journal's segments."""
    found = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if "-journal/answers-" in target:
            found.add(hex(int(fd)))
    return found


def in_group_commit(pid: int, fds: set[str]) -> str | None:
    """The id of a thread inside a group commit now: a synchronous write(2) (the segment is O_DSYNC) or an
    fsync/fdatasync of the journal (None when no thread is)."""
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            call = Path(f"/proc/{pid}/task/{task}/syscall").read_text().split()
        except OSError:
            continue
        if len(call) > 1 and call[1] in fds and call[0] in GROUP_COMMIT_SYSCALLS:
            return task
    return None


def job_for(plan: dict, port: int, people: list, args, *, seconds: float, rate: float, seq_base: int,
            opened: bool) -> dict:
    """A round of the load generator: (open, then) save at a flat rate for a while."""
    open_s = 0.0 if opened else len(people) / args.open_rate
    saves_from = 0.0 if opened else open_s + 1.0
    return {"host": "127.0.0.1", "port": port, "exam": plan["exam"], "number": plan["number"], "tokens": people,
            "questions": plan["questions"], "connections": args.connections, "rate": rate, "open_s": open_s,
            "saves_from_s": saves_from, "opened": opened, "phases": [[0, saves_from + seconds, 1.0]],
            "end_s": saves_from + seconds, "revise": 0.25, "seed": seq_base % 1000 + 11, "seq_base": seq_base,
            "stop_on_loss": True, "drain_timeout_s": 60}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=8_200)
    parser.add_argument("--questions", type=int, default=120)
    parser.add_argument("--active", type=int, default=2_000, help="candidates who open a session and answer")
    parser.add_argument("--open-rate", type=float, default=50)
    parser.add_argument("--rate", type=float, default=1_500, help="offered saves/s of the stream")
    parser.add_argument("--burst-factor", type=float, default=2.0, help="the burst's rate multiplier")
    parser.add_argument("--connections", type=int, default=256)
    parser.add_argument("--fresh", action="store_true", help="rebuild the prepared store")
    args = parser.parse_args(argv)
    OUT.mkdir(exist_ok=True)
    plan = prepare_base(args.candidates, args.questions, args.fresh)
    people = tokens(args.candidates, args.questions)[:args.active]
    run = OUT / "exam-kill-run"
    start = prepare_run(plan, run)
    server = Server(run, free_port())
    ledger = Ledger()
    report = []
    print(f"épreuve {plan['exam']}-1: {args.candidates:,} candidates × {len(plan['questions'])} questions; "
          f"{len(people):,} answer; server on {server.url}")
    try:
        server.start()
        time.sleep(max(0.0, (start - dt.datetime.now(dt.timezone.utc)).total_seconds() + 0.3))
        warm_up(server, plan, people[0][1])
        rounds = [("idle", 15.0, args.rate, False), ("mid-burst", 20.0, args.rate * args.burst_factor, True),
                  ("group commit", 20.0, args.rate, True)]
        for n, (moment, seconds, rate, opened) in enumerate(rounds, 1):
            job = job_for(plan, server.port, people, args, seconds=seconds, rate=rate, seq_base=n * 1_000_000_000,
                          opened=opened)
            client = run_client(job, f"exam_kill-{n}", OUT)
            before = server.figures(timeout=5) or {}
            how = ""
            if moment == "idle":
                client.wait()
                time.sleep(2.0)
                before = server.figures(timeout=5) or {}
                how = "the client had finished (nothing in flight) 2 s before"
            elif moment == "mid-burst":
                time.sleep(job["saves_from_s"] + seconds / 2)
                before = server.figures(timeout=5) or {}
                how = f"{seconds / 2:.0f} s into a burst of {rate:,.0f} saves/s offered"
            else:
                time.sleep(job["saves_from_s"] + seconds / 3)
                before = server.figures(timeout=5) or {}
                polls, found, waited = 0, None, time.perf_counter()
                fds = journal_fds(server.process.pid)
                while found is None and time.perf_counter() - waited < seconds / 2:
                    found = in_group_commit(server.process.pid, fds)
                    polls += 1
                how = (f"journal writer thread {found} seen inside its synchronous write of a group "
                       f"(after {polls} polls of /proc)" if found else "no group commit seen: killed anyway")
            server.kill9()
            client.wait()
            samples, meta = load_samples(OUT / f"exam_kill-{n}.npz")
            counts = ledger.add(samples)
            restarted = time.perf_counter()
            server.start()
            up = time.perf_counter() - restarted
            figures = server.figures() or {}
            result = check(server, plan, people, ledger)
            report.append({"moment": moment, "how": how, "round": counts, "journal_before": before,
                           "replayed": figures.get("replayed"), "restart_s": round(up, 1), "check": result})
            print(f"\n{n}. kill -9 at {moment}: {how}")
            print(f"   this round: {counts['sent']:,} saves sent, {counts['acked']:,} acknowledged kept, "
                  f"{counts['failed']:,} cut by the kill, {counts['superseded']:,} superseded, {counts['other']} other")
            print(f"   journal before the kill: {before.get('records', 0):,} records in {before.get('groups', 0):,} "
                  f"groups, applier lag {before.get('lag', '?')}; restart {up:.1f} s, replayed "
                  f"{figures.get('replayed')} records")
            print(f"   check ({result['seconds']} s): {result['acknowledged']:,} answers acknowledged, "
                  f"{result['stored']:,} stored; lost {result['lost']}, duplicated {result['duplicated']}, "
                  f"phantom {result['phantom']}, wrong options {result['wrong_options']}; stored though never "
                  f"acknowledged: {result['durable_unacknowledged']}")
        pending = ledger.unacknowledged()
        job = job_for(plan, server.port, people, args, seconds=5.0, rate=args.rate, seq_base=0, opened=True)
        job.update(resend=[list(p) for p in pending], stop_on_loss=False)
        run_client(job, "exam_kill-resend", OUT).wait()
        samples, _ = load_samples(OUT / "exam_kill-resend.npz")
        counts = ledger.add(samples)
        server.figures()
        time.sleep(1.0)
        final = check(server, plan, people, ledger, final=True)
        code = server.stop()
        print(f"\nresent {len(pending):,} saves never acknowledged: {counts['acked']:,} acknowledged kept, "
              f"{counts['failed'] + counts['other']} failed")
        print(f"final check: {final['stored']:,} answers stored; lost {final['lost']}, duplicated "
              f"{final['duplicated']}, phantom {final['phantom']}, wrong options {final['wrong_options']}, not the "
              f"last sent {final['not_last_sent']}; server stopped cleanly: {code in (0, -15)}")
        report.append({"moment": "final", "resent": len(pending), "round": counts, "check": final})
        ok = all(r["check"]["lost"] == 0 and r["check"]["duplicated"] == 0 and r["check"]["phantom"] == 0
                 and r["check"]["wrong_options"] == 0 for r in report) and final["not_last_sent"] == 0
        print(f"\n{'0 lost, 0 duplicated at every moment' if ok else 'FAILED: see above'}")
    except BaseException:
        if server.process and server.process.poll() is None:
            server.kill9()
        raise
    name = OUT / f"exam_kill-{dt.datetime.now().strftime('%Y%m%d-%H%M%S')}.json"
    name.write_text(json.dumps(report, indent=1, default=str))
    print(f"figures -> {name}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
