"""REST routes of this app, mounted under /api/ by config/api.py."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
