"""Our hybrid news-aware retrieval as a LangChain `BaseRetriever`, so it composes with other chains."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field, PrivateAttr

from qa.core.settings import Settings, get_settings
from qa.core.types import Filters, Passage
from qa.search.searcher import Searcher
from qa.search.validate import Options, check_request


class NewsRetriever(BaseRetriever):
    """``NewsRetriever(k=4).invoke("question")`` -> passages as `Document`s (text + article metadata).

    Questions are read like `Assistant.ask` reads them (outlets and dates named become boosts);
    ``invoke(question, k=2)`` overrides ``k`` for one call, ``history=[...]`` folds in earlier turns."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    k: int = Field(4, ge=1, le=100)
    settings: Settings | None = None
    filters: Filters = Field(default_factory=Filters)
    _searcher: Any = PrivateAttr(default=None)

    def _get_relevant_documents(
        self,
        query: str,
        *,
        run_manager: CallbackManagerForRetrieverRun,
        k: int | None = None,
        history: list[dict] | None = None,
    ) -> list[Document]:
        if self._searcher is None:
            self._searcher = Searcher(self.settings or get_settings())
        searcher = self._searcher
        options = Options(self.filters, k or self.k)
        found = searcher.find(check_request(query, history=history, options=options, settings=searcher.settings))
        return [to_document(p) for p in found.retrieval.passages]


def to_document(passage: Passage) -> Document:
    """A passage as a LangChain document; the metadata is `Passage.to_json()` without the text."""
    metadata = passage.to_json()
    metadata.pop("text")
    return Document(page_content=passage.text, metadata=metadata, id=passage.chunk_id)
