from django.urls import path

from clinic import views

app_name = "clinic"

urlpatterns = [path("settings/", views.settings_edit, name="settings")]
