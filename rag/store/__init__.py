"""The index on disk behind one repository API (``rag.store.manifest.Index``).

schema / records: the manifest's tables and row types; manifest: all SQL and the crash-safe
commit protocol; chroma: the vector store's handles and errors; bm25: the keyword side
index; metadata: how chunk metadata (role flags) is named in Chroma and BM25.
"""
