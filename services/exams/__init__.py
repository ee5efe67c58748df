"""Exams, épreuves, copies and grades: the names and records PLANIFICATEUR, EXAMEN, SUPERVISEUR, NOTATION and
research share (the graph layout is in README « Exams: the graph layout »)."""
