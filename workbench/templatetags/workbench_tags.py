"""Template helpers of the inbox site (scoped reads only)."""

from __future__ import annotations

from django import template

from approvals.models import AccountProcess
from lifecycle.models import Account, AccountState, ChannelKind
from lifecycle.services import ACTION_LABELS
from notices.selectors import notices_for

register = template.Library()


@register.simple_tag
def process_notices(process, user):
    """The notices a process issued that `user` may read."""
    return notices_for(user).filter(process_id=process.pk).order_by("issued_on", "pk")


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
