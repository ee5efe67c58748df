"""What callers send to the planner (the API's request bodies, the demo and the CLI build the same)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

from services.exams.model import DisplayOptions

Method = Literal["edn-2023", "sides-legacy", "tcs-aggregate"]
Status = Literal["draft", "ready", "running", "finished", "archived"]


class SlotInput(BaseModel):
    """An item to link, by id or IRI, with its coefficient."""

    item: str = Field(description="an item id (e.g. i3f2a…) or IRI")
    coefficient: float = Field(1.0, gt=0, le=1000)
    update_version: bool = Field(False, description="an item already linked keeps its published version unless "
                                                    "this asks for its current content (a new version)")


class ExtraTimeInput(BaseModel):
    """Extra time granted to a candidate (tiers-temps)."""

    candidate: str = Field(description="a person IRI")
    minutes: int = Field(gt=0, le=24 * 60)


class Registrations(BaseModel):
    """The épreuve's registered groups, individual additions and exclusions (the whole set)."""

    groups: list[str] = Field(default_factory=list, description="group IRIs (cohort or ad-hoc)")
    added: list[str] = Field(default_factory=list, description="person IRIs registered individually")
    excluded: list[str] = Field(default_factory=list, description="person IRIs of group members who do not sit it")


class EpreuveInput(BaseModel):
    """A new épreuve; slots, registrations and extra time may come now or later."""

    title: str = Field(min_length=1, max_length=300)
    type: str = Field("Épreuve facultaire", max_length=200)
    start: dt.datetime | None = Field(None, description="ISO 8601; without an offset, in the platform's time zone")
    duration_minutes: int = Field(gt=0, le=24 * 60)
    grading_method: Method = "edn-2023"
    display: DisplayOptions = Field(default_factory=DisplayOptions,
                                    description="the seed's « Paramétrage de l'affichage aux étudiants »")
    slots: list[SlotInput] = Field(default_factory=list)
    registrations: Registrations = Field(default_factory=Registrations)
    extra_time: list[ExtraTimeInput] = Field(default_factory=list)


class EpreuveChange(BaseModel):
    """Fields of an épreuve to change (those left out stay; `start: null` clears the date)."""

    title: str | None = Field(None, min_length=1, max_length=300)
    type: str | None = Field(None, max_length=200)
    start: dt.datetime | None = None
    duration_minutes: int | None = Field(None, gt=0, le=24 * 60)
    grading_method: Method | None = None
    display: DisplayOptions | None = None


class ExamInput(BaseModel):
    """A new exam with its épreuves (at least one)."""

    title: str = Field(min_length=1, max_length=300)
    short_name: str | None = Field(None, max_length=60)
    identifier: str | None = Field(None, max_length=100, description="unique; generated when left out")
    owner: str | None = Field(None, description="the organisation that plans it; by default the caller's")
    universities: list[str] = Field(default_factory=list, description="by default the owner's university")
    offers: list[str] = Field(default_factory=list, description="training offers (formations) it is for")
    epreuves: list[EpreuveInput] = Field(min_length=1)


class ExamChange(BaseModel):
    """Fields of an exam to change (those left out stay)."""

    title: str | None = Field(None, min_length=1, max_length=300)
    short_name: str | None = Field(None, max_length=60)
    identifier: str | None = Field(None, max_length=100)
    universities: list[str] | None = None
    offers: list[str] | None = None
