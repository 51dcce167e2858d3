"""The one exception family pages catch: the policy or the input says no."""


class PolicyError(Exception):
    """A refusal a team leader can read: the message names what is missing or wrong."""


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
