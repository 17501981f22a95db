"""Public (no login) lifecycle API routes: successor lookup. Filled by the closure work."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
