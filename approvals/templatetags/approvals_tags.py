"""Template helpers of the inbox site (scoped reads only)."""

from __future__ import annotations

from django import template

from notices.selectors import notices_for

register = template.Library()


@register.simple_tag
def process_notices(process, user):
    """The notices a process issued that `user` may read."""
    return notices_for(user).filter(process_id=process.pk).order_by("issued_on", "pk")


@register.simple_tag
def process_account(process):
    from approvals.models import AccountProcess

    return AccountProcess.objects.select_related("account").filter(pk=process.pk).first()
