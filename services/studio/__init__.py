"""STUDIO: exam items of every type, tagging, suggestions, previews, revisions, imports and exports."""
