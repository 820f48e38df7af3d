"""The project's URLs plus the bare view (benchmark only)."""

from django.urls import include, path

from bench import views

urlpatterns = [
    path("bench/bare/", views.bare, name="bench_bare"),
    path("", include("kapcouples.urls")),
]
