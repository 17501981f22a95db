from django.urls import path

from . import views

urlpatterns = [
    path("verify/", views.public_verify, name="public-verify"),
]
