"""Settings of the benchmarks' servers: config.settings.local (SQLite or DATABASE_URL)
plus bare viewflow's approval flow (bench.bareflow), DEBUG off, connections kept 60 s as
in production (config.settings.production), jobs queued rather than run in-process when a
broker is configured (CELERY_TASK_ALWAYS_EAGER=false)."""

from config.settings.local import *  # noqa: F403

DEBUG = False
INSTALLED_APPS = [*INSTALLED_APPS, "bench.bareflow"]  # noqa: F405
ROOT_URLCONF = "bench.urls"
DATABASES["default"]["CONN_MAX_AGE"] = 60  # noqa: F405
ALLOWED_HOSTS = ["*"]
MIDDLEWARE = [  # noqa: F405
    "bench.middleware.ProcessScopeExceptBare" if m == "workbench.middleware.ProcessScopeMiddleware"
    else m
    for m in MIDDLEWARE  # noqa: F405
]
