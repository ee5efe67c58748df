"""OpenAPI descriptions of the request bodies that routes read raw (files, RDF, CSV)."""

from __future__ import annotations


def raw_body(description: str, *media_types: str, binary: bool = False) -> dict:
    """The `openapi_extra` of a route whose body is a file of one of these media types."""
    schema = {"type": "string", "format": "binary"} if binary else {"type": "string"}
    return {"requestBody": {"required": True, "description": description,
                            "content": {media: {"schema": schema} for media in media_types}}}


PROBLEM = {"title": "Problem", "type": "object", "required": ["detail"], "properties": {
    "detail": {"type": "string", "description": "what is wrong, naming the field or line"},
    "violations": {"type": "array", "items": {"type": "object"},
                   "description": "each SHACL violation: focus, path, message, shape, value, severity"}}}


def describe_errors(app) -> None:
    """Say in the schema what a 422 really carries: FastAPI's list of input errors, or the platform's own answer
    (a sentence, and the violations when the shapes refused the data)."""
    generate = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = generate()
        schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                unprocessable = operation.get("responses", {}).get("422")
                if unprocessable is not None:
                    unprocessable["content"] = {"application/json": {"schema": {"anyOf": [
                        {"$ref": "#/components/schemas/HTTPValidationError"},
                        {"$ref": "#/components/schemas/Problem"}]}}}
        return schema

    app.openapi = openapi
