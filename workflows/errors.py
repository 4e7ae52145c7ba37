"""Why a trigger was refused. The portal maps these to HTTP 409 / 403 / 422."""

from __future__ import annotations


class WorkflowError(Exception):
    """Base class of every refusal raised by the workflow engine."""

    code = "workflow_error"


class UnknownTrigger(WorkflowError):
    """The trigger name is not part of this type's workflow at all."""

    code = "unknown_trigger"

    def __init__(self, trigger: str, known: list[str]):
        self.trigger = trigger
        self.known = known
        super().__init__(f"unknown trigger {trigger!r}; known triggers: {', '.join(known)}")


class IllegalTransition(WorkflowError):
    """The trigger exists but cannot fire from the current state (whoever fires it)."""

    code = "illegal_transition"

    def __init__(self, trigger: str, state: str, allowed: list[str]):
        self.trigger = trigger
        self.state = state
        self.allowed = allowed
        super().__init__(
            f"{trigger!r} is not allowed from state {state!r}; allowed: {', '.join(allowed) or 'none'}"
        )


class TriggerNotPermitted(WorkflowError):
    """The trigger is legal now, but the caller's roles may not fire it."""

    code = "forbidden"

    def __init__(self, trigger: str, reason: str):
        self.trigger = trigger
        self.reason = reason
        super().__init__(reason)


class GuardFailed(WorkflowError):
    """A guard refused the trigger; ``missing`` lists what has to be done first."""

    code = "guard_failed"

    def __init__(self, trigger: str, missing: list):
        self.trigger = trigger
        self.missing = missing
        super().__init__(f"{trigger!r} refused: " + "; ".join(str(m) for m in missing))


class GuardRaised(WorkflowError):
    """A guard raised instead of answering: a bug in the plugin that provides it, not a refusal
    the user can act on. ``guard`` is the guard's name; the exception is ``__cause__``."""

    code = "guard_raised"

    def __init__(self, trigger: str, guard: str, error: BaseException):
        self.trigger = trigger
        self.guard = guard
        self.error = error
        super().__init__(f"guard {guard} of {trigger!r} raised {type(error).__name__}: {error}")


class CommentRequired(WorkflowError):
    """The trigger needs a comment (return, revoke; cancel when others take part or signed up:
    ``for_others``) and none was given."""

    code = "invalid"

    def __init__(self, trigger: str, for_others: bool = False):
        self.trigger = trigger
        self.for_others = for_others
        super().__init__(f"{trigger!r} needs a comment" + (", the reason the people in the activity are told"
                                                            if for_others else ""))


class NotStarted(WorkflowError):
    """The trigger may not fire before the activity's start (``hold``: nothing is held, and so
    nothing credited, before it happened)."""

    code = "not_started"

    def __init__(self, trigger: str, starts_at):
        self.trigger = trigger
        self.starts_at = starts_at  # UTC, naive
        super().__init__(f"{trigger!r} is not possible before the activity starts")


class NotEnded(WorkflowError):
    """The trigger may not fire before the activity's end (``credit``: hours are credited for
    what took place, once all of it has)."""

    code = "not_ended"

    def __init__(self, trigger: str, ends_at):
        self.trigger = trigger
        self.ends_at = ends_at  # UTC, naive
        super().__init__(f"{trigger!r} is not possible before the activity ends")
