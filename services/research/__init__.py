"""Research: projects approved by an ethics committee, their pseudonymised datasets and exports (issue 15)."""

from __future__ import annotations

from dataclasses import dataclass

from services.platform import Platform
from services.research.projects import Projects
from services.research.pseudonymise import Pseudonymiser


@dataclass
class Research:
    """The research services of an app."""

    projects: Projects
    pseudonymiser: Pseudonymiser

    @classmethod
    def build(cls, platform: Platform) -> Research:
        projects = Projects(platform)
        return cls(projects, Pseudonymiser(platform, projects))
