"""The review queue's repeated parts, each written in one piece: a held activity's card (its
header, participant table, materials, comment box and buttons), a reviewed activity's row and
its "post credits" form.

The template wrote each card with some forty expressions (escapes, attribute and dict
look-ups, filters, macro calls) and ten cards of up to sixty people were most of the page's
time. Here the words are the template's (``tx``, translated once per page by ``_()`` in
``review/queue.html``) and the type's labels (``review._labels``); which buttons a viewer sees
is decided in the view by the workflow and policy (``item.allowed``, ``item.own``,
``item.adjustable``), never here. Only texts that are not the catalogue's are escaped (titles,
names, type and trigger labels, URLs); ids and hours figures are digits. Tests keep the
template's loops as references and compare byte for byte (``tests/perf/test_queue_cards.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from markupsafe import Markup, escape

from portal.hours import fmt
from portal.messages import tr
from portal.once import once_each
from portal.services.shared_certificates import FILE, NUMBER, SharedCertificate
from portal.timeutil import utcnow
from portal.web.escaping import html_text
from portal.web.helpers import tally_said, tally_words
from portal.web.queue_rows import MARK, people_rows, said_of
from workflows.definition import CORE

HEAD_WORDS = ("name", "role", "attended", "evidence", "hours")
#: The triggers the queue's bulk forms fire (``review.bulk``), asked of the workflow by what they
#: do (confirm the hours, post them): an activity is selectable for one only when the view found
#: it among the triggers the viewer may fire (``item.allowed``).
BULK_APPROVE, BULK_CREDIT = CORE.approving().trigger, CORE.posting().trigger
STEP = "\u2063S\u2063"  # where ``tx['after_end']`` takes the step's name (the template's placeholder)


def _notice(message: Any, aid: int) -> str:
    """The notice shown in place of an activity's hours when its type's credit rule raised."""
    return (f'<div class="alert alert-warning small mb-2" role="alert" data-testid="plugin-hours-failed-{aid}">'
            f"{escape(tr(message))}</div>")


@dataclass(frozen=True)
class Typed:
    """What a reviewer typed on a card whose decision was refused: shown again on it, so a
    refusal ("请填写调整原因") costs them nothing they wrote. ``hours`` by user id, as typed."""

    activity_id: int
    comment: str
    hours: Mapping[str, str]


@dataclass(frozen=True)
class QueueCards:
    """What every card and row of one page shares: ``tx`` the template's translated words
    (trusted catalogue text), ``labels`` the words by type (``review._labels``), the link
    builders (``helpers.id_url``), ``hidden`` the form's hidden fields (CSRF), the trigger
    sets that pick a button's style, ``here`` the template's ``messages_here`` macro when
    messages wait beside an activity (None: none wait), ``when`` the page's date format
    (``helpers.local_time``) and ``typed`` what the reviewer typed on a card whose decision was
    just refused (None: nothing)."""

    tx: Mapping[str, str]
    labels: Mapping[str, Mapping[str, Any]]
    show_url: Callable[[int], str]
    decide_url: Callable[[int], str]
    evidence_url: Callable[[int], str]
    hidden: str
    adjusting: Collection[str]
    commenting: Collection[str]
    here: Callable[..., Any] | None
    when: Callable[[datetime], str]
    typed: Typed | None = None
    people_url: Callable[[int], str] | None = None  # a held card listed whole (``?people=``)

    def held(self, items: Iterable[Any]) -> Markup:
        """The cards of the held activities (``overview.QueueItem`` with ``allowed``, ``own``
        and ``adjustable`` set by the view), as the template's loop wrote them."""
        tx = {key: str(value) for key, value in self.tx.items()}
        head = (
            '\n<div class="table-responsive">\n<table class="table table-sm align-middle table-stack">\n'
            "  <thead><tr><th>{name}</th><th>{role}</th><th class=\"text-end\">{attended}</th>"
            "<th>{evidence}</th><th>{hours}</th></tr></thead>\n  <tbody>\n  "
        ).format(**{key: tx[key] for key in HEAD_WORDS})
        foot = "\n  </tbody>\n</table>\n</div>\n"
        hidden, figure = str(self.hidden), once_each(fmt)
        names = once_each(lambda key: str(escape(self.labels[key]["name"])))
        out, said_as = [], None
        for item in items:
            a = item.activity
            aid, key = int(a.id), a.type_key
            labels = self.labels[key]
            title = html_text(a.title)
            typed = self.typed if self.typed is not None and self.typed.activity_id == aid else None
            rows = people_rows(item, item.adjustable, self.tx, labels, self.evidence_url, typed.hours if typed else None)
            tally = whole = ""
            if item.tally is not None and item.plain:  # not listed whole: everyone counted, and the link to them
                t = item.tally
                said_as = said_as or tally_words()  # asked once a page
                counted = html_text(tally_said(t.attendance, t.adjusted, t.short, said_as))
                tally = f'<p class="small mb-2" data-testid="queue-tally-{aid}">{counted}</p>\n      '
                if self.people_url is not None:
                    words = tx["all_people_adjust" if item.adjustable else "all_people"].replace(MARK, str(int(t.people)))
                    whole = (f'<p class="small mb-2"><a href="{html_text(self.people_url(aid))}"'
                             f' data-testid="all-people-{aid}">{words}</a></p>\n      ')
            here = str(self.here(f"activity-{aid}")) if self.here is not None else ""
            materials = ""
            if item.activity_evidence:
                kinds = labels["kinds"]
                listed = tx["comma"].join(
                    f"{escape(kinds[e.kind])}{tx['colon']}{escape(e.title)}" if e.title else str(escape(kinds[e.kind]))
                    for e in item.activity_evidence
                )
                materials = f'\n      <p class="small mb-2">{tx["materials"]}{tx["colon"]}\n        {listed}</p>\n      '
            why_own = tx["handed_in" if item.handed_in else "own"]  # only as they handed in its evidence: said so
            own = (f'<p class="small text-warning-emphasis" data-testid="own-activity-{aid}">{why_own}</p>'
                   if item.own else "")
            if item.returned is not None:  # back at once after a return: said, so it is not taken for new
                back = item.returned
                said = _("Returned for rework by %(who)s at %(when)s: %(comment)s",
                         who=back.by, when=self.when(back.at), comment=back.comment)
                here += f'\n    <p class="alert alert-warning small py-2" data-testid="returned-{aid}">{html_text(said)}</p>'
            if item.refused_before:  # declared again after a refusal: who refused it, when and why
                lines = (_("Declared before and refused in review: “%(title)s” (%(day)s), by %(who)s at %(when)s: "
                           "%(comment)s", title=r.title, day=r.day, who=r.by, when=self.when(r.at), comment=r.comment)
                         for r in item.refused_before)
                said = "".join(f'<p class="mb-0">{html_text(line)}</p>' for line in lines)
                here += f'\n    <div class="alert alert-warning small py-2" data-testid="refused-before-{aid}">{said}</div>'
            if item.shared:  # its certificate on another teacher's declaration: theirs named, as on its page
                here += self._shared(item.shared, aid)
            if item.closed_year is not None:  # its year closed to credits: approving it posts nothing
                here += (f'\n    <p class="alert alert-info small py-2" data-testid="closed-year-{aid}">'
                         f"{escape(item.closed_year)}</p>")
            if item.notice is not None:  # its credit rule raised: no hours to show (the steps stay refused)
                here = f"{_notice(item.notice, aid)}\n    {here}"
            if item.allowed:
                buttons = "".join([self._button(t, key, aid) for t in item.allowed])
            else:
                buttons = ("" if item.own else f'<p class="small text-muted mb-0">{tx["nothing"]}</p>') + "\n        "
            # one's own activity with nothing to fire: the line saying why (``own``), no comment box
            comment = "" if item.own and not item.allowed else (
                f'<label class="form-label small" for="comment-{aid}">{tx["comment"]}</label>\n'
                f'      <textarea class="form-control mb-2" id="comment-{aid}" name="comment" rows="2"'
                f' data-testid="comment-{aid}">{html_text(typed.comment) if typed else ""}</textarea>')
            # the version read with the figures shown: moved since, the decision is refused (transitions.fire)
            version = f'<input type="hidden" name="version" value="{int(a.version)}">'
            # in a label of its own: a tap target of 40 px on a phone (the box alone is 16)
            select = (f'<label class="tap-select"><input type="checkbox" class="form-check-input" name="ids"'
                      f' value="{aid}" form="bulk-approve" aria-label="{title}" data-testid="select-{aid}"></label>'
                      f'<input type="hidden" name="version-{aid}" value="{int(a.version)}" form="bulk-approve">'
                      if BULK_APPROVE in item.allowed else "")
            out.append(
                f'\n\n<div class="card mb-3" id="activity-{aid}" data-testid="queue-item-{aid}">\n'
                '  <div class="card-header d-flex flex-wrap gap-2 align-items-center">\n'
                f"    {select}\n"
                f'    <a href="{html_text(self.show_url(aid))}" class="fw-bold queue-title">{title}</a>\n'
                f'    <span class="text-muted small">{names(key)} · {html_text(self.when(a.starts_at))} · '
                f'{figure(a.hours)} {tx[said_of("unit", a.hours)]} · {html_text(item.organizer_name or "")}</span>\n'
                "  </div>\n"
                '  <div class="card-body">\n'
                f"    {here}\n"
                f'    <form method="post" action="{html_text(self.decide_url(aid))}" data-testid="decide-form-{aid}">\n'
                f"      {hidden}{version}\n      \n      {tally}{head}"
                f"{rows}{foot}\n      {whole}"
                f"{materials}\n"
                f"      {comment}\n"
                f"      {own}\n"
                '      <div class="d-flex flex-wrap gap-2">\n'
                f"        {buttons}\n"
                "      </div>\n"
                "    </form>\n"
                "  </div>\n"
                "</div>\n"
            )
        return Markup("".join(out))  # noqa: S704 (escaped above; tx is the template's translated text)

    def _shared(self, shared: Iterable[SharedCertificate], aid: int) -> str:
        """The note of a declaration whose certificate file or number another teacher's standing
        declaration carries too (``shared_certificates``), in the words of its page
        (``activities/show.html``): what it shares, and theirs, each linked with what it shares."""
        shared = list(shared)
        by = {what for c in shared for what in c.by}
        said = ""
        if FILE in by:
            file_said = escape(_("A file of this declaration is also the certificate of another teacher's declaration: "
                                 "check that the certificate names this teacher (a list naming everyone who took "
                                 "part is one file for all)."))
            said += f'<p class="mb-1">{file_said}</p>'
        if NUMBER in by:
            number_said = escape(_("The certificate number of this declaration is also declared by another teacher: "
                                   "check that the certificate is this teacher's own."))
            said += f'<p class="mb-1" data-testid="shared-certificate-number-{aid}">{number_said}</p>'
        badge = {FILE: escape(_("the same file")), NUMBER: escape(_("the same certificate number"))}
        theirs = []
        for c in shared:
            named = html_text(_("%(teacher)s: “%(title)s” (%(day)s)", teacher=c.teacher, title=c.title, day=c.day))
            badges = "".join(f' <span class="badge text-bg-light">{badge[what]}</span>' for what in c.by)
            theirs.append(f'<li><a class="tap-link" href="{html_text(self.show_url(c.activity_id))}">{named}</a>'
                          f"{badges}</li>")
        return (f'\n    <div class="alert alert-warning small py-2" data-testid="shared-certificate-{aid}">'
                f'{said}<ul class="mb-0">{"".join(theirs)}</ul></div>')

    def _button(self, trigger: str, type_key: str, aid: int) -> str:
        """One trigger's button (its style by what the transition asks: hours, a comment)."""
        style = ("btn-success" if trigger in self.adjusting
                 else "btn-outline-danger" if trigger in self.commenting else "btn-outline-primary")
        t = escape(trigger)
        words = self.labels[type_key]
        # a comment it needs is said before any question; a step that loses hours asks (as on its page)
        needs = f' data-needs-comment="{escape(said)}"' if (said := words.get("needs", {}).get(trigger)) else ""
        asks = f' data-confirm="{escape(asked)}"' if (asked := words.get("asks", {}).get(trigger)) else ""
        return (f'\n        <button type="submit" name="action" value="{t}" class="btn {style}"{needs}{asks}'
                f' data-testid="{t}-{aid}">{escape(words["triggers"][trigger])}</button>\n        ')

    def reviewed_rows(self, items: Iterable[Any]) -> Markup:
        """The reviewed activities' table rows (a message row above one when a message waits
        beside it), as the template's loop wrote them."""
        figure = once_each(fmt)
        names = once_each(lambda key: str(escape(self.labels[key]["name"])))
        now, after_end = utcnow(), str(self.tx["after_end"])
        # on a phone each row is a card (``table-stack``): the figures under the title, each with its heading
        type_word, people_word, hours_word = (str(self.tx[k]) for k in ("type", "participants", "hours"))
        out = []
        for item in items:
            a = item.activity
            aid, title = int(a.id), html_text(a.title)
            waits = (f'<div class="small text-muted" data-testid="after-end-{aid}">'
                     + after_end.replace(MARK, str(escape(self.when(a.ends_at))))
                     .replace(STEP, str(escape(self.labels[a.type_key]["triggers"][BULK_CREDIT]))) + "</div>"
                     if a.ends_at > now else "")
            here = self.here(f"activity-{aid}", "mb-0") if self.here is not None else ""
            if item.closed_year is not None:  # its year closed to credits: approving it posts nothing
                here += (f'\n    <p class="alert alert-info small py-2" data-testid="closed-year-{aid}">'
                         f"{escape(item.closed_year)}</p>")
            if item.notice is not None:  # its credit rule raised: the notice, no total
                here = Markup(f"{_notice(item.notice, aid)}{here}")  # noqa: S704 (escaped in _notice)
            above = f'<tr><td></td><td colspan="4">{here}</td></tr>' if str(here).strip() else ""
            total = "—" if item.notice is not None else figure(item.would_get_total)
            select = credit = ""
            if BULK_CREDIT in item.allowed:  # its own form (credit_forms), outside the bulk form the table is in
                word = escape(self.labels[a.type_key]["triggers"][BULK_CREDIT])
                select = (f'<label class="tap-select"><input type="checkbox" class="form-check-input" name="ids"'
                          f' value="{aid}" aria-label="{title}" data-testid="select-credit-{aid}"></label>'
                          f'<input type="hidden" name="version-{aid}" value="{int(a.version)}">')
                credit = (f'<div><button type="submit" form="credit-form-{aid}" name="action" value="{BULK_CREDIT}"'
                          f' class="btn btn-outline-primary btn-sm mt-1" aria-label="{word}{self.tx["colon"]}{title}"'
                          f' data-testid="credit-{aid}">{word}</button></div>')
            out.append(
                f"\n    \n    \n    {above}\n"
                f'    <tr id="activity-{aid}" data-testid="reviewed-{aid}">\n'
                f"      <td>{select}</td>\n"
                f'      <td class="stack-grow"><a href="{html_text(self.show_url(aid))}">{title}</a>{waits}{credit}</td>\n'
                f'      <td class="stack-inline" data-label="{type_word}">{names(a.type_key)}</td>\n'
                f'      <td class="text-end stack-inline" data-label="{people_word}">{int(item.size)}</td>\n'
                f'      <td class="text-end stack-inline" data-label="{hours_word}">{total}</td>\n'
                "    </tr>\n    "
            )
        return Markup("".join(out))  # noqa: S704 (escaped above)

    def credit_forms(self, items: Iterable[Any]) -> Markup:
        """A "post credits" form per reviewed activity the viewer may credit, as the template's
        loop wrote them: no button of its own, the row's button names it (``form``), so a phone
        shows the button beside the activity, not in a list below the table."""
        hidden = str(self.hidden)
        out = []
        for item in items:
            if BULK_CREDIT not in item.allowed:  # the viewer may not post them (took part, …)
                continue
            aid = int(item.activity.id)
            out.append(
                f'\n<form method="post" action="{html_text(self.decide_url(aid))}" id="credit-form-{aid}" hidden>\n'
                f'  {hidden}<input type="hidden" name="version" value="{int(item.activity.version)}">\n'
                "</form>\n"
            )
        return Markup("".join(out))  # noqa: S704 (escaped above)
