"""NOTATION's pure core: scoring rules, QROC grouping, barèmes, CTT statistics, standard setting (NumPy, no RDF)."""
