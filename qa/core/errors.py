"""Every error class of the project: one base class, rendered once at the CLI or UI boundary."""


class QAError(Exception):
    """A failure the user can understand and usually fix; the message is one plain sentence."""

    exit_code = 1


class StoreError(QAError):
    """The vector store cannot be opened, reached or written."""


class WriterBusyError(StoreError):
    """Another process holds the data directory's writer lock (a `qa ingest` is running)."""


class IndexMismatchError(QAError):
    """The index was built with another model, backend or chunking."""


class EmptyIndexError(QAError):
    """There is nothing indexed to answer from."""


class BadQuestionError(QAError):
    """The question cannot be answered as given (empty, too long, ...)."""

    exit_code = 2


class UnknownOutletError(BadQuestionError):
    """An outlet filter names no indexed outlet (the chat shows it beside its filters, not its question box)."""


class BadOptionError(QAError):
    """A command-line option or setting has a value that cannot be used."""

    exit_code = 2


class NothingToIngestError(QAError):
    """No article could be read from the given inputs; ``skipped`` says why for each of them."""

    def __init__(self, message: str, skipped: tuple = ()) -> None:
        super().__init__(message)
        self.skipped = tuple(skipped)  # `qa.core.types.Skip`s


class InputFileError(QAError):
    """A questions, history or dataset file cannot be read."""

    exit_code = 2


class DatasetError(QAError):
    """An evaluation file cannot be read."""


class LLMError(QAError):
    """The language model server cannot be reached, timed out or failed (answers fall back to extractive)."""
