from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from config.accounts import PasswordChangeDoneView, PasswordChangeView
from config.healthz import healthz
from config.otp import login_otp, otp_setup

handler400 = "config.errors.bad_request"  # shows the reason of a BadRequest
handler403 = "config.errors.permission_denied"  # JSON under /api/
handler404 = "config.errors.page_not_found"  # JSON under /api/
handler500 = "config.errors.server_error"  # an error id, never the exception; JSON under /api/

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", RedirectView.as_view(url=static("govmedia/favicon.ico"), permanent=True)),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/login/otp/", login_otp, name="login_otp"),
    path("accounts/otp/", otp_setup, name="otp_setup"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/done/", PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("api/", include("config.api")),
    path("public/", include("portal.urls")),
    path("notices/", include("workbench.archive_urls")),
    path("accounts/", include("workbench.feedback_urls")),
    path("", include("workbench.urls")),
]

# /media/ is never served as a directory, DEBUG included: every file goes through a scoped,
# logged route (notices' PDF, a task's evidence; issue 12 item 8).
