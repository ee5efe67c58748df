"""The HTTP API: one router per module, built by `create_app(settings, store)`."""

from api.app import create_app

__all__ = ["create_app"]
