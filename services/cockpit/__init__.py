"""The UNESS cockpit: people and their accounts, functions, the training offer, groups, student imports."""

from __future__ import annotations

from dataclasses import dataclass

from services.access import Access
from services.cockpit.functions import Functions
from services.cockpit.groups import Groups
from services.cockpit.offers import Offers
from services.cockpit.people import People
from services.lists.library import ListLibrary


@dataclass
class Cockpit:
    """The cockpit's use cases over one platform."""

    people: People
    functions: Functions
    offers: Offers
    groups: Groups

    @classmethod
    def build(cls, access: Access, lists: ListLibrary) -> Cockpit:
        """Wire the cockpit over the access services and the list library."""
        people = People(lists.platform, access)
        return cls(people, Functions(people, access), Offers(people, access, lists), Groups(people, access))
