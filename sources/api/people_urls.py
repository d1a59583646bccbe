from django.urls import path

from sources.api.people import (
    InvitationDetailView,
    InvitationListView,
    InvitationResendView,
    InvitationRevokeView,
    PersonDeactivateView,
    PersonDetailView,
    PersonListView,
    PersonReactivateView,
    TwoFactorRequirementView,
)

urlpatterns = [
    path(
        "security/two-factor", TwoFactorRequirementView.as_view(), name="api-two-factor-requirement"
    ),
    path("invitations/", InvitationListView.as_view(), name="api-invitation-list"),
    path("invitations/<int:pk>/", InvitationDetailView.as_view(), name="api-invitation-detail"),
    path(
        "invitations/<int:pk>/resend", InvitationResendView.as_view(), name="api-invitation-resend"
    ),
    path(
        "invitations/<int:pk>/revoke", InvitationRevokeView.as_view(), name="api-invitation-revoke"
    ),
    path("people/", PersonListView.as_view(), name="api-person-list"),
    path("people/<int:user_id>/", PersonDetailView.as_view(), name="api-person-detail"),
    path(
        "people/<int:user_id>/deactivate",
        PersonDeactivateView.as_view(),
        name="api-person-deactivate",
    ),
    path(
        "people/<int:user_id>/reactivate",
        PersonReactivateView.as_view(),
        name="api-person-reactivate",
    ),
]
