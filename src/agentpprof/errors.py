"""User-facing errors. The CLI prints ``error: <message>`` plus the hint and exits with the code."""

from __future__ import annotations

from typing import ClassVar


class AgentpprofError(Exception):
    exit_code: ClassVar[int] = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class NoSessionsError(AgentpprofError):
    pass


class StrictWarningsError(AgentpprofError):
    exit_code: ClassVar[int] = 4


class OutputError(AgentpprofError):
    pass


class LlamaServerError(AgentpprofError):
    """The llama.cpp server is missing, unreachable, crashed or never became ready."""

    exit_code: ClassVar[int] = 3


class EndpointDown(LlamaServerError):
    """One server stopped answering (refused, reset, timed out, or kept failing with 5xx): a
    pool retries the request on its other endpoints."""


class TaggingError(AgentpprofError):
    """The model gave no valid one-word tag after retry."""

    exit_code: ClassVar[int] = 3


class SetupError(AgentpprofError):
    """Building llama-server or assembling the model failed."""

    exit_code: ClassVar[int] = 3


class ModelIntegrityError(AgentpprofError):
    """A model's assembled bytes are not the pinned file (size or sha256): nothing is kept."""
