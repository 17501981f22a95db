from viewflow import jsonstore
from viewflow.workflow.models import Process


class BareProcess(Process):
    """An approval request: a text, then one approver's yes/no and comment."""

    text = jsonstore.CharField(max_length=150, blank=True)
    approved = jsonstore.BooleanField(default=False)
    comment = jsonstore.CharField(max_length=500, blank=True)

    class Meta:
        proxy = True
        app_label = "bareflow"
