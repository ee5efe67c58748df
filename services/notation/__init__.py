"""NOTATION over the store: grading épreuves from their copies, QROC and QROL correction, barèmes with a dry run,
analysis, publication, exports, annals (the pure rules are in `services.grading`)."""
