"""LangChain's own standard retriever tests, run against our retriever on the fixture corpus."""

from __future__ import annotations

import pytest
from langchain_tests.integration_tests import RetrieversIntegrationTests

from qa.search.retriever import NewsRetriever


# pytest-asyncio runs in strict mode: the inherited async test needs the mark (the sync ones ignore it)
@pytest.mark.asyncio
@pytest.mark.filterwarnings("ignore:The test <Function .* is marked with '@pytest.mark.asyncio':pytest.PytestWarning")
class TestNewsRetrieverStandard(RetrieversIntegrationTests):
    @pytest.fixture(autouse=True)
    def _corpus(self, indexed_corpus):
        self._settings = indexed_corpus

    @property
    def retriever_constructor(self) -> type[NewsRetriever]:
        return NewsRetriever

    @property
    def retriever_constructor_params(self) -> dict:
        return {"settings": self._settings}

    @property
    def retriever_query_example(self) -> str:
        return "Why are the Old Mill Bridge repairs needed?"


def test_documents_carry_the_passage_and_its_article(indexed_corpus):
    docs = NewsRetriever(settings=indexed_corpus, k=2).invoke("How many e-bikes is Nimbus recalling?")
    assert len(docs) == 2
    top = docs[0]
    assert top.metadata["article_id"] == "tech-001" and top.metadata["source"] == "Gadget Report"
    assert "30,000" in top.page_content and top.id == top.metadata["chunk_id"]
