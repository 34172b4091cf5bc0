"""The assistant's errors: one base class, rendered once at the CLI or UI boundary."""


class QAError(Exception):
    """A failure the user can understand and usually fix; the message is one plain sentence."""

    exit_code = 1


class StoreError(QAError):
    """The vector store cannot be opened, reached or written."""


class IndexMismatchError(QAError):
    """The index was built with another model, backend or chunking."""


class EmptyIndexError(QAError):
    """There is nothing indexed to answer from."""


class BadQuestionError(QAError):
    """The question cannot be answered as given (empty, too long, ...)."""

    exit_code = 2


class NothingToIngestError(QAError):
    """No article could be read from the given inputs."""
