"""The Store port, its adapters (embedded Oxigraph, remote SPARQL 1.1) and SHACL-gated writes."""

from store.errors import (
    QueryError,
    QuerySyntaxError,
    QueryTimeout,
    ResultTooLarge,
    StoreError,
    ValidationFailed,
)
from store.port import GraphResult, Rows, Store

__all__ = [
    "GraphResult",
    "QueryError",
    "QuerySyntaxError",
    "QueryTimeout",
    "ResultTooLarge",
    "Rows",
    "Store",
    "StoreError",
    "ValidationFailed",
]
