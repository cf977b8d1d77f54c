"""The engine's failures, classified the way the worker loop acts on them.

``ModelLoadError`` is fatal: the process cannot serve without its model, so it should exit
loudly and let the orchestrator restart it. ``InvalidRequestError`` is bad input: the worker
sends that record to the dead-letter topic and carries on. The lead may re-parent these
under the project-wide hierarchy; the engine only relies on the names.
"""

from __future__ import annotations


class EngineError(Exception):
    """Base class for every error raised by ``workers.engine``."""


class ModelLoadError(EngineError):
    """The model folder is missing, incomplete or unreadable (fatal)."""


class ModelIntegrityError(ModelLoadError):
    """A file's sha256 does not match the manifest (fatal: never serve a tampered model)."""


class InvalidRequestError(EngineError):
    """A generation request cannot be served as given (bad input, not retryable)."""
