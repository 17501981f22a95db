"""Grants viewflow's `view_<process>` permission to anyone holding a unit role.

viewflow answers 403 without it; *which* processes and tasks a user sees is decided by
approvals.selectors (scoping), enforced for viewflow's own URLs by ScopeMiddleware."""

from __future__ import annotations

from django.contrib.auth.backends import BaseBackend

from lifecycle.selectors import user_units

VIEW_PERMISSIONS = {"approvals.view_accountprocess"}


class MembershipBackend(BaseBackend):
    def has_perm(self, user_obj, perm, obj=None):
        if not user_obj.is_active or perm not in VIEW_PERMISSIONS:
            return False
        return bool(user_units(user_obj))
