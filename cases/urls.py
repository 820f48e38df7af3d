from django.urls import path

from cases import views

app_name = "cases"

urlpatterns = [
    path("", views.couple_list, name="couple_list"),
    path("new/", views.couple_create, name="couple_create"),
    path("<uuid:couple_uuid>/", views.couple_detail, name="couple_detail"),
    path("<uuid:couple_uuid>/edit/", views.couple_edit, name="couple_edit"),
    path("<uuid:couple_uuid>/status/", views.couple_transition, name="couple_transition"),
    path("<uuid:couple_uuid>/partners/<uuid:partner_uuid>/edit/", views.partner_edit, name="partner_edit"),
    path("<uuid:couple_uuid>/partners/<uuid:partner_uuid>/screening/", views.screening_edit, name="screening_edit"),
    path(
        "<uuid:couple_uuid>/partners/<uuid:partner_uuid>/contraindications/",
        views.contraindications_edit,
        name="contraindications_edit",
    ),
    path(
        "<uuid:couple_uuid>/partners/<uuid:partner_uuid>/questionnaires/<str:instrument>/new/",
        views.questionnaire_new,
        name="questionnaire_new",
    ),
    path("<uuid:couple_uuid>/partners/<uuid:partner_uuid>/outcome/", views.screening_decide, name="screening_decide"),
    path(
        "<uuid:couple_uuid>/partners/<uuid:partner_uuid>/item9-review/",
        views.item9_review_decide,
        name="item9_review_decide",
    ),
]
