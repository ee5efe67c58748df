"""Dependency aliases shared by the routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.platform import Platform


def get_platform(request: Request) -> Platform:
    """The platform the app was built with."""
    return request.app.state.platform


PlatformDep = Annotated[Platform, Depends(get_platform)]
