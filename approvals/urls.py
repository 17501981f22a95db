from django.urls import path

from .site import site

urlpatterns = [path("", site.urls)]
