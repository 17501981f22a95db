"""Forms of the closure and change flows' task steps."""

from __future__ import annotations

from django import forms


class ResubmitForm(forms.Form):
    """A returned closure/change application is resubmitted as it stands (or withdrawn).

    No fields on purpose: the opening flow's RevisionForm edits the account itself, which a
    closure or change application must not do (approvals.services.task_decide applies
    revision fields to the account)."""
