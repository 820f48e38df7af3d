from django.contrib import admin
from django.urls import include, path

from accounts import views as account_views

admin.site.site_header = "KAP Couples administration"
admin.site.site_title = "KAP Couples"
# A database or Redis outage is a 503 page with Retry-After (ops/outage.py); anything else the plain 500 page.
handler500 = "ops.outage.server_error"

urlpatterns = [
    path("", include("accounts.urls")),
    path("couples/", include("cases.urls")),
    path("clinic/", include("clinic.urls")),
    path("sessions/", include("sessions.urls")),
    path("", include("dosing.urls")),
    path("audit/", include("audit.urls")),
    path("", include("integration.urls")),
    path("", include("jobs.urls")),
    path("", include("ops.urls")),  # /healthz, /readyz
    # Before the admin's own URLs: its sign-in page would skip the product's lockout and second factor.
    path("admin/login/", account_views.admin_login, name="admin_login"),
    path("admin/", admin.site.urls),
]
