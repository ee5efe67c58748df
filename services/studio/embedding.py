"""Sentence vectors from the WordLlama model that ships inside the `wordllama` wheel (16 MB, CPU, no download).

WordLlama looks for its tokenizer under `tokenizer/` while the wheel installs it under `tokenizers/`, and then
tries to download it; pointing its cache at the package folder finds both files, and `disable_download`
makes a missing file an error instead of a network call.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

MODEL = "l2_supercat"
DIMENSIONS = 256


class EmbeddingUnavailable(RuntimeError):
    """The packaged model cannot be loaded (package missing or incomplete)."""


@lru_cache(maxsize=1)
def model():
    """The WordLlama model, loaded once per process from the installed package."""
    try:
        import wordllama
        from wordllama import WordLlama
    except ImportError as exc:  # the project declares it; this guards a partial install
        raise EmbeddingUnavailable(f"wordllama is not installed: {exc}") from exc
    try:
        return WordLlama.load(config=MODEL, dim=DIMENSIONS, cache_dir=Path(wordllama.__file__).parent,
                              disable_download=True)
    except FileNotFoundError as exc:
        raise EmbeddingUnavailable(f"the WordLlama model files are missing from the package: {exc}") from exc


def embed(texts: list[str]) -> np.ndarray:
    """Unit-length vectors, one row per text (float32)."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    return np.asarray(model().embed(texts, norm=True), dtype=np.float32)
