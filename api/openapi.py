"""OpenAPI descriptions of the request bodies that routes read raw (files, RDF, CSV)."""

from __future__ import annotations


def raw_body(description: str, *media_types: str, binary: bool = False) -> dict:
    """The `openapi_extra` of a route whose body is a file of one of these media types."""
    schema = {"type": "string", "format": "binary"} if binary else {"type": "string"}
    return {"requestBody": {"required": True, "description": description,
                            "content": {media: {"schema": schema} for media in media_types}}}
