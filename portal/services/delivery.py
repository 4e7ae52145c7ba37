"""Delivering a notification: email over SMTP and the plugins' ``portal_notify`` hook, as a job.

Each channel (``email``, ``hook:<plugin>``) is *claimed* with a row of its own, unique per
notification and channel, before anything is sent, and marked sent after; a channel that
fails gives its claim back and the job raises, so huey retries it later (an SMTP server that is
down delays email, it loses none) while channels already sent are skipped. A retried job thus
never sends twice. The school's quiet hours hold every outward channel until they end; the
notification is in the app at once.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.headerregistry import BaseHeader, HeaderRegistry, UnstructuredHeader
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import formatdate, make_msgid
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from portal import jobs
from portal.database import write_transaction
from portal.extensions import db
from portal.messages import person_locale
from portal.models import Notification, NotificationDelivery, School, User
from portal.services import access, notifications, unsubscribe
from portal.timeutil import utcnow, zone_of
from portal.url_rules import public_base, public_url

log = logging.getLogger(__name__)
EMAIL = "email"


class DeliveryFailed(RuntimeError):
    """A channel could not deliver now; the job is retried."""


@dataclass(frozen=True)
class Outgoing:
    """What ``portal_notify`` receives as ``notification``: the text already in the person's
    language, a full link, and who it is for."""

    id: int
    key: str
    kind: str
    user_id: int
    username: str
    display_name: str
    school_code: str | None
    text: str
    url: str
    created_at: datetime
    footer: str = ""  # email only: where to change the settings, in the person's language
    greeting: str = ""  # email only: the person's name and the colon of their language (王雅琴：)
    unsubscribe: str = ""  # email only: the one-click link that stops this kind by email (RFC 8058)


def quiet_until(school: School | None, now: datetime) -> datetime | None:
    """When the school's quiet hours end (naive UTC), if ``now`` (naive UTC) is inside them."""
    if school is None:
        return None
    start, end = int(school.rule("quiet_hours_start")), int(school.rule("quiet_hours_end"))
    if start == end:
        return None  # no quiet hours
    zone = ZoneInfo(zone_of(school))
    local = now.replace(tzinfo=ZoneInfo("UTC")).astimezone(zone)
    hour = local.hour
    inside = (start <= hour < end) if start < end else (hour >= start or hour < end)
    if not inside:
        return None
    ends = local.replace(hour=end % 24, minute=0, second=0, microsecond=0)
    if ends <= local:
        ends += timedelta(days=1)
    return ends.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def outgoing(n: Notification, user: User, school: School | None) -> Outgoing:
    from flask_babel import force_locale
    from flask_babel import gettext as _

    base = public_base()
    lang = person_locale(user)
    with force_locale(lang):  # once for the text and the footer
        text = notifications.text(n).render()
        footer = _("Notification settings: %(url)s", url=public_url("notifications.settings"))
        greeting = _("%(name)s:", name=user.display_name)
    return Outgoing(
        id=n.id, key=n.key, kind=n.kind, user_id=user.id, username=user.username, display_name=user.display_name,
        school_code=school.code if school else None, text=text, url=base + (notifications.followed_link(n) or "/notifications"),
        created_at=n.created_at, footer=footer, greeting=greeting, unsubscribe=unsubscribe.link(user.id, n.kind, lang),
    )


class Mailer:
    """One SMTP connection for a batch of messages, opened on first use, reopened once if the
    server dropped it; any other failure closes it and is raised."""

    def __init__(self) -> None:
        self.smtp: smtplib.SMTP | None = None

    def _open(self) -> smtplib.SMTP:
        cfg = current_app.config
        host, port = str(cfg["MAIL_SERVER"]), int(cfg.get("MAIL_PORT") or 25)
        timeout = float(cfg.get("MAIL_TIMEOUT") or 10)
        smtp = (smtplib.SMTP_SSL if cfg.get("MAIL_USE_SSL") else smtplib.SMTP)(host, port, timeout=timeout)
        if cfg.get("MAIL_USE_TLS") and not cfg.get("MAIL_USE_SSL"):
            smtp.starttls()
        if cfg.get("MAIL_USERNAME"):
            smtp.login(str(cfg["MAIL_USERNAME"]), str(cfg.get("MAIL_PASSWORD") or ""))
        return smtp

    def send(self, message: EmailMessage) -> None:
        for attempt in (1, 2):
            if self.smtp is None:
                self.smtp = self._open()
            try:
                self.smtp.send_message(message)
                return
            except smtplib.SMTPServerDisconnected:
                self.smtp = None
                if attempt == 2:
                    raise
            except Exception:
                self.close()
                raise

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except Exception:  # noqa: BLE001 - closing a broken connection
                pass
            self.smtp = None


@jobs.job("notifications.deliver", retries=10, retry_delay=60)
def deliver(notification_id: int) -> None:
    """The job: every channel of one notification, each at most once."""
    deliver_now(notification_id, utcnow())


@jobs.job("notifications.deliver_many", retries=0)
def deliver_many(notification_ids: list[int]) -> list[int]:
    """A batch (what writing notifications queues): one SMTP connection for all of them; each
    one that fails goes back to the queue on its own as ``notifications.deliver`` (retried
    every minute), so one bad address or a server that is down delays only what it touches."""
    mailer = Mailer()
    failed: list[int] = []
    try:
        for nid in notification_ids:
            try:
                deliver_now(nid, utcnow(), mailer)
            except DeliveryFailed:
                failed.append(nid)
    finally:
        mailer.close()
    delay = current_app.config.get("JOBS_RETRY_DELAY")
    for nid in failed:
        jobs.enqueue("notifications.deliver", nid, eta=utcnow() + timedelta(seconds=60 if delay is None else int(delay)))
    return failed


def deliver_now(notification_id: int, now: datetime, mailer: Mailer | None = None) -> list[str]:
    """Deliver on every channel not yet delivered; returns the channels sent now. Raises
    :class:`DeliveryFailed` (after sending what it could) when a channel failed."""
    n = db.session.get(Notification, notification_id)
    if n is None:
        return []
    user = db.session.get(User, n.user_id)
    school = db.session.get(School, n.school_id) if n.school_id else None
    if user is None or not user.active:
        return []
    if n.school_id is not None and not access.still_members([(user.id, n.school_id)]):
        return []  # they left the school after it was queued
    held = quiet_until(school, now)
    if held is not None:
        jobs.enqueue("notifications.deliver", notification_id, eta=held)
        return []
    if not notifications.still_stands(n):  # withdrawn, moved or cancelled since (quiet hours held it)
        return []
    out = outgoing(n, user, school)  # everything read now: commits below expire the rows
    sent: list[str] = []
    failed: list[str] = []
    prefs = notifications.setting(user.id)
    address = prefs.email
    if current_app.config.get("MAIL_SERVER") and notifications.wants_email(prefs, n.kind):
        _channel(out.id, EMAIL, lambda: send_email(address, out, mailer), sent, failed)
    for plugin, call in _hook_calls(out):
        _channel(out.id, f"hook:{plugin}", call, sent, failed)
    if failed:
        raise DeliveryFailed(f"notification {out.id}: {', '.join(failed)} failed; retried later")
    return sent


def _channel(nid: int, channel: str, send: Any, sent: list[str], failed: list[str]) -> None:
    if not _claim(nid, channel):
        return  # sent (or being sent) by an earlier run of this job
    try:
        send()
    except Exception as exc:  # noqa: BLE001 - any failure of a channel means: try again later
        log.warning("notification %s: %s failed: %s", nid, channel, exc)
        with write_transaction() as s:
            s.execute(delete(NotificationDelivery).where(
                NotificationDelivery.notification_id == nid, NotificationDelivery.channel == channel,
                NotificationDelivery.sent_at.is_(None)))
        failed.append(channel)
        return
    with write_transaction() as s:
        s.execute(update(NotificationDelivery).where(
            NotificationDelivery.notification_id == nid, NotificationDelivery.channel == channel
        ).values(sent_at=utcnow()))
    sent.append(channel)


def _claim(nid: int, channel: str) -> bool:
    try:
        with write_transaction() as s:
            s.add(NotificationDelivery(notification_id=nid, channel=channel, claimed_at=utcnow()))
        return True
    except IntegrityError:
        return False


def delivered(nid: int) -> dict[str, datetime | None]:
    """Channel → when sent (None: claimed, not yet confirmed)."""
    return dict(db.session.execute(
        select(NotificationDelivery.channel, NotificationDelivery.sent_at).where(NotificationDelivery.notification_id == nid)
    ).all())


def one_line(text: str) -> str:
    """``text`` as one header line: a comment's or a title's line breaks (and whatever follows
    them, such as a forged ``Bcc:``) become spaces, never a header of their own."""
    return " ".join(part.strip() for part in text.splitlines() if part.strip())


class _OneLine(UnstructuredHeader, BaseHeader):
    """A header written on one line as it is: the default policy folds a long value it cannot
    break at a space into RFC 2047 encoded words, which a mail provider does not read as the
    ``List-Unsubscribe`` link (RFC 2369 headers hold URLs in ``<>``, never encoded words)."""

    def fold(self, *, policy: Any) -> str:
        return f"{self.name}: {self}{policy.linesep}"


_HEADERS = HeaderRegistry()
_HEADERS.map_to_type("list-unsubscribe", _OneLine)
_POLICY = default_policy.clone(header_factory=_HEADERS)


def send_email(to: str, out: Outgoing, mailer: Mailer | None = None) -> None:
    """One message through the configured SMTP server (``MAIL_*``), on ``mailer``'s connection
    when given."""
    cfg = current_app.config
    message = EmailMessage(policy=_POLICY)
    message["From"] = str(cfg.get("MAIL_DEFAULT_SENDER") or "yanxiu@localhost")
    message["To"] = to
    message["Subject"] = one_line(out.text)[:150]
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(idstring=f"yanxiu-notification-{out.id}")
    if out.unsubscribe:  # RFC 8058: a mail provider's "unsubscribe" button POSTs to the link
        message["List-Unsubscribe"] = f"<{out.unsubscribe}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(f"{out.greeting or out.display_name + ':'}\n\n{out.text}\n\n{out.url}\n\n-- \n{out.footer}\n")
    if mailer is not None:
        mailer.send(message)
        return
    own = Mailer()
    try:
        own.send(message)
    finally:
        own.close()


def _hook_calls(out: Outgoing) -> list[tuple[str, Any]]:
    """(plugin name, call) for each plugin implementing ``portal_notify``."""
    from portal.facade import Portal
    from portal.plugin_loader import call_one, in_registration_order
    from portal.registry import registry

    loaded = registry().plugins
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    calls = []
    for impl in in_registration_order(loaded, "portal_notify"):
        kwargs = {"notification": out, "portal": Portal(app, impl.plugin_name)}
        calls.append((impl.plugin_name, lambda impl=impl, kwargs=kwargs: call_one(loaded, impl, "portal_notify", kwargs)))
    return calls
