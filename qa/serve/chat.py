"""`qa chat`: questions one after another in the terminal, with one `Assistant` (index, arrays, model) loaded for
the whole session, so every answer after the first costs only its search. Follow-ups read the conversation, which
is kept in the data dir as `qa ask` keeps it (`qa.serve.conversation`): ``qa ask -c`` continues a chat.

Commands: ``/new`` starts a new topic, ``/sources`` shows the last answer's sources again, ``/help``, ``/quit``
(or Ctrl-D). Ctrl-C drops the line being typed, or the answer being searched for. Line editing and the recall of
earlier lines come from Python's `readline`, on a terminal."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field

from rich.console import Console

from qa.answer.assistant import Assistant
from qa.core.errors import QAError, UnknownOutletError
from qa.core.types import Answer
from qa.search.validate import Options, check_request, recent_history
from qa.serve.conversation import ConversationLog, exchange
from qa.serve.terminal import inert, render_answer, render_sources

PROMPT = "qa> "
HELP = "Ask a question. /new starts a new topic, /sources shows the last answer's sources, /quit (or Ctrl-D) leaves."
QUIT = {"/quit", "/exit", "/q"}


@dataclass
class ChatSession:
    """One terminal conversation: the assistant, the options every question takes, the turns so far (saved to
    ``log`` after each answer) and the last answer."""

    assistant: Assistant
    options: Options
    log: ConversationLog
    turns: list[dict] = field(default_factory=list)
    last: Answer | None = None

    def answer(self, question: str) -> Answer:
        """Answer ``question`` with the conversation so far as its history, and add both to the conversation."""
        settings = self.assistant.settings
        request = check_request(question, history=self.turns, options=self.options, settings=settings)
        self.last = self.assistant.ask(request)
        self.turns = recent_history([*self.turns, *exchange(self.last)], settings=settings)  # what the next may carry
        self.log.save(self.turns)
        return self.last

    def new_topic(self) -> None:
        self.turns, self.last = [], None
        self.log.save([])


def run_chat(session: ChatSession, out: Console, err: Console, read: Callable[[str], str] = input) -> None:
    """Read lines until /quit or the end of input, printing each answer as `qa ask` prints it."""
    interactive = sys.stdin.isatty()
    if interactive:
        import readline  # noqa: F401 - line editing and history for input(), on a terminal only

        err.print(f"[dim]{HELP}[/dim]")
    session.assistant.warm_up(long_lived=True)
    session.assistant.searcher.prepare_windows()
    while True:
        try:
            line = read(PROMPT if interactive else "").strip()
        except EOFError:
            break
        except KeyboardInterrupt:  # the line typed so far is dropped
            err.print()
            continue
        if not line:
            continue
        if line.lower() in QUIT:
            break
        try:
            _handle(session, line, out, err)
        except KeyboardInterrupt:
            err.print("Cancelled.")
    if interactive:
        err.print()


def _handle(session: ChatSession, line: str, out: Console, err: Console) -> None:
    """One line: a command, or a question answered and printed (a refused question says why; the chat goes on)."""
    command = line.lower()
    if command == "/new":
        session.new_topic()
        err.print("[dim]New topic: the next question is read on its own.[/dim]")
    elif command == "/sources":
        if session.last is None:
            err.print("[dim]No answer yet.[/dim]")
        else:
            render_sources(session.last, out)
    elif command in ("/help", "/?"):
        err.print(HELP)
    elif command.startswith("/") and " " not in command:
        err.print(f"[yellow]Unknown command[/yellow] {inert(line)}. {HELP}", highlight=False)
    else:
        try:
            answer = session.answer(line)
        except UnknownOutletError:
            raise  # an --outlet of the command: every question would fail the same way
        except QAError as exc:
            err.print(f"[red]Error:[/red] {inert(exc)}", highlight=False)
            return
        render_answer(answer, out, err)
        out.print()
