from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LifecycleConfig(AppConfig):
    name = "lifecycle"
    verbose_name = _("账号生命周期")

    def ready(self) -> None:
        from lifecycle import signals

        signals.connect()
