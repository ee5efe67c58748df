"""Where the project's data folders are: ontology, shapes, queries, and the web pages' templates and assets."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ONTOLOGY_DIR = ROOT / "ontology"
SHAPES_DIR = ROOT / "shapes"
QUERIES_DIR = ROOT / "queries"
WEB_DIR = ROOT / "web"
