from django.urls import path

from jobs import views

app_name = "jobs"

urlpatterns = [
    path("documents/summaries/<uuid:summary_uuid>/", views.summary_download, name="summary_download"),
    path("exports/", views.export_list, name="export_list"),
    path("exports/<uuid:job_uuid>/", views.export_detail, name="export_detail"),
    path("exports/<uuid:job_uuid>/status/", views.export_status, name="export_status"),
    path("exports/<uuid:job_uuid>/files/<str:name>", views.export_download, name="export_download"),
]
