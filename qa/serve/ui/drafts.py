"""A generated answer while the model writes: each finished sentence as checked (unsupported ones visibly
marked, never shown as cited fact), then the sentence still being written. Pure functions."""

from __future__ import annotations

from qa.answer.check import Checked
from qa.answer.generated import Draft, marked
from qa.serve.ui.safe import markdown_text, text

UNSUPPORTED = "not supported by its sources, left out"


def checked_html(checked: Checked) -> str:
    """A supported sentence with its markers; an unsupported one struck through and labelled with the reason."""
    if checked.sentence.supported:
        return markdown_text(marked(checked.sentence.text, checked.sentence.citations))
    return (
        f'<span class="qa-unsupported" title="{text(checked.reason)}">⚠ {text(UNSUPPORTED)}: '
        f"<s>{markdown_text(checked.sentence.text)}</s></span>"
    )


def draft_message(draft: Draft) -> str:
    """The chat message while the model writes (the caller adds a cursor)."""
    parts = [checked_html(c) for c in draft.checked]
    if draft.pending:
        parts.append(f'<span class="qa-writing">{markdown_text(draft.pending)}</span>')
    return " ".join(parts)
