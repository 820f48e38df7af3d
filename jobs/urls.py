from django.urls import path

from jobs import views

app_name = "jobs"

urlpatterns = [
    path("documents/summaries/<uuid:summary_uuid>/", views.summary_download, name="summary_download"),
    path("exports/", views.export_list, name="export_list"),
    path("exports/<uuid:job_uuid>/", views.export_detail, name="export_detail"),
    path("exports/<uuid:job_uuid>/status/", views.export_status, name="export_status"),
    path("exports/<uuid:job_uuid>/files/<str:name>", views.export_download, name="export_download"),
    path(
        "sessions/<uuid:session_uuid>/reminders/<int:reminder_id>/resend/",
        views.reminder_resend,
        name="reminder_resend",
    ),
    path("sms/status/", views.sms_status, name="sms_status"),
    path("r/<str:token>/", views.session_reply, name="session_reply"),
]
