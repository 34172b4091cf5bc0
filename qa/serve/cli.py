"""The ``qa`` command line: ingest, stats, ask, eval, serve. Checks what it is given and renders results; the
store, the search and the answers are the lower layers', each imported by the commands that use it alone."""

from __future__ import annotations

import json
import sys
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from typer._click.exceptions import NoArgsIsHelpError  # typer (pinned) bundles its own click

from qa.core.errors import BadOptionError, BadQuestionError, QAError, UnknownOutletError
from qa.core.settings import get_settings
from qa.core.types import Skip
from qa.search.validate import Options, check_options, check_request
from qa.serve.batch import batch_line, read_batch, read_history
from qa.serve.llm_server import DEFAULT_PORT, is_prepared, model_folder, prepare_model, run_model_server
from qa.serve.options import (
    AsJson,
    ChromaUrl,
    Collection,
    Continue,
    DataDir,
    Every,
    Outlets,
    Since,
    TopK,
    Until,
    UseLLM,
    settings_from,
)
from qa.serve.progress import ingest_with_progress, progress_bar
from qa.serve.terminal import TerminalConsole, inert, json_line, render_answer, render_backend_note, render_stats

if TYPE_CHECKING:
    from qa.answer.assistant import Assistant

out = TerminalConsole()
err = TerminalConsole(stderr=True)


class OneLineErrors(typer.core.TyperGroup):
    """Usage errors (an unknown option, ``--k 2.5``) as one line on stderr with exit 2, like every other
    error, instead of click's usage lines and rich's box."""

    def main(self, *args, standalone_mode: bool = True, **kwargs):
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            code = super().main(*args, standalone_mode=False, **kwargs)
        except NoArgsIsHelpError as exc:  # plain `qa`: the help text is the answer
            exc.show()
            sys.exit(exc.exit_code)
        except QAError as exc:  # raised while reading an option (`parse_k`)
            err.print(f"[red]Error:[/red] {inert(exc)}", highlight=False, soft_wrap=True)
            sys.exit(exc.exit_code)
        except typer.TyperException as exc:  # click's usage and parameter errors
            ctx = getattr(exc, "ctx", None)
            where = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
            err.print(f"[red]Error:[/red] {inert(exc.format_message())}{where}", highlight=False, soft_wrap=True)
            sys.exit(exc.exit_code)
        except typer.Abort:
            err.print("Aborted.")
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


app = typer.Typer(
    cls=OneLineErrors, help="Answer questions about news articles, with cited excerpts.", no_args_is_help=True
)


def handle_errors(command):
    """Expected failures become one line on stderr and an exit code, not a traceback."""

    @wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except QAError as exc:
            err.print(f"[red]Error:[/red] {inert(exc)}", highlight=False, soft_wrap=True)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            err.print("Interrupted.")
            raise typer.Exit(130) from None

    return wrapper


@app.command()
@handle_errors
def ingest(
    paths: Annotated[
        list[str], typer.Argument(help="Files, folders (.txt .md .html .json .jsonl .rss), https:// pages or feeds")
    ],
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Drop the index and start over")] = False,
    strict: Annotated[bool, typer.Option("--strict", help="Exit non-zero when any input was skipped")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON on the last line")] = False,
    data_dir: DataDir = None,
    collection: Collection = None,
    chroma_url: ChromaUrl = None,
) -> None:
    """Index articles; re-running embeds only what changed and removes what is gone."""
    from qa.serve.terminal import render_ingest

    settings = settings_from(data_dir, collection, chroma_url)
    summary = ingest_with_progress(paths, settings, err, rebuild=rebuild)
    render_ingest(summary, out, err, as_json=as_json)
    render_backend_note(get_settings().embed_backend, summary.backend, err)  # the backend has no option
    if strict and summary.skipped:
        raise typer.Exit(1)


@app.command()
@handle_errors
def watch(
    paths: Annotated[list[str], typer.Argument(help="Folders or files of articles to watch, or http(s) pages/feeds")],
    every: Every = None,
    data_dir: DataDir = None,
    collection: Collection = None,
    chroma_url: ChromaUrl = None,
) -> None:
    """Keep the index current: ingest now, on every file change, and every --every for web addresses."""
    from qa.serve.watch import Targets, watch_until_stopped

    settings = settings_from(data_dir, collection, chroma_url, **({"watch_every": every} if every else {}))
    if not watch_until_stopped(Targets.parse(paths), settings, out, err):
        raise typer.Exit(1)


@app.command()
@handle_errors
def stats(
    as_json: AsJson = False,
    data_dir: DataDir = None,
    collection: Collection = None,
    chroma_url: ChromaUrl = None,
) -> None:
    """What is indexed: articles, chunks, outlets, dates, model and embedding backend, store."""
    from qa.store.stats import read_stats  # opens Chroma: for this command alone

    stats = read_stats(settings_from(data_dir, collection, chroma_url))
    if as_json:
        sys.stdout.write(json.dumps(stats.to_json()) + "\n")
    else:
        render_stats(stats, out)
    render_backend_note(get_settings().embed_backend, stats.backend, err)


@app.command()
@handle_errors
def ask(
    question: Annotated[str | None, typer.Argument(help="The question (omit with --batch)")] = None,
    k: TopK = None,
    outlet: Outlets = None,
    since: Since = None,
    until: Until = None,
    as_json: AsJson = False,
    history: Annotated[
        Path | None,
        typer.Option("--history", help='Earlier turns: JSON list of {"role", "content"}, oldest first', readable=False),
    ] = None,
    batch: Annotated[
        Path | None, typer.Option("--batch", help="JSONL of {id, question[, history]} to answer", readable=False)
    ] = None,
    out_path: Annotated[Path | None, typer.Option("--out", help="Where --batch writes its JSONL answers")] = None,
    llm: UseLLM = None,
    continue_: Continue = False,
    data_dir: DataDir = None,
    collection: Collection = None,
    chroma_url: ChromaUrl = None,
) -> None:
    """Answer a question with verbatim, cited excerpts (or say the corpus does not answer); -c: continue the chat."""
    from qa.answer.assistant import Assistant
    from qa.serve.conversation import ConversationLog, exchange

    if (question is None) == (batch is None):
        raise BadOptionError("Give either a QUESTION or --batch FILE.jsonl.")
    if batch is not None and out_path is None:
        raise BadOptionError("--batch needs --out ANSWERS.jsonl.")
    if continue_ and (history is not None or batch is not None):
        raise BadOptionError("--continue takes the last conversation as the history: not with --history or --batch.")
    settings = settings_from(data_dir, collection, chroma_url)
    options = check_options(outlets=outlet, since=since, until=until, k=k, llm=llm)  # once, for every question
    assistant = Assistant(settings)
    if batch is not None:
        _ask_batch(assistant, batch, out_path, options)
        return
    log = ConversationLog(settings, warn)
    turns = read_history(history, settings) if history else log.turns() if continue_ else []
    answer = assistant.ask(check_request(question, history=turns, options=options, settings=settings))
    log.save([*turns, *exchange(answer)])  # a plain question starts the conversation `-c` continues
    if as_json:
        sys.stdout.write(json_line(answer.to_json()) + "\n")
    else:
        render_answer(answer, out, err)


@app.command()
@handle_errors
def chat(
    k: TopK = None,
    outlet: Outlets = None,
    since: Since = None,
    until: Until = None,
    llm: UseLLM = None,
    continue_: Continue = False,
    data_dir: DataDir = None,
    collection: Collection = None,
    chroma_url: ChromaUrl = None,
) -> None:
    """Ask question after question with the index and model loaded once; follow-ups read the conversation.
    /new starts a new topic, /sources shows the last answer's sources, /quit (or Ctrl-D) leaves."""
    from qa.answer.assistant import Assistant
    from qa.serve.chat import ChatSession, run_chat
    from qa.serve.conversation import ConversationLog

    settings = settings_from(data_dir, collection, chroma_url)
    options = check_options(outlets=outlet, since=since, until=until, k=k, llm=llm)
    log = ConversationLog(settings, warn)
    run_chat(ChatSession(Assistant(settings), options, log, log.turns() if continue_ else []), out, err)


def warn(message: str) -> None:
    """A problem that does not stop the command, on stderr."""
    err.print(f"[yellow]warning[/yellow] {inert(message)}", highlight=False)


def _ask_batch(assistant: Assistant, path: Path, out_path: Path, options: Options) -> None:
    items = list(read_batch(path, assistant.settings, options))
    assistant.warm_up()
    written = bad = 0
    progress = progress_bar("Answering", err)
    try:
        sink = out_path.open("w", encoding="utf-8")
    except OSError as exc:
        raise QAError(f"Cannot write {out_path}: {exc.strerror or exc}.") from exc
    with sink, progress:
        task = progress.add_task("ask", total=len(items))
        for item in items:
            progress.advance(task)
            if isinstance(item, Skip):
                bad += 1
                err.print(f"[yellow]skipped[/yellow] {inert(f'{path}: {item}')}", highlight=False, soft_wrap=True)
                continue
            try:
                answer = assistant.ask(item.request)
            except UnknownOutletError:  # an --outlet option: the same for every line, so the run stops
                raise
            except BadQuestionError as exc:
                bad += 1
                err.print(
                    f"[yellow]skipped[/yellow] {inert(f'{path}: {item.refused(exc)}')}", highlight=False, soft_wrap=True
                )
                continue
            sink.write(json.dumps(batch_line(item.id, answer), ensure_ascii=False) + "\n")
            written += 1
    err.print(f"{written} answers written to {inert(out_path)}; {bad} lines skipped", highlight=False)


@app.command(name="eval")
@handle_errors
def evaluate(
    dataset: Annotated[
        Path,
        typer.Argument(help="JSONL questions with gold (MultiHop-RAG, follow-ups, natural questions)", readable=False),
    ],
    k: TopK = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Only the first N questions")] = None,
    as_json: AsJson = False,
    llm: UseLLM = None,
    data_dir: DataDir = None,
    collection: Collection = None,
    chroma_url: ChromaUrl = None,
) -> None:
    """Retrieval and answer metrics on a dataset: Hits@4/10, MRR@10, MAP@10, DocRecall@10, abstention, latency;
    direct answers and quotes on a natural-questions file."""
    from qa.answer.assistant import Assistant
    from qa.eval import run_eval
    from qa.eval_natural import is_natural, run_natural
    from qa.serve.terminal import render_eval, render_natural

    settings = settings_from(data_dir, collection, chroma_url)
    assistant = Assistant(settings)
    natural = is_natural(dataset)
    progress = progress_bar("Evaluating", err)
    with progress:
        task = progress.add_task("eval", total=None)
        steps = {"on_total": lambda n: progress.update(task, total=n), "on_step": lambda: progress.advance(task)}
        if natural:
            assistant.warm_up()
            report = run_natural(assistant.ask, dataset, k=k, limit=limit, llm=llm, **steps)
        else:
            report = run_eval(assistant, dataset, k=k, limit=limit, llm=llm, **steps)
    for problem in report.skipped:
        err.print(f"[yellow]skipped[/yellow] {inert(problem)}", highlight=False, soft_wrap=True)
    summary = report.summary()
    if as_json:
        sys.stdout.write(json.dumps(summary) + "\n")
    elif natural:
        render_natural(summary, out)
    else:
        render_eval(summary, out)


@app.command()
@handle_errors
def serve(
    host: Annotated[
        str | None, typer.Option("--host", help="Interface to listen on [env QA_HOST, default 127.0.0.1]")
    ] = None,
    port: Annotated[int | None, typer.Option("--port", help="Port [env QA_PORT, default 7860]")] = None,
    data_dir: DataDir = None,
    collection: Collection = None,
    chroma_url: ChromaUrl = None,
) -> None:
    """Start the web chat (same as `python app.py`); indexes the corpus folder first when the index is empty."""
    from qa.serve.ui.start import configure_logging  # Gradio takes seconds to import: only for this command
    from qa.serve.ui.start import serve as serve_chat

    configure_logging()
    serve_chat(settings_from(data_dir, collection, chroma_url, host=host, port=port))


@app.command(name="serve-llm")
@handle_errors
def serve_llm(
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port on 127.0.0.1")] = DEFAULT_PORT,
    data_dir: DataDir = None,
) -> None:
    """Serve the packaged SmolLM2-135M model as an OpenAI-compatible server on 127.0.0.1 (for generated answers)."""
    settings = settings_from(data_dir, None, None)
    folder = model_folder(settings.data_dir)
    if not is_prepared(folder):
        err.print(f"Preparing {folder} from the packaged GGUF file (once; about a minute)…")
    prepare_model(folder)
    err.print(f"Serving {folder} on http://127.0.0.1:{port}/v1 — set QA_LLM_URL=http://127.0.0.1:{port}/v1")
    raise typer.Exit(run_model_server(folder, port))


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
