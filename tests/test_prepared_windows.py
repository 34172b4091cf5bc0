"""A long-lived process builds every article's text in the background after start (`Assistant.warm_up(long_lived=
True)`): the texts are all there once its thread ends, and the answers are the ones a cold process gives."""

from __future__ import annotations

from qa.answer.assistant import Assistant

QUESTIONS = (
    "What did the council decide about the bridge?",
    "Who is Sergei Ryabkov?",
    "How many e-bikes were sold?",
)


def test_a_long_lived_assistant_builds_every_article_text_and_answers_alike(indexed_corpus):
    cold, warm = Assistant(indexed_corpus), Assistant(indexed_corpus)
    assert cold.warm_up() is None  # a one-shot command builds only what its question needs
    building = warm.warm_up(long_lived=True)
    assert building is not None
    building.join(timeout=120)
    assert not building.is_alive()
    texts = warm.searcher.hybrid.picker.texts(warm.searcher.corpus())
    assert texts.built == len(texts.rows) > 1
    for question in QUESTIONS:
        assert warm.ask(question).to_json() | {"timings": None} == cold.ask(question).to_json() | {"timings": None}
