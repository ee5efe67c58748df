"""EXAMEN and SUPERVISEUR: candidates taking an épreuve, their answers on the hot path, supervision."""
