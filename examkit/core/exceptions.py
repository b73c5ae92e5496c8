"""One exception hierarchy for examkit. Every message is user-facing and localised."""

from __future__ import annotations

from examkit.core.i18n import t


class ExamkitError(Exception):
    """Base of every error examkit raises on purpose; the CLI prints it without a traceback."""

    exit_code = 2


class NoticeError(ExamkitError):
    """A batch, level or year the notice does not know."""


class ConfigError(ExamkitError):
    """A params or settings file that is missing or malformed."""


class InputError(ExamkitError):
    """An input file that cannot be used at all (not a table, no recognisable header)."""

    def __init__(self, message: str, *, file: str | None = None) -> None:
        super().__init__(message)
        self.file = file


class ValidationFailed(ExamkitError):
    """Input rows broke the rules; ``findings`` lists every problem."""

    exit_code = 1

    def __init__(self, message: str, findings: list | None = None) -> None:
        super().__init__(message)
        self.findings = findings or []


class RubricError(ExamkitError):
    """A rubric that does not add up, or does not match the batch's recorded rubric."""


class GradebookError(ExamkitError):
    """A gradebook operation that was refused."""


class StaleWriteError(GradebookError):
    """Someone else changed this mark since it was read; ``current`` holds their value."""

    def __init__(self, message: str, current: object = None) -> None:
        super().__init__(message)
        self.current = current


class OverwriteRefused(GradebookError):
    """A bulk write would change marks or flags already stored, and overwriting was not asked for."""

    exit_code = 1

    def __init__(self, message: str, conflicts: object = None) -> None:
        super().__init__(message)
        self.conflicts = conflicts  # polars frame: candidate_no, item_id (null for a flag), stored, incoming


class RunError(ExamkitError):
    """One or more notebooks failed in a batch run."""

    exit_code = 1


class PublicityError(GradebookError):
    """Refused because of a batch's publicity stage (frozen scores, review outside the period, too early to issue)."""


class CertificateError(ExamkitError):
    """A certificate that cannot be numbered or issued."""


# OS errors a user causes (a mistyped path, a file open in Excel, a folder given): catalogued text,
# not the system's English strerror embedded in a Chinese message.
_OS_ERRORS = (
    (FileNotFoundError, "io.os_not_found"),
    (IsADirectoryError, "io.os_is_directory"),
    (NotADirectoryError, "io.os_not_directory"),
    (PermissionError, "io.os_permission"),
)


def os_error_text(exc: OSError, lang: str | None = None) -> str:
    """Why a file could not be opened, in the message language (the system's text only for rarer errors)."""
    for kind, key in _OS_ERRORS:
        if isinstance(exc, kind):
            return t(key, lang)
    return exc.strerror or str(exc)
