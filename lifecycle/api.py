"""REST routes of this app, mounted under /api/ by config/api.py."""

from django.urls import include, path

urlpatterns: list = [
    path("", include("lifecycle.api_public")),  # public successor lookup (no login)
    path("", include("lifecycle.api_accounts")),  # units, accounts, history
    path("", include("lifecycle.api_review")),  # metrics ingestion
]
