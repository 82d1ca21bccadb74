"""Model loading: embedders (sentence-transformers or onnxruntime) and rerankers, all offline."""
