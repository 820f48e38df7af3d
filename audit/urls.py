from django.urls import path

from audit import views

app_name = "audit"

urlpatterns = [
    path("", views.audit_event_list, name="event_list"),
    path("export.csv", views.audit_event_export, name="event_export"),
]
