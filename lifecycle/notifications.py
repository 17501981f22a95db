"""In-app notifications (and e-mail by preference): the one way any layer tells a person
that something happened. The only writer of Notification and NotificationPreference.

API (keep it small; docs/architecture.md "Notifications"):

* ``notify(recipients=…, kind=…, title=gettext_noop("…{name}…"), params={…}, body="",
  link="/…", actor=None, key="", email=True)`` → the rows written. Call it inside the
  sender's transaction (after its audit row); e-mail goes out after commit. `title` is a
  source-language template marked with django's ``gettext_noop`` (so makemessages collects
  it), translated when shown and filled with `params`. `body` is free text shown as typed
  (a comment, a reason). `link` is a site-local path (``/…``). The actor is never notified
  of their own act. With `key`, a recipient gets the notification once (run_due's
  reminders, review's warnings).
* ``notify_many([{…notify's keywords…}, …])``: several at once, one insert (a decision's
  announcements).
* ``mark_read(user=…, ids=[…])``, ``mark_all_read(user=…)``.
* ``preferences_for(user)`` / ``preferences_set(user=…, choices={kind: (in_app, email)})``,
  ``wants_email(user, kind)``.
* ``register_kind(code, label, email_default=False)``: a higher layer adds a kind at
  start-up (no migration: kind is a plain string).

Kinds and their defaults: everything in-app; e-mail only for reminder and overdue, which
approvals.run_due_mail delivers itself (its ledger, retries) — it asks ``wants_email``, and
the in-app copies it writes pass ``email=False``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from lifecycle.models import Notification, NotificationPreference
from lifecycle.types import User

logger = logging.getLogger("govmedia.notifications")

__all__ = [
    "COPIED", "DECIDED", "KINDS", "OVERDUE", "REMINDER", "RETURNED", "TASK_NEW", "URGED",
    "WARNING", "Kind", "mark_all_read", "mark_read", "notify", "notify_many", "preferences_for",
    "preferences_set", "register_kind", "wants_email", "email_wanted",
]


@dataclass(frozen=True)
class Kind:
    code: str
    label: str | Promise
    email_default: bool = False


KINDS: dict[str, Kind] = {}


def register_kind(code: str, label: str | Promise, *, email_default: bool = False) -> Kind:
    kind = KINDS[code] = Kind(code, label, email_default)
    return kind


TASK_NEW = register_kind("task_new", _("新待办")).code
RETURNED = register_kind("returned", _("申请被退回")).code
DECIDED = register_kind("decided", _("审批结果")).code
URGED = register_kind("urged", _("催办")).code
COPIED = register_kind("copied", _("抄送")).code
REMINDER = register_kind("reminder", _("即将到期提醒"), email_default=True).code
OVERDUE = register_kind("overdue", _("超期督办"), email_default=True).code
WARNING = register_kind("warning", _("预警")).code


# -- preferences ----------------------------------------------------------------------------


def _choices(user_ids: Iterable[int], kind: str) -> dict[int, tuple[bool, bool]]:
    """(in_app, email) per user for one kind, defaults where no row exists (one query)."""
    default = (True, KINDS[kind].email_default)
    found = {
        p.user_id: (p.in_app, p.email)
        for p in NotificationPreference.objects.filter(user_id__in=list(user_ids), kind=kind)
    }
    return {uid: found.get(uid, default) for uid in user_ids}


def wants_email(user: Any, kind: str) -> bool:
    return _choices([user.pk], kind)[user.pk][1]


def email_wanted(users: Iterable[Any], kind: str) -> set[int]:
    """The ids of `users` who keep e-mail on for the kind (wants_email for many, one query)."""
    return {uid for uid, (_in_app, email) in _choices([u.pk for u in users], kind).items()
            if email}


def preferences_for(user: Any) -> list[dict[str, Any]]:
    """Every kind with the user's choice: [{kind, label, in_app, email}]."""
    rows = {p.kind: p for p in NotificationPreference.objects.filter(user=user)}
    out = []
    for kind in KINDS.values():
        row = rows.get(kind.code)
        out.append({
            "kind": kind.code, "label": kind.label,
            "in_app": row.in_app if row else True,
            "email": row.email if row else kind.email_default,
        })
    return out


def preferences_set(*, user: User, choices: Mapping[str, tuple[bool, bool]]) -> None:
    """Store the user's (in_app, email) per kind; unknown kinds → ValueError."""
    unknown = sorted(set(choices) - set(KINDS))
    if unknown:
        raise ValueError(f"unknown notification kinds: {', '.join(unknown)}")
    with transaction.atomic():
        for kind, (in_app, email) in choices.items():
            NotificationPreference.objects.update_or_create(
                user=user, kind=kind, defaults={"in_app": bool(in_app), "email": bool(email)}
            )


# -- sending --------------------------------------------------------------------------------


def _check_link(link: str) -> str:
    link = (link or "").strip()
    if link and (not link.startswith("/") or link.startswith("//")):
        raise ValueError(f"a notification link is a site-local path, not {link!r}")
    return link


def notify(
    *,
    recipients: Iterable[Any],
    kind: str,
    title: str,
    params: Mapping[str, Any] | None = None,
    body: str = "",
    link: str = "",
    actor: Any = None,
    key: str = "",
    email: bool = True,
) -> list[Notification]:
    """Tell `recipients` (users or user ids) about an event; returns the rows written.
    In-app rows for those whose preference allows it (once per `key` when given); e-mail
    after commit for those who chose it (when `email`), never raised."""
    return notify_many([dict(recipients=recipients, kind=kind, title=title, params=params,
                             body=body, link=link, actor=actor, key=key, email=email)])


def notify_many(messages: Iterable[Mapping[str, Any]]) -> list[Notification]:
    """Several `notify` calls (each a mapping of its keyword arguments) at once, as one
    event tells several groups of people (a decision: the applicant, the next step's
    candidates): one preference query, one key query and one insert for all of them."""
    prepared = [m for m in (_prepare(**message) for message in messages) if m["ids"]]
    if not prepared:
        return []
    all_ids = {uid for m in prepared for uid in m["ids"]}
    found = {
        (p.user_id, p.kind): (p.in_app, p.email)
        for p in NotificationPreference.objects.filter(
            user_id__in=all_ids, kind__in={m["kind"] for m in prepared})
    }
    keys = {m["key"] for m in prepared if m["key"]}
    done = set(
        Notification.objects.filter(recipient_id__in=all_ids, key__in=keys)
        .values_list("recipient_id", "key")
    ) if keys else set()
    rows: list[Notification] = []
    for m in prepared:
        default = (True, KINDS[m["kind"]].email_default)
        choices = {uid: found.get((uid, m["kind"]), default) for uid in m["ids"]}
        ids = [uid for uid in m["ids"] if not m["key"] or (uid, m["key"]) not in done]
        written = [uid for uid in ids if choices[uid][0]]
        rows += [
            Notification(recipient_id=uid, kind=m["kind"], title=m["title"][:200],
                         params=m["params"], body=m["body"], link=m["link"],
                         actor_id=m["actor_id"], key=m["key"][:120])
            for uid in written
        ]
        if m["key"]:  # a later message with the same key skips them, as a later notify() would
            done.update((uid, m["key"]) for uid in written)
        mail_to = [uid for uid in ids if choices[uid][1]] if m["email"] else []
        if mail_to:
            message = {"title": m["title"], "params": m["params"], "body": m["body"],
                       "link": m["link"]}
            transaction.on_commit(partial(_send_mail, mail_to, message))
    return Notification.objects.bulk_create(rows) if rows else []


def _prepare(*, recipients: Iterable[Any], kind: str, title: str,
             params: Mapping[str, Any] | None = None, body: str = "", link: str = "",
             actor: Any = None, key: str = "", email: bool = True) -> dict[str, Any]:
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    actor_id = getattr(actor, "pk", actor)
    ids: list[Any] = []
    for r in recipients:
        uid = getattr(r, "pk", r)
        if uid is not None and uid != actor_id and uid not in ids:
            ids.append(uid)
    return {"ids": ids, "kind": kind, "title": title, "body": body, "key": key,
            "link": _check_link(link), "actor_id": actor_id, "email": email,
            "params": {k: str(v) for k, v in (params or {}).items()}}


def _send_mail(user_ids: list[int], message: dict[str, Any]) -> None:
    users = get_user_model().objects.filter(pk__in=user_ids, is_active=True).exclude(email="")
    with translation.override(settings.LANGUAGE_CODE):
        subject = Notification(title=message["title"], params=message["params"]).text
        link = settings.GOVMEDIA_BASE_URL.rstrip("/") + message["link"] if message["link"] else ""
        text = "\n\n".join(part for part in (message["body"], link) if part) + "\n"
    for user in users:
        try:
            send_mail(" ".join(subject.split()), text, settings.DEFAULT_FROM_EMAIL,
                      [user.email.strip()])
        except Exception:  # noqa: BLE001 — a mail failure never undoes or stops the sender
            logger.warning("event=notification_mail_failed user=%s", user.pk, exc_info=True)


# -- reading state --------------------------------------------------------------------------


def mark_read(*, user: User, ids: Iterable[int]) -> int:
    """Mark the user's own notifications read (others' ids are ignored); returns how many."""
    return Notification.objects.filter(
        recipient=user, pk__in=list(ids), read_at__isnull=True
    ).update(read_at=timezone.now())


def mark_all_read(*, user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
