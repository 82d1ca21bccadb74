"""Environment defaults that keep every library off the network and quiet.

Imported first by the ``rag`` package, so they apply before torch, transformers,
chromadb, tiktoken or ragas read them. Values the user already set are kept.
"""

from __future__ import annotations

import os
from pathlib import Path


def _llama_static(name: str) -> str | None:
    try:
        import importlib.util

        spec = importlib.util.find_spec("llama_index.core")
    except (ImportError, ValueError):
        return None
    if not spec or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "_static" / name
    return str(path) if path.is_dir() else None


def apply() -> None:
    defaults = {
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "HF_HUB_DISABLE_PROGRESS_BARS": "1",
        "TRANSFORMERS_VERBOSITY": "error",
        "TRANSFORMERS_NO_ADVISORY_WARNINGS": "1",
        "TOKENIZERS_PARALLELISM": "false",
        "ANONYMIZED_TELEMETRY": "False",
        "RAGAS_DO_NOT_TRACK": "true",
        "DO_NOT_TRACK": "1",
        "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
    }
    # tiktoken encodings ship inside llama-index-core; ragas asks for o200k_base lazily.
    tiktoken_cache = _llama_static("tiktoken_cache")
    if tiktoken_cache:
        defaults["TIKTOKEN_CACHE_DIR"] = tiktoken_cache
    for key, value in defaults.items():
        os.environ.setdefault(key, value)
