from django.urls import path

from workbench.views import archive as views

app_name = "notices"

urlpatterns = [
    path("", views.notice_list, name="list"),
    path("<int:pk>/", views.notice_detail, name="detail"),
    path("<int:pk>/pdf/", views.notice_pdf, name="pdf"),
    path("<int:pk>/revoke/", views.notice_revoke, name="revoke"),
    path("<int:pk>/sheet/", views.notice_sheet, name="sheet"),
    path("<int:pk>/preview.png", views.notice_preview, name="preview"),
    path("filing/", views.filing, name="filing"),
    path("units/", views.unit_suggestions, name="units"),
]
