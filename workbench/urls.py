from django.urls import path

from workbench.site import site

urlpatterns = [path("", site.urls)]
