from django.apps import AppConfig


class SiteConfig(AppConfig):
    """The composition root as an installed app: only for its management commands (backup,
    restore), which read every layer's data. No models, no migrations."""

    name = "config"
    label = "govmedia_site"
    verbose_name = "govmedia"
