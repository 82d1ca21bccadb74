"""career-rag: retrieval and cited answers over an index built by ``ingest``."""

from rag import offline as _offline

_offline.apply()
