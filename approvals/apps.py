from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApprovalsConfig(AppConfig):
    name = "approvals"
    verbose_name = _("审批")

    def ready(self) -> None:
        # Notices sit below the engine: the engine tells them which units read a process's
        # notices (those with a sign-off step), instead of notices looking upward.
        # Imported here, not at module level: both modules import models, which cannot be
        # loaded before the app registry is ready (Django imports apps.py first).
        from approvals.selectors import chain_process_ids
        from notices.selectors import register_process_readers

        register_process_readers(chain_process_ids)
