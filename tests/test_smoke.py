"""End to end on the fixture corpus: ingest, stats, a cited answer."""

from qa.answer.assistant import Assistant


def test_answer_cites_the_right_article_with_exact_offsets(indexed_corpus):
    assistant = Assistant(indexed_corpus)
    answer = assistant.ask("How many e-bikes is Nimbus recalling and why?")
    assert not answer.abstained
    first = answer.citations[0]
    assert first.passage.article_id == "tech-001"
    assert first.sentence in answer.text
    assert first.passage.text[first.start - first.passage.start : first.end - first.passage.start] == first.sentence
