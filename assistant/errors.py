"""The exception tree of success-assistant.

    AssistantError                  base of every error the service raises on purpose
    ├── ConfigurationError          settings that cannot work (missing model, bad URL)
    │   ├── RulesError              the business-rules file is missing or invalid
    │   └── SchemaOutdatedError     the database is behind the migrations: `assistant db upgrade`
    ├── LoaderError                 one file cannot be read; ingestion reports it and skips it
    │   └── UnsupportedFileError    no loader for this file type
    ├── IndexNotReadyError          the knowledge index is not built yet or unavailable (503)
    ├── OverloadedError             no CPU worker free in time; retry later (503)
    ├── IngestLockedError           another ingest holds the data directory's writer lock
    ├── DataDirError                the data directory cannot be created or written
    ├── NotFoundError               a named thing (conversation, account, ...) does not exist
    ├── InvalidInputError           a request value cannot be used (HTTP 422)
    │   └── MessageTooLongError     a message above the configured limit (HTTP 413)
    ├── AuthenticationError         no or unknown API key (HTTP 401)
    └── PermissionDeniedError       the caller may not see this account (HTTP 403)

The API maps each to one HTTP status in `assistant.api.errors`; nothing becomes a 500.
"""

from __future__ import annotations


class AssistantError(Exception):
    """Base class; `str(error)` is a message a user can act on."""


class ConfigurationError(AssistantError):
    pass


class RulesError(ConfigurationError):
    """The rules file cannot be used; the message names the file, the key and the fix."""


class SchemaOutdatedError(ConfigurationError):
    """The database's schema revision is not the code's (cluster profile, not upgraded)."""


class LoaderError(AssistantError):
    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class UnsupportedFileError(LoaderError):
    pass


class IndexNotReadyError(AssistantError):
    pass


class OverloadedError(AssistantError):
    """Too much work queued (no CPU worker free in time): retry later (503)."""


class IngestLockedError(AssistantError):
    pass


class DataDirError(AssistantError):
    pass


class NotFoundError(AssistantError):
    pass


class InvalidInputError(AssistantError):
    pass


class MessageTooLongError(InvalidInputError):
    pass


class AuthenticationError(AssistantError):
    pass


class PermissionDeniedError(AssistantError):
    pass
