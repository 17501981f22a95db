"""The public portal (no login), mounted at /public/ by config/urls.py."""

from django.urls import path

from portal import views as public_views

urlpatterns: list = [
    path("", public_views.index, name="public-index"),
    path("announcements/", public_views.announcements, name="public-announcements"),
    path("lookup/", public_views.lookup, name="public-lookup"),
    path("accounts/<int:pk>/", public_views.account_detail, name="public-account"),
    path("accounts/<int:pk>/feedback/", public_views.feedback, name="public-feedback"),
    path("verify/", public_views.public_verify, name="public-verify"),
    path("notices/<int:pk>/pdf/", public_views.public_notice_pdf, name="public-notice-pdf"),
]
