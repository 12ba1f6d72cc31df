"""Domain errors. The HTTP layer and the CLI translate these; the engine only raises them."""

from __future__ import annotations


def first_line(e: BaseException) -> str:
    """An exception's message cut to one line (its type's name when it has none), for one-line errors."""
    return (str(e).strip().splitlines() or [type(e).__name__])[0]


def json_syntax_error(msg: str, where: str) -> str:
    """`json`'s message with where it failed: "Expecting value at column 3"; some messages end in "at"
    already ("Unterminated string starting at")."""
    return f"{msg} {where}" if msg.endswith(" at") else f"{msg} at {where}"


def json_parse_failure(e: BaseException) -> str:
    """Why `json.loads` (or a YAML loader) failed other than on syntax, in one line: nesting past the stack,
    or Python's limit of 4,300 digits on an integer (its advice after ';' is for our code, not the user)."""
    return "nested too deeply" if isinstance(e, RecursionError) else first_line(e).split(";")[0]


class EncodingStopped(Exception):
    """The encoder's or the seq2seq summariser's `stop` said to: nobody waits for these vectors or this
    summary any more (not an error to report)."""


class NewsdeskError(Exception):
    """Base class for errors a user can act on (bad input, bad config)."""

    code = "error"
    status = 400

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code


class InputError(NewsdeskError):
    """The article or request cannot be analysed as given."""

    code = "invalid_input"
    status = 422


class TextTooLong(InputError):
    """The text is longer than `limits.max_chars` and the config says to refuse it, not cut it."""

    code = "text_too_long"
    status = 413


class ConfigError(NewsdeskError):
    """A config file is missing, unreadable or does not validate."""

    code = "invalid_config"
    status = 500
