"""A long-lived process builds every article's text in the background after start (`Searcher.prepare_windows`):
the texts are all there once its thread ends, and the answers are the ones a cold process gives."""

from __future__ import annotations

from qa.answer.assistant import Assistant

QUESTIONS = (
    "What did the council decide about the bridge?",
    "Who is Sergei Ryabkov?",
    "How many e-bikes were sold?",
)


def test_a_long_lived_assistant_builds_every_article_text_and_answers_alike(indexed_corpus):
    cold, warm = Assistant(indexed_corpus), Assistant(indexed_corpus)
    cold.warm_up()  # a one-shot command builds only what its question needs (its warm-up search's)
    cold_texts = cold.searcher.hybrid.picker.texts(cold.searcher.corpus())
    assert cold_texts.built < len(cold_texts.rows)
    warm.warm_up(long_lived=True)
    building = warm.searcher.prepare_windows()
    assert building is not None
    building.join(timeout=120)
    assert not building.is_alive()
    texts = warm.searcher.hybrid.picker.texts(warm.searcher.corpus())
    assert texts.built == len(texts.rows) > 1
    for question in QUESTIONS:
        assert warm.ask(question).to_json() | {"timings": None} == cold.ask(question).to_json() | {"timings": None}


def test_sentence_vectors_are_embedded_once_and_equal_fresh_ones():
    """`RememberedVectors` embeds only the texts it has not seen, and gives the vectors the model gives."""
    import numpy as np

    from qa.store.embeddings.factory import make_embeddings
    from qa.store.embeddings.remembered import RememberedVectors

    model = make_embeddings("onnx")
    asked: list[list[str]] = []

    def embed(texts: list[str]):
        asked.append(list(texts))
        return model.embed_documents(texts)

    remembered = RememberedVectors(embed, size=3)
    first = ["The mill reopens in May.", "The choir won in Linz.", "The mill reopens in May."]
    assert np.allclose(remembered(first), np.asarray(model.embed_documents(first)), atol=1e-5)
    assert asked == [["The mill reopens in May.", "The choir won in Linz."]]  # each text once
    second = ["The choir won in Linz.", "A bridge closed on Monday.", "Ferries sail twice a day."]
    assert np.allclose(remembered(second), np.asarray(model.embed_documents(second)), atol=1e-5)
    assert asked[-1] == ["A bridge closed on Monday.", "Ferries sail twice a day."]  # only the new ones
    remembered(["The mill reopens in May."])  # dropped: the oldest of four when three are kept
    assert asked[-1] == ["The mill reopens in May."]


def test_past_the_prepared_size_only_the_articles_used_last_keep_their_text(indexed_corpus, monkeypatch):
    """An archive too big to prepare builds texts on use and keeps the most recent `LAZY_KEPT_ARTICLES`: a long
    chat does not grow by every article it ever quoted; a text built again is the same."""
    from qa.search import articles

    monkeypatch.setattr(articles, "PREPARE_MAX_ARTICLES", 1)
    monkeypatch.setattr(articles, "LAZY_KEPT_ARTICLES", 2)
    assistant = Assistant(indexed_corpus)
    texts = articles.ArticleTexts(assistant.searcher.corpus())
    ids = list(texts.rows)[:3]
    assert len(ids) == 3
    first, second = texts.get(ids[0]), texts.get(ids[1])
    texts.get(ids[0])  # used again: now the most recent
    texts.get(ids[2])
    assert texts.built == 2
    assert texts.get(ids[0]) is first  # kept
    again = texts.get(ids[1])  # evicted, built again alike
    assert again is not second and (again.sentences, again.runs) == (second.sentences, second.runs)
    assert texts.built == 2
