"""The district's steps on a school's submitted year or semester (汇总上交): the statuses a
submission goes through, from which each step goes to which, and what a step asks before it is
taken. One place the service enforces (``portal.services.submissions``) and the district's page
asks (its return says the missing comment beside the box before anything is sent, as the
activity page and the review queue do for ``Transition.needs_comment_with``). Who may take a
step is :mod:`portal.policy`'s (``may_decide_submission_of``, ``may_reopen_year_of``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

SUBMITTED, RETURNED, ACCEPTED, REOPENED = "submitted", "returned", "accepted", "reopened"
STATUSES = (SUBMITTED, RETURNED, ACCEPTED, REOPENED)


@dataclass(frozen=True)
class Step:
    """A district's step on a submission: from ``sources`` to ``dest``."""

    trigger: str
    sources: tuple[str, ...]
    dest: str
    #: A comment is asked: the school is told what to correct (a return), the audit log why
    #: (a reopen).
    comment_required: bool = False
    #: A comment on one teacher's row stands for the comment to the school (a return that
    #: concerns one teacher's figures says so there).
    comment_on_rows: bool = False

    def lacks_comment(self, comment: str | None, row_comments: Iterable[str | None] = ()) -> bool:
        """Whether taking the step with ``comment`` (to the school) and ``row_comments`` (on
        teachers' rows) is refused for want of a comment: blank ones count as none."""
        if not self.comment_required:
            return False
        given = bool((comment or "").strip())
        on_rows = self.comment_on_rows and any((c or "").strip() for c in row_comments)
        return not (given or on_rows)


ACCEPT = Step("accept", (SUBMITTED,), ACCEPTED)
RETURN = Step("return", (SUBMITTED,), RETURNED, comment_required=True, comment_on_rows=True)
REOPEN = Step("reopen", (ACCEPTED,), REOPENED, comment_required=True)
STEPS: tuple[Step, ...] = (RETURN, ACCEPT, REOPEN)  # in the order the audit log lists them


def step(trigger: str) -> Step:
    """The step called ``trigger``; ``KeyError`` for any other."""
    for s in STEPS:
        if s.trigger == trigger:
            return s
    raise KeyError(trigger)
