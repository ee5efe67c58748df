"""The IRIs and graphs of exams, épreuves, copies, grades and statistics, derived from stable keys.

An answer's IRI derives from (épreuve, candidate, question), so a save sent twice lands on the same resource;
one graph per copy keeps each candidate's data a graph operation (erasure, re-grading, a student's dataset).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_EPREUVE = re.compile(r"/exam/(?P<exam>[^/]+)/epreuve/(?P<number>\d+)$")
_VERSION = re.compile(r"/item/(?P<item>[^/]+)/v/(?P<number>\d+)$")
# What an exam key may be: it names the exam's IRI and graphs (the planner mints 11 hexadecimal digits).
EXAM_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


@dataclass(frozen=True)
class ExamNames:
    """Names under one base IRI."""

    base: str

    def __post_init__(self):
        object.__setattr__(self, "base", self.base.rstrip("/") + "/")

    # --- planning ---------------------------------------------------------------------
    def exam(self, exam: str) -> str:
        """An exam."""
        return f"{self.base}exam/{exam}"

    def exam_graph(self, exam: str) -> str:
        """The graph of an exam, its épreuves, slots and registrations."""
        return f"{self.base}graph/exam/{exam}"

    def epreuve(self, exam: str, number: int) -> str:
        """Épreuve `number` of an exam."""
        return f"{self.exam(exam)}/epreuve/{number}"

    @staticmethod
    def epreuve_key(exam: str, number: int) -> str:
        """The key of an épreuve in graph and resource names."""
        return f"{exam}-{number}"

    def parse_epreuve(self, iri: str) -> tuple[str, int]:
        """(exam key, number) of an épreuve IRI; ValueError when it is not one."""
        m = _EPREUVE.search(iri)
        if not m or not iri.startswith(self.base):
            raise ValueError(f"not an épreuve of this platform: {iri}")
        return m["exam"], int(m["number"])

    def slot(self, exam: str, number: int, position: int) -> str:
        """A slot (a linked item) of an épreuve."""
        return f"{self.epreuve(exam, number)}/slot/{position}"

    def candidates_graph(self, exam: str, number: int) -> str:
        """The frozen candidate list of an épreuve."""
        return f"{self.base}graph/candidates/{self.epreuve_key(exam, number)}"

    def version(self, item_id: str, version: int) -> str:
        """A published (frozen) version of an item."""
        return f"{self.base}item/{item_id}/v/{version}"

    def version_graph(self, item_id: str, version: int) -> str:
        """The graph of a published version of an item."""
        return f"{self.base}graph/item/{item_id}/v/{version}"

    def parse_version(self, iri: str) -> tuple[str, int]:
        """(item id, version number) of a published version's IRI; ValueError when it is not one."""
        m = _VERSION.search(iri)
        if not m or not iri.startswith(self.base):
            raise ValueError(f"not a published item version of this platform: {iri}")
        return m["item"], int(m["number"])

    # --- taking -------------------------------------------------------------------------
    def copy_graph(self, exam: str, number: int, person: str) -> str:
        """One candidate's copy: the session and every answer."""
        return f"{self.base}graph/copy/{self.epreuve_key(exam, number)}/{person}"

    def session(self, exam: str, number: int, person: str) -> str:
        """A candidate's session of an épreuve."""
        return f"{self.base}session/{self.epreuve_key(exam, number)}/{person}"

    def answer(self, exam: str, number: int, person: str, question: str) -> str:
        """A candidate's answer to a question (key: slot position, then the question's position in the item)."""
        return f"{self.base}answer/{self.epreuve_key(exam, number)}/{person}/{question}"

    def answers_prefix_of(self, copy_graph: str) -> str | None:
        """The prefix of the answers' IRIs in a copy graph (`answer/{épreuve}/{person}/`, then the question
        key), or None for another graph."""
        rest = copy_graph[len(self.base):].split("/") if copy_graph.startswith(self.base) else []
        if len(rest) != 4 or rest[:2] != ["graph", "copy"]:
            return None
        return f"{self.base}answer/{rest[2]}/{rest[3]}/"

    def supervision_graph(self, exam: str, number: int) -> str:
        """Attendance, devices, rooms and supervisors' incidents of an épreuve."""
        return f"{self.base}graph/supervision/{self.epreuve_key(exam, number)}"

    # --- grading --------------------------------------------------------------------------
    def grade(self, exam: str, number: int, person: str) -> str:
        """A candidate's grade of an épreuve."""
        return f"{self.base}grade/{self.epreuve_key(exam, number)}/{person}"

    def grades_graph(self, exam: str, number: int, person: str) -> str:
        """The graph of a candidate's grade and question scores."""
        return f"{self.base}graph/grades/{self.epreuve_key(exam, number)}/{person}"

    def question_scores_prefix(self, exam: str, number: int) -> str:
        """Where an épreuve's shared question scores are named: `{prefix}{question key}/{fraction}`, one per
        question and fraction reached, shared by every grade that reached it."""
        return f"{self.base}score/{self.epreuve_key(exam, number)}/"

    def question_scores_graph(self, exam: str, number: int) -> str:
        """The question scores an épreuve's grades point to (question, fraction, points): no personal data."""
        return f"{self.base}graph/question-scores/{self.epreuve_key(exam, number)}"

    def question_scores_graph_of(self, grades_graph: str) -> str | None:
        """The question-score graph a grade graph's links point to (None for another graph)."""
        head = f"{self.base}graph/grades/"
        epreuve = grades_graph[len(head):].split("/", 1)[0] if grades_graph.startswith(head) else ""
        return f"{self.base}graph/question-scores/{epreuve}" if epreuve else None

    def bareme_graph(self, exam: str, number: int) -> str:
        """The barème of an épreuve and its history."""
        return f"{self.base}graph/bareme/{self.epreuve_key(exam, number)}"

    def corrections_graph(self, exam: str, number: int) -> str:
        """QROC decisions and QROL grades of an épreuve."""
        return f"{self.base}graph/corrections/{self.epreuve_key(exam, number)}"

    def publication_graph(self, exam: str, number: int) -> str:
        """Official publications (and revocations) of an épreuve's grades."""
        return f"{self.base}graph/publication/{self.epreuve_key(exam, number)}"

    def stats_graph(self, exam: str, number: int) -> str:
        """Statistics of an épreuve's questions."""
        return f"{self.base}graph/stats/{self.epreuve_key(exam, number)}"

    def referentiel_stats_graph(self) -> str:
        """Success per référentiel entry, over every graded answer."""
        return f"{self.base}graph/stats/referentiel"


def question_key(position: int, step: int | None = None) -> str:
    """The key of a question inside an épreuve: its slot's position, and its step in a dossier."""
    return str(position) if step is None else f"{position}.{step}"
