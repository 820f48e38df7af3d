from django.urls import path

from dosing import views

app_name = "dosing"

urlpatterns = [
    path("dosing/approaches/", views.approaches, name="approaches"),
    path("dosing/notices/<int:notice_id>/dismiss/", views.notice_dismiss, name="notice_dismiss"),
    path("dosing/stock/", views.stock, name="stock"),
    path("dosing/stock/report.csv", views.stock_report, name="stock_report"),
    path("dosing/stock/<int:lot_id>/", views.stock_lot, name="stock_lot"),
    path("couples/<uuid:couple_uuid>/dosing/", views.couple_dosing, name="couple_dosing"),
    path("couples/<uuid:couple_uuid>/dosing/request/", views.request_create, name="request_create"),
    path(
        "couples/<uuid:couple_uuid>/dosing/requests/<uuid:request_uuid>/withdraw/",
        views.request_withdraw,
        name="request_withdraw",
    ),
    path(
        "couples/<uuid:couple_uuid>/dosing/requests/<uuid:request_uuid>/decline/",
        views.request_decline,
        name="request_decline",
    ),
    path("couples/<uuid:couple_uuid>/dosing/approve/", views.approval_new, name="approval_new"),
    path(
        "couples/<uuid:couple_uuid>/dosing/approvals/<uuid:approval_uuid>/revoke/",
        views.approval_revoke,
        name="approval_revoke",
    ),
    path("sessions/<uuid:session_uuid>/medicine/", views.medicine_record, name="medicine_record"),
    path("sessions/<uuid:session_uuid>/medicine/plan/", views.medicine_plan, name="medicine_plan"),
    path("sessions/<uuid:session_uuid>/medicine/start/", views.medicine_start, name="medicine_start"),
    path("sessions/<uuid:session_uuid>/medicine/observe/", views.medicine_observe, name="medicine_observe"),
    path("sessions/<uuid:session_uuid>/medicine/<uuid:partner_uuid>/predose/", views.predose, name="predose"),
    path(
        "sessions/<uuid:session_uuid>/medicine/<uuid:partner_uuid>/override/",
        views.predose_override,
        name="predose_override",
    ),
    path(
        "sessions/<uuid:session_uuid>/medicine/<uuid:partner_uuid>/readings/<int:reading_id>/override/",
        views.reading_override,
        name="reading_override",
    ),
    path("sessions/<uuid:session_uuid>/medicine/<uuid:partner_uuid>/doses/", views.dose, name="dose"),
    path("sessions/<uuid:session_uuid>/medicine/<uuid:partner_uuid>/vitals/", views.vitals, name="vitals"),
    path(
        "sessions/<uuid:session_uuid>/medicine/<uuid:partner_uuid>/side-effects/", views.side_effect, name="side_effect"
    ),
    path("sessions/<uuid:session_uuid>/medicine/<uuid:partner_uuid>/discharge/", views.discharge, name="discharge"),
]
