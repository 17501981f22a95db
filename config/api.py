"""All REST routes under /api/ (DESIGN §8). Each app contributes its own api.py."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("", include("lifecycle.api")),
    path("", include("approvals.api")),
    path("", include("notices.api")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
