"""The per-claim table of a question about coverage (issue 20 item 4): under the direct answer in the terminal
(a table on a terminal, whole lines in a pipe), in the chat (an HTML table, its [n] linked to the cards) and in
the export (a Markdown table); every cell inert. Built from the `Answer` contract directly."""

from __future__ import annotations

import io

from rich.console import Console

from qa.core.types import Answer, Citation, ClaimCheck, Direct, Passage
from qa.serve.terminal import TerminalConsole, render_answer
from qa.serve.ui.export import answer_record, conversation_markdown
from qa.serve.ui.render import answer_message, card_id

VERGE = "The Verge reported that Epic won its case against Google on Monday."
CRUNCH = "TechCrunch said the jury did not find for Epic on every count."
HOSTILE = "<script>alert(1)</script> | [x](javascript:alert(1)) *bold*"


def _passage(n: int, source: str, sentence: str, day: str) -> Passage:
    return Passage(f"c{n}", f"a{n}", sentence, 0, len(sentence), title=f"Story {n}", source=source, published=day)


def coverage_answer(claim_text: str = "Epic won its case against Google") -> Answer:
    verge = _passage(1, "The Verge", VERGE, "2023-12-11T20:00:00Z")
    crunch = _passage(2, "TechCrunch", CRUNCH, "2023-12-12T09:00:00Z")
    citations = (Citation(1, verge, VERGE, 0, len(VERGE)), Citation(2, crunch, CRUNCH, 0, len(CRUNCH)))
    text = "\n".join(["No [2]", f"The Verge, Dec 11, 2023: “{VERGE}” [1]", f"TechCrunch, Dec 12, 2023: “{CRUNCH}” [2]"])
    claims = (
        ClaimCheck(claim_text, "The Verge", "2023-12-11", "supported", 1),
        ClaimCheck(claim_text, "TechCrunch", "2023-12-12", "contradicted", 2, "negation: did not"),
        ClaimCheck("Epic appealed", "Fortune", "", "not_found"),
    )
    answer = Answer("Did The Verge and TechCrunch both report that Epic won?", text, citations, (verge, crunch), False)
    return Answer(**{**answer.__dict__, "direct": Direct("No", "no", (2,)), "claims": claims})


def test_in_a_pipe_each_claim_is_one_whole_line_under_the_direct_answer():
    out = TerminalConsole(file=io.StringIO(), width=40)
    render_answer(coverage_answer(), out, TerminalConsole(file=io.StringIO()))
    lines = out.file.getvalue().splitlines()
    assert lines[0] == "No [2]"
    assert lines[1] == f"- Epic won its case against Google | The Verge, Dec 11, 2023 | supported | “{VERGE}” [1]"
    assert lines[2] == (
        "- Epic won its case against Google | TechCrunch, Dec 12, 2023 | contradicted: negation: did not"
        f" | “{CRUNCH}” [2]"
    )
    assert lines[3] == "- Epic appealed | Fortune | not found | no sentence found"
    assert lines[4].startswith("The Verge, Dec 11, 2023: “")  # then the quotes, as before


def test_on_a_narrow_terminal_the_table_wraps_its_cells_and_markup_stays_text():
    out = Console(file=io.StringIO(), width=80, force_terminal=True, color_system=None, emoji=False)
    render_answer(coverage_answer(HOSTILE), out, Console(file=io.StringIO()))
    shown = out.file.getvalue()
    assert all(len(line) <= 80 for line in shown.splitlines())
    assert "Claim" in shown and "Verdict" in shown and "contradicted" in shown and "not found" in shown
    assert "<script>" in shown and "[x](" in shown  # shown as typed, never read as rich markup


def test_the_chat_shows_the_table_under_the_direct_answer_with_linked_quotes():
    html = answer_message(coverage_answer(HOSTILE), 3)
    direct, table, quotes = (
        html.index("qa-direct"),
        html.index('<table class="qa-claims"'),
        html.index("The Verge, Dec 11"),
    )
    assert direct < table < quotes
    table_html = html[table : html.index("</table>")]
    assert table_html.count('<tr class="qa-claim') == 3
    assert f'href="#{card_id(3, 1)}">&#91;1&#93;</a>' in table_html and f'href="#{card_id(3, 2)}"' in table_html
    assert "qa-contradicted" in table_html and "qa-not-found" in table_html
    assert "<script>" not in html and "javascript&#58;" in table_html  # the claim is text, not markup


def test_the_export_has_the_table_as_markdown_with_every_cell_inert():
    md = conversation_markdown([answer_record(coverage_answer(HOSTILE).to_json())])
    lines = md.splitlines()
    head = lines.index("| Claim | Outlet, date | Verdict | Quote |")
    assert lines[head - 2] == "No [2]" and lines[head + 1] == "|---|---|---|---|"
    rows = lines[head + 2 : head + 5]
    assert rows[0].startswith("| &lt;script&gt;alert(1)&lt;/script&gt; \\| \\[x\\](javascript:alert(1)) \\*bold\\* |")
    assert rows[0].endswith(f"| The Verge, Dec 11, 2023 | supported | “{VERGE}” [1] |")
    assert rows[2] == "| Epic appealed | Fortune | not found | no sentence found |"
    assert "<script>" not in md
    assert lines[head + 6].startswith("The Verge, Dec 11, 2023: “")  # the quote lines follow the table


def test_an_answer_without_claims_shows_no_table():
    plain = Answer(**{**coverage_answer().__dict__, "claims": ()})
    assert "qa-claims" not in answer_message(plain, 1)
    assert "| Claim |" not in conversation_markdown([answer_record(plain.to_json())])
