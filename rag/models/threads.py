"""How many inference threads a model gets."""

from __future__ import annotations

import os


def resolve_threads(threads: int) -> int:
    """0 means one per available core; counted without importing torch (the ONNX path never loads it)."""
    return threads or max(1, len(os.sched_getaffinity(0)))
