from django.urls import path

from integration import views

app_name = "integration"

urlpatterns = [
    # Public: a partner answers an e-mailed questionnaire without signing in (views.PUBLIC_VIEWS).
    path("q/thanks/", views.questionnaire_thanks, name="questionnaire_thanks"),
    path("q/<slug:token>/", views.questionnaire_fill, name="questionnaire_fill"),
    # The couple's integration work and measures.
    path("couples/<uuid:couple_uuid>/integration/", views.couple_integration, name="couple_integration"),
    path(
        "couples/<uuid:couple_uuid>/partners/<uuid:partner_uuid>/questionnaires/<str:instrument>/send/",
        views.link_send,
        name="link_send",
    ),
    path("couples/<uuid:couple_uuid>/questionnaire-links/withdraw/", views.link_withdraw, name="link_withdraw"),
    # Commitments are made and reviewed in sessions.
    path("sessions/<uuid:session_uuid>/commitments/new/", views.commitment_add, name="commitment_add"),
    path("sessions/<uuid:session_uuid>/commitments/review/", views.commitment_review, name="commitment_review"),
    # Clinic-wide outcomes, for clinic admins.
    path("outcomes/", views.clinic_outcomes, name="clinic_outcomes"),
]
