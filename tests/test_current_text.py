"""Issue 18: answers quote the article as it is now. An updated article's old chunks were spliced into its new
text (the windows read every row of the arrays, deleted ones included): quotes of text no longer in it."""

from __future__ import annotations

from corpora import QUICK_INGEST, assert_quotes_current, current_bodies, qa_ingest

from qa.answer.assistant import Assistant
from qa.core.settings import Settings

NAMES = ["Ada Quill", "Bram Otter", "Cora Finch", "Dov Marsh", "Elsa Brook"]
OLD = [
    f"Council member {NAMES[i % 5]} said the Wrenfield bridge plan would cost {i + 11} million dollars"
    f" and close the eastern ferry landing for {i + 2} months during the work."
    for i in range(25)
]
NEW = [
    f"Resident number {i + 1} complained that heavy gravel trucks rumble past the Wrenfield schools"
    f" before {i % 5 + 6} o'clock every single morning."
    for i in range(25)
]
LIBRARY = (  # unchanged beside the updated article: it keeps the first ingest's segment (and its dead rows) alive
    "Wrenfield library reopens\n\nThe Wrenfield library reopened on Saturday after a year of repairs to its roof."
    " The head librarian, Mina Sorrel, said the reading room now has forty new seats.\n"
)
OLD_QUESTION = "What did Wrenfield council members say about the bridge plan?"
NEW_QUESTION = "What did residents complain about in Wrenfield?"


def article(title: str, sentences: list[str]) -> str:
    paragraphs = [" ".join(sentences[i : i + 5]) for i in range(0, len(sentences), 5)]
    return f"{title}\n\n" + "\n\n".join(paragraphs) + "\n"


def test_an_updated_article_is_quoted_as_it_is_now(tmp_path, monkeypatch):
    for name, value in QUICK_INGEST.items():
        monkeypatch.setenv(name, value)
    folder, settings = tmp_path / "corpus", Settings(data_dir=tmp_path / "qa-data")
    folder.mkdir()
    town = folder / "wrenfield.txt"
    town.write_text(article("Wrenfield weighs its bridge plan", OLD))
    (folder / "library.txt").write_text(LIBRARY)
    assert qa_ingest(folder, settings)["added"] == 2
    before = Assistant(settings).ask(OLD_QUESTION)
    assert before.citations and any(c.sentence in OLD for c in before.citations)
    assert_quotes_current(before, current_bodies(folder))

    town.write_text(article("Wrenfield residents tired of trucks", NEW))  # every sentence changed
    summary = qa_ingest(folder, settings)
    assert (summary["added"], summary["updated"], summary["removed"]) == (0, 1, 0)
    bodies = current_bodies(folder)
    assert not any(s in body for s in OLD for body in bodies.values())
    assistant = Assistant(settings)
    for question in (OLD_QUESTION, NEW_QUESTION):
        answer = assistant.ask(question)
        assert_quotes_current(answer, bodies, removed=OLD)
    assert any(c.sentence in NEW for c in assistant.ask(NEW_QUESTION).citations)
