"""The JSON form of an item, as the API and the importers speak it; the shapes decide what is valid."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from store.terms import OS

QUESTION_TYPES = {
    "QRU": OS.QRU, "QRM": OS.QRM, "QRP": OS.QRP, "QRM_LONG": OS.LongListQRM, "QRP_LONG": OS.LongListQRP,
    "QROC": OS.QROC, "QROL": OS.QROL, "ZONE": OS.Zone, "NUMERIQUE": OS.Numeric, "ASSOCIATION": OS.Association,
    "TCS": OS.TCS,
}
ITEM_KINDS = {
    "QI": OS.IsolatedQuestion, "SQI": OS.SQI, "DP": OS.DP, "MDCP": OS.MDCP, "DL": OS.DL, "LCA": OS.LCA,
    "KFP": OS.KFP, "ECOS": OS.EcosStation,
}
STATUSES = {"draft": OS.Draft, "to_review": OS.ToReview, "validated": OS.Validated}
QuestionType = Literal["QRU", "QRM", "QRP", "QRM_LONG", "QRP_LONG", "QROC", "QROL", "ZONE", "NUMERIQUE",
                       "ASSOCIATION", "TCS"]


class Option(BaseModel):
    """An answer option."""

    text: str
    correct: bool = False
    criticality: Literal["indispensable", "unacceptable"] | None = None
    image: str | None = Field(None, description="IRI of a stored picture shown with the option")
    comment: str | None = Field(None, description="why the option is right or wrong, shown after correction")


class Area(BaseModel):
    """A right area of a ZONE image, as in HTML image maps."""

    shape: Literal["rect", "circle", "poly"] = "rect"
    coords: str = Field(description="e.g. '10,10,120,80'")


class Pair(BaseModel):
    """Two members to match."""

    left: str
    right: str


class ExpertAnswer(BaseModel):
    """How many experts of a TCS panel chose a value of the scale."""

    value: str = Field(description="IRI of an entry of the scale")
    count: int


class Question(BaseModel):
    """A question, isolated or in a dossier; the fields used depend on its type."""

    type: QuestionType
    statement: str
    options: list[Option] = Field(default_factory=list)
    expected_count: int | None = Field(None, description="QRP: the announced number of expected answers")
    accepted_answers: list[str] = Field(default_factory=list, description="QROC: answers and synonyms")
    model_answer: str | None = Field(None, description="QROL")
    max_points: float | None = None
    image: str | None = Field(None, description="IRI of a stored image (ZONE, or any illustration)")
    attachments: list[str] = Field(default_factory=list,
                                   description="IRIs of further stored pictures, passages or documents, in order")
    areas: list[Area] = Field(default_factory=list)
    value: float | None = Field(None, description="NUMERIQUE: the right value")
    tolerance: float | None = None
    unit: str | None = None
    pairs: list[Pair] = Field(default_factory=list)
    hypothesis: str | None = Field(None, description="TCS")
    new_information: str | None = Field(None, description="TCS, or what a dossier step reveals")
    scale: str | None = Field(None, description="TCS: IRI of the Likert scale (a list of the library)")
    expert_answers: list[ExpertAnswer] = Field(default_factory=list)
    teaching_comment: str | None = None
    comment: str | None = None
    hint: str | None = None


class ChecklistItem(BaseModel):
    """An observable item of an ECOS checklist."""

    text: str
    points: float


class Station(BaseModel):
    """An ECOS station."""

    scenario: str
    candidate_instructions: str
    patient_instructions: str | None = None
    duration_minutes: int
    checklist: list[ChecklistItem]
    rating_scale: str | None = Field(None, description="IRI of a competency scale of the list library")


class Item(BaseModel):
    """An exam item (élément d'épreuve)."""

    kind: Literal["QI", "SQI", "DP", "MDCP", "DL", "LCA", "KFP", "ECOS"]
    title: str
    owner: str | None = Field(None, description="IRI of the owning faculty")
    coauthors: list[str] = Field(default_factory=list)
    status: Literal["draft", "to_review", "validated"] = "draft"
    tags: list[str] = Field(default_factory=list, description="référentiel entries (IRIs)")
    specialties: list[str] = Field(default_factory=list)
    transversal: list[str] = Field(default_factory=list)
    question: Question | None = Field(None, description="QI: the question")
    questions: list[Question] = Field(default_factory=list, description="dossiers, SQI, KFP: in order")
    vignette: str | None = Field(None, description="DP, mDCP, KFP: the opening case")
    statement: str | None = Field(None, description="DL: the general statement")
    article: str | None = Field(None, description="LCA: IRI of the stored article")
    attachments: list[str] = Field(default_factory=list,
                                   description="dossiers: IRIs of stored pictures, passages or documents shown with "
                                               "the statement or vignette, in order")
    station: Station | None = None
    teaching_comment: str | None = None
    comment: str | None = None
    hint: str | None = None
    legacy_id: str | None = None
