"""All configuration in one place, read once from the environment (prefix ``QA_``)."""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

AUTO_BACKEND = "auto"  # the embedding backend chosen per index and CPU (qa.store.config.settle_backend)
DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
DURATION = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", re.IGNORECASE)


def parse_duration(value: object) -> float:
    """Seconds in ``90s``, ``15m``, ``1.5h``, ``1d`` or a plain number of seconds; `ValueError` for anything else."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    match = DURATION.fullmatch(str(value))
    if match is None:
        raise ValueError(f"{value!r} is not a duration (e.g. 90s, 15m, 1h)")
    return float(match[1]) * DURATION_UNITS[(match[2] or "s").lower()]


class Settings(BaseSettings):
    """Every knob of the assistant; each field can be set as ``QA_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="QA_", env_file=None, extra="ignore")

    # Where things live
    data_dir: Path = Field(Path(".qa"), description="Index, manifest and caches.")
    collection: str = Field("news", min_length=3, description="Chroma collection name (3+ characters).")
    chroma_url: str | None = Field(None, description="Use a Chroma server (http://host:port) instead of embedded.")
    chroma_token: str | None = Field(None, description="Token sent to the Chroma server.")
    chroma_timeout: float = Field(60.0, gt=0, description="Seconds to wait for one Chroma server request.")
    corpus_dir: Path = Field(Path("corpus"), description="Articles indexed by `make run` / the app when empty.")

    # Embedding
    embed_backend: str = Field(
        AUTO_BACKEND,
        description="Embedding backend: auto (an index keeps the one it was built with; a new index takes torch-bf16 "
        "on a CPU with bf16 units, else onnx), torch-bf16, torch, onnx, onnx-int8.",
    )
    query_backend: str = Field(
        "auto",
        description="Backend embedding questions: auto (ONNX fp32, or onnx-int8 for an onnx-int8 index: no torch "
        "import), or any embed_backend value.",
    )
    embed_batch_size: int = Field(16, ge=1, description="Texts per model call; small batches suit one-thread workers.")
    write_batch_articles: int = Field(32, ge=1, description="Articles embedded and written per step.")
    embed_threads: int = Field(0, ge=0, description="Embedding worker threads, one core each (0: all cores).")
    model_cache_dir: Path | None = Field(None, description="Exported ONNX models (default ~/.cache/newsqa/models).")

    # Chunking
    chunk_tokens: int = Field(200, ge=32, le=254, description="Word pieces per chunk, title prefix included.")
    chunk_overlap_sentences: int = Field(1, ge=0, le=5, description="Whole sentences repeated between chunks.")
    title_prefix_tokens: int = Field(32, ge=0, le=64, description="Word pieces of the title prefixed for embedding.")

    # Loading
    max_file_bytes: int = Field(50_000_000, ge=1, description="Larger files are skipped.")
    max_article_chars: int = Field(
        1_000_000,
        ge=1_000,
        description="Characters of an article's body indexed at most; a longer one is cut (the ingest summary says).",
    )

    # Web pages named on `qa ingest https://...`
    fetch_max_bytes: int = Field(10_000_000, ge=1, description="A larger web page is skipped (counted as it arrives).")
    fetch_timeout: float = Field(
        20.0, gt=0, description="Seconds one web page may take, redirects included; a slower one is skipped."
    )
    fetch_interval: float = Field(1.0, ge=0, description="Seconds between two requests to the same web host.")
    watch_every: float = Field(
        900.0, gt=0, description="`qa watch`: seconds (or 90s, 15m, 1h) between two polls of its web addresses."
    )

    # Retrieval and answering
    top_k: int = Field(10, ge=1, le=100, description="Passages returned per question.")
    candidates: int = Field(200, ge=10, description="Candidates fetched from each retriever before fusion.")
    dense_exact_below: int = Field(
        200_000,
        ge=0,
        description="Chunks under which dense search scans every vector exactly; from it on, large segments are "
        "scanned as int8 codes and their best rows rescored exactly (recall@10 1.0 vs exact, bench/approx.py).",
    )
    dense_weight: float = Field(0.3, ge=0.0, le=1.0, description="Dense share of the blend; BM25 has the rest.")
    outlet_boost: float = Field(0.2, ge=0.0, description="Added to passages of an outlet the question names.")
    date_boost: float = Field(0.1, ge=0.0, description="Added to articles published within a day of a date named.")
    period_boost: float = Field(0.05, ge=0.0, description="Added inside a period named (after X...).")
    distinct_articles: int = Field(10, ge=1, description="Leading passages taken from different articles.")
    per_article_cap: int = Field(2, ge=1, description="Max passages per article after the distinct slots.")
    sentence_weight: float = Field(1.0, ge=0.0, description="Weight of the best single sentence's term match.")
    window_tokens: int = Field(
        254,
        ge=0,
        le=254,
        description="Word pieces of the passage shown per article: its best window for the question (0: stored chunk).",
    )
    answer_sentences: int = Field(3, ge=1, le=10, description="Sentences quoted in an answer at most.")
    abstain_threshold: float = Field(0.675, description="Abstain under this evidence score (qa.search.evidence).")
    max_question_chars: int = Field(2000, ge=10, description="Longer questions are refused.")
    max_history_turns: int = Field(50, ge=0, description="Earlier turns a question may carry (more are refused).")
    max_history_chars: int = Field(
        100_000, ge=0, description="Characters of earlier turns a question may carry (more are refused)."
    )

    # Generated answers (an OpenAI-compatible model server; unset URL = extractive answers only)
    llm_url: str | None = Field(
        None, description="OpenAI-compatible base URL, e.g. http://127.0.0.1:11434/v1 (Ollama); unset: no generation."
    )
    llm_model: str | None = Field(None, description="Model name sent to the server (unset: the first it lists).")
    llm_api_key: str | None = Field(None, description="API key sent to the model server (optional).")
    llm_timeout: float = Field(60.0, gt=0, description="Seconds to wait for the model before the extractive answer.")
    llm_max_tokens: int = Field(200, ge=16, le=4096, description="Longest generated answer, in model tokens.")
    llm_concurrency: int = Field(
        2, ge=1, description="Answers the model writes at once; more get the extractive answer without waiting."
    )

    # Web chat
    host: str = Field("127.0.0.1", description="Address the chat listens on (loopback by default).")
    port: int = Field(7860, ge=1, le=65535, description="Port of the chat.")
    auth: str | None = Field(None, description="user:password to require a login.")
    login_delay: float = Field(
        1.0, gt=0, description="Seconds a client waits after its 4th wrong password; doubles with each further one."
    )
    login_max_delay: float = Field(300.0, gt=0, description="Longest wait between login attempts of one client.")
    trusted_proxies: str = Field(
        "",
        description="Comma-separated addresses or networks of reverse proxies whose X-Forwarded-For names the "
        "client (empty: none; a client is the address it connects from).",
    )
    concurrency: int = Field(4, ge=1, description="Questions answered at once by the chat.")
    max_queue: int = Field(64, ge=1, description="Questions waiting before new ones are refused.")
    reload_interval: float = Field(2.0, gt=0, description="Seconds between checks for a finished ingest.")
    chat_uploads: bool = Field(
        True, description="Let chat visitors add articles (never with QA_CHROMA_URL or a read-only data dir)."
    )
    upload_max_files: int = Field(20, ge=1, description="Files one drop in the chat may hold (more are refused).")
    upload_max_bytes_per_day: int = Field(
        200_000_000,
        ge=1,
        description="Bytes the chat accepts per 24 hours, all visitors together (files past it are refused).",
    )
    upload_replaces: bool = Field(
        False,
        description="Let an uploaded record with the id of an indexed article replace it (default: uploads only add).",
    )
    upload_local_urls: bool = Field(
        False,
        description="Let chat visitors add pages of loopback and private-network hosts (default: public hosts only).",
    )

    @field_validator("watch_every", mode="before")
    @classmethod
    def _duration(cls, value: object) -> float:
        return parse_duration(value)

    @field_validator("trusted_proxies")
    @classmethod
    def _proxy_addresses(cls, value: str) -> str:
        """Each entry an IP address or network: uvicorn would take a typo for a host name and trust no one."""
        entries = [entry.strip() for entry in value.split(",") if entry.strip()]
        for entry in entries:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(f"{entry!r} is not an IP address or network (e.g. 10.0.0.5 or 10.0.0.0/24)") from None
        return ",".join(entries)

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def feed_state_file(self) -> Path:
        """What ``qa ingest`` remembers of the feeds of this collection (`ingest.feedstate`), beside its arrays."""
        return self.arrays_dir.with_name(f"{self.arrays_dir.name}.feeds.json")

    @property
    def arrays_dir(self) -> Path:
        """The search arrays of this collection (a derived cache of the store); per server, so two
        servers' corpora never mix."""
        if not self.chroma_url:
            return self.data_dir / "arrays" / self.collection
        server = re.sub(r"[^A-Za-z0-9.-]+", "_", self.chroma_url.split("://", 1)[-1].rstrip("/"))
        return self.data_dir / "arrays-servers" / server / self.collection


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
