"""PLANIFICATEUR: exams made of épreuves, registrations and candidates, the calendar, the bon à tirer, usage
statistics (the records and their RDF live in services/exams/)."""
