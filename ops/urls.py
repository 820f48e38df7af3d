from django.urls import path

from ops import views

app_name = "ops"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
]

# Views anyone may reach without signing in (the URL-walking access tests read this).
PUBLIC_VIEWS = ("ops:healthz", "ops:readyz")
