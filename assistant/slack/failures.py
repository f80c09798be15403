"""Every failure of an answer as one short sentence for the thread: what happened and what
to do. Nothing is silent; the caller logs the event id with the error."""

from __future__ import annotations

import asyncio

from slack_sdk.errors import SlackApiError

from assistant import errors

NOT_MAPPED = (
    "Sorry, I can't answer you yet: your Slack account is not linked to an assistant "
    "account. Ask your admin to add your Slack user id ({user}) or your email to the "
    "assistant's keys file."
)
SHARED_DECLINED = (
    "This channel is shared with people outside the company (or you are a guest), so I "
    "don't answer here. Ask me in a direct message or an internal channel."
)
SHARED_NOTE = "Shared channel: answered from general knowledge only, without account data."
QUOTA = (
    "You have asked {count} questions in the last {window}; the limit is {limit}. "
    "Please try again later."
)
STREAM_ERROR = "error event from the engine"


class EngineFailed(Exception):
    """The engine's stream ended in an `error` event."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def reason(error: BaseException, reference: str) -> str:
    """The message posted in the thread for a failed answer."""
    if isinstance(error, errors.PermissionDeniedError):
        return f"I can't answer that: {error}. Ask your admin if you need access."
    if isinstance(error, errors.MessageTooLongError):
        return f"Your message is too long ({error}). Please shorten it."
    if isinstance(error, errors.InvalidInputError | errors.NotFoundError):
        return f"I can't answer that: {error}."
    if isinstance(error, errors.OverloadedError):
        return "The assistant is busy right now. Please try again in a minute."
    if isinstance(error, errors.IndexNotReadyError):
        return f"The knowledge index is not available ({error}). Please try again later."
    if isinstance(error, TimeoutError | asyncio.TimeoutError):
        return (
            "The answer took too long and was stopped. Please try again, or ask a narrower "
            "question."
        )
    if isinstance(error, EngineFailed):
        if error.status == 503:
            return (
                f"The assistant is unavailable right now ({error.detail}). "
                "Please try again in a minute."
            )
        if 400 <= error.status < 500:
            return f"I can't answer that: {error.detail}."
    if isinstance(error, SlackApiError):
        code = error.response.get("error", "unknown") if error.response else "unknown"
        return (
            f"Slack refused to take the answer ({code}). Please try again (reference {reference})."
        )
    return (
        "Something went wrong while answering. Please try again; if it keeps failing, give "
        f"your admin this reference: {reference}."
    )


def window_words(seconds: float) -> str:
    if seconds % 3600 == 0:
        hours = int(seconds // 3600)
        return "hour" if hours == 1 else f"{hours} hours"
    if seconds % 60 == 0:
        minutes = int(seconds // 60)
        return "minute" if minutes == 1 else f"{minutes} minutes"
    return f"{seconds:g} seconds"
