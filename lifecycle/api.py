"""REST routes of this app, mounted under /api/ by config/api.py."""

from importlib.util import find_spec

from django.urls import include, path

urlpatterns: list = [
    path("", include("lifecycle.api_public")),
    path("", include("lifecycle.api_accounts")),
]
# Review/metrics routes live in their own module (lifecycle/api_review.py).
if find_spec("lifecycle.api_review"):
    urlpatterns.append(path("", include("lifecycle.api_review")))
