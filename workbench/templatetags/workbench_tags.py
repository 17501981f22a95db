"""Template helpers of the inbox site (scoped reads only)."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext

from approvals import services as approvals_services
from approvals.models import AccountProcess, Decision, ProcessEvent
from lifecycle.models import Account, AccountState, ChannelKind
from lifecycle.selectors import unread_count
from lifecycle.services import ACTION_LABELS
from notices.selectors import notices_for
from review.labels import indicator_label
from workbench.timeline import process_timeline

register = template.Library()


@register.simple_tag
def notification_badge(user):
    """The header's bell with the unread count (nothing for anonymous users)."""
    if not getattr(user, "is_authenticated", False):
        return ""
    count = unread_count(user)
    label = gettext("通知（{count} 条未读）").format(count=count)
    badge = format_html('<span class="govmedia-badge" data-testid="unread-count">{}</span>',
                        count if count < 100 else "99+") if count else ""
    return format_html(
        '<a class="govmedia-bell mdc-icon-button" href="{}" title="{}" aria-label="{}"'
        ' data-testid="notification-bell" data-turbo="false">'
        '<i class="material-icons" aria-hidden="true">notifications</i>{}</a>',
        reverse("work:notifications"), label, label, badge,
    )


@register.simple_tag
def process_notices(process, user):
    """The notices a process issued that `user` may read."""
    return notices_for(user).filter(process_id=process.pk).order_by("issued_on", "pk")


@register.simple_tag
def timeline_of(process):
    """The human steps, the current step and the chain of an AccountProcess (for people)."""
    return process_timeline(process)


@register.simple_tag
def process_account(process):
    return AccountProcess.objects.select_related("account").filter(pk=process.pk).first()


@register.filter
def history_rows(transitions):
    """Account history for people: action and state labels, the actor's name, and each
    changed field as (label, before, after). Imported rows have no actor and no previous
    state."""
    states = dict(AccountState.choices)
    rows = []
    for t in transitions:
        data = t.data or {}
        before, after = data.get("before") or {}, data.get("after") or {}
        changes = []
        for field in list(after) + [f for f in before if f not in after]:
            changes.append({"label": Account.field_label(field), "before": before.get(field, ""),
                            "after": after.get(field, "")})
        actor = t.actor
        rows.append({
            "at": t.at,
            "action": ACTION_LABELS.get(t.name, t.name),
            "from": states.get(t.from_state, "") if t.from_state else "",
            "to": states.get(t.to_state, t.to_state),
            "actor": (actor.get_full_name() or actor.get_username()) if actor else "",
            "reason": t.reason,
            "changes": changes,
        })
    return rows


@register.filter
def channel_label(kind):
    """A successor channel's kind as its label (网站, 电话, …)."""
    return dict(ChannelKind.choices).get(kind, kind)


@register.filter
def menu_links_for(app, user):
    """The work menu's entries for `user` (workbench.site.WorkApp.links_for: by role)."""
    return app.links_for(user)


@register.simple_tag
def process_oa(process, user):
    """What the process page's OA panel offers `user` (approvals.services.oa): the record
    of urges, copies, comments, added signers and transfers, and the forms they may use."""
    ap = AccountProcess.objects.select_related("account", "unit").get(pk=process.pk)
    is_open = ap.finished is None
    may_copy = approvals_services.may_copy(user, ap)
    people, units = approvals_services.copy_targets(user) if may_copy else (None, None)
    return {
        "events": ProcessEvent.objects.filter(process=ap).select_related("actor")
        .order_by("at", "pk"),
        "may_urge": is_open and approvals_services.may_urge(user, ap),
        "may_copy": may_copy,
        "copy_people": people.prefetch_related("memberships__unit") if may_copy else [],
        "copy_units": units if may_copy else [],
        "may_withdraw": is_open and user.pk == ap.applicant_id
        and not Decision.objects.filter(process=ap).exists(),
    }


@register.filter
def person_label(user):
    """"Name · unit role" for the pickers (searchable text)."""
    name = user.get_full_name() or user.get_username()
    roles = "、".join(f"{m.unit.name}{m.get_role_display()}" for m in user.memberships.all())
    return f"{name}（{user.get_username()}）· {roles}" if roles else name


@register.filter
def person_options(users):
    return [(u.pk, person_label(u)) for u in users]


@register.filter
def username_options(users):
    return [(u.get_username(), person_label(u)) for u in users]


@register.filter
def unit_options(units):
    return [(u.pk, u.name) for u in units]


@register.filter
def indicator_labels(codes):
    """Indicator codes (NO_UPDATE_14D, …) as their labels, joined with 、 (review.labels)."""
    return "、".join(indicator_label(str(code)) for code in (codes or []))
