"""The list library: lists per level, inheritance Officiel → Université → UFR, local changes, history."""
