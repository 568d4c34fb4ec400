"""Errors that no protocol owns.

Every layer below the front ends raises these; each protocol maps them once, in one
place, to fixed user-safe replies (``OverQuota`` -> SMTP ``452 4.2.2``, IMAP
``NO [OVERQUOTA]``, POP3 ``-ERR``). The message of an error is safe to show to the user
who caused it: it never names a file path, an SQL statement or a configuration variable.
"""

from __future__ import annotations


class PostroomError(Exception):
    """Base of all protocol-neutral errors."""

    default_message = "operation failed"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.default_message)

    @property
    def message(self) -> str:
        return str(self.args[0])


class NotFound(PostroomError):
    """The named thing (folder, message, account, domain ...) does not exist."""

    default_message = "not found"


class AlreadyExists(PostroomError):
    """A thing with that name exists already."""

    default_message = "already exists"


class NotPermitted(PostroomError):
    """The actor may not do this (policy, status or role)."""

    default_message = "not permitted"


class OverQuota(PostroomError):
    """Storing this would exceed the account's quota."""

    default_message = "mailbox is over quota"


class OverAllocation(PostroomError):
    """The organisation's mailbox or storage allocation would be exceeded."""

    default_message = "the organisation's allocation would be exceeded"


class Invalid(PostroomError):
    """The input is malformed or out of range."""

    default_message = "invalid input"


class LimitExceeded(PostroomError):
    """A configured size or count limit was hit (line length, message size, parts ...)."""

    default_message = "limit exceeded"


class AuthenticationFailed(PostroomError):
    """Unknown user or wrong password: deliberately the same error for both."""

    default_message = "authentication failed"


class Throttled(PostroomError):
    """Too many failed attempts: try again later."""

    default_message = "too many failed attempts, try again later"


class TemporaryFailure(PostroomError):
    """Storage or database trouble: the client should retry later; nothing was lost."""

    default_message = "temporary failure, try again later"


class ConfigError(PostroomError):
    """The settings are unusable (bad value, default secret in production ...)."""

    default_message = "invalid configuration"
