from django.urls import path

from sessions import views

app_name = "sessions"

urlpatterns = [
    path("calendar/week/", views.calendar_week, name="calendar_week"),
    path("calendar/day/", views.calendar_day, name="calendar_day"),
    path("calendar/clinic/", views.calendar_clinic, name="calendar_clinic"),
    path("calendar/feed/", views.calendar_feed_settings, name="calendar_feed_settings"),
    path("feed/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
    path("new/", views.session_new, name="session_new"),
    path("<uuid:session_uuid>/", views.session_detail, name="session_detail"),
    path("<uuid:session_uuid>/move/", views.session_reschedule, name="session_reschedule"),
    path("<uuid:session_uuid>/cancel/", views.session_cancel, name="session_cancel"),
    path("<uuid:session_uuid>/no-show/", views.session_no_show, name="session_no_show"),
    path("<uuid:session_uuid>/complete/", views.session_complete, name="session_complete"),
    path("<uuid:session_uuid>/note/", views.note_edit, name="note_edit"),
    path("<uuid:session_uuid>/note/sign/", views.note_sign, name="note_sign"),
    path("<uuid:session_uuid>/note/amend/", views.note_amend, name="note_amend"),
    path("couples/<uuid:couple_uuid>/accept/", views.suggestion_accept, name="suggestion_accept"),
]
