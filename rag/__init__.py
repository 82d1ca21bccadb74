"""career-rag: retrieval and cited answers over an index built by ``ingest``.

The small public API (imported lazily, so ``import rag`` stays cheap)::

    from rag import load_settings, Engine
    from ingest import add                      # the write side lives in ingest/
    settings = load_settings(overrides={"index": {"dir": "index"}})
    add(["corpus/"], settings)                  # incremental ingest
    engine = Engine(settings)
    engine.retrieve("What is a star schema?")   # ranked contexts
    engine.ask("What does a data engineer interview test?").to_json()
"""

from rag import offline as _offline

_offline.apply()

_LAZY = {
    "Engine": ("rag.engine", "Engine"),
    "load_settings": ("rag.settings", "load_settings"),
    "Settings": ("rag.settings", "Settings"),
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'rag' has no attribute {name!r}")
