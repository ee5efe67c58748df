"""Aggregates kept when grades are saved, stored as RDF in the épreuves' statistics graphs (see aggregates.py)."""
