"""The one exception family pages catch: the policy or the input says no."""

from __future__ import annotations

import logging
import sys
from types import FrameType

log = logging.getLogger(__name__)


def _refusing_service() -> tuple[str, int | None]:
    """The service (the outermost core.services function on the stack: the use case a page
    called) that is refusing, and its actor's id. A refusal raised outside any service (a
    policy function called directly) names its nearest caller outside this module."""
    frame: FrameType | None = sys._getframe(2)
    service, actor_id, fallback = None, None, None
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if module != __name__ and fallback is None:
            fallback = f"{module}.{frame.f_code.co_name}"
        if module.startswith("core.services"):
            service = f"{module}.{frame.f_code.co_name}"
            actor_id = getattr(frame.f_locals.get("actor"), "user_id", actor_id)
        frame = frame.f_back
    return service or fallback or "?", actor_id


class PolicyError(Exception):
    """A refusal a team leader can read: the message names what is missing or wrong.

    Every refusal is logged here, once, at debug level: the refusal's type, the service that
    refused and the acting user's id. Never the message: it can quote names or input. (Here
    rather than in each service or in ui.session.attempt so that no path can skip it, pages
    and tests included; the stack is walked only when debug logging is on.)"""

    def __init__(self, *args: object) -> None:
        super().__init__(*args)
        if log.isEnabledFor(logging.DEBUG):
            service, actor_id = _refusing_service()
            log.debug(
                "refused: %s in %s",
                type(self).__name__,
                service,
                extra={"refusal": type(self).__name__, "service": service, "actor_id": actor_id},
            )


class PermissionDenied(PolicyError):
    """The acting user's role may not do this."""


class NotFound(PolicyError):
    """The record asked for does not exist (or is not visible to this user)."""


class StaleRecord(PolicyError):
    """Optimistic locking: someone else saved the record after this user opened it."""

    def __init__(self, what: str = "case") -> None:
        super().__init__(
            f"This {what} changed since you opened it. Reload it to see the latest version, "
            "then make your change again."
        )


class ConfigError(Exception):
    """A setting the operator must fix (database URL, data folder, config); one plain line."""
