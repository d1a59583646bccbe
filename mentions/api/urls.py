from django.urls import path

from mentions.api.assignees import MentionAssigneesView
from mentions.api.response_views import (
    MentionResponseCheckView,
    MentionResponsesView,
    ResponseApproveView,
    ResponseListView,
    ResponseRejectView,
    ResponseRetryView,
    SavedReplyDetailView,
    SavedReplyListView,
)
from mentions.api.views import (
    ClusterAnswerView,
    ClusterDetailView,
    ClusterListView,
    MentionBulkView,
    MentionDetailView,
    MentionListView,
    MentionNotesView,
)

urlpatterns = [
    path("mentions/", MentionListView.as_view(), name="api-mention-list"),
    path("mentions/<int:pk>/", MentionDetailView.as_view(), name="api-mention-detail"),
    path("mentions/<int:pk>/responses", MentionResponsesView.as_view(), name="api-responses"),
    path(
        "mentions/<int:pk>/responses/check",
        MentionResponseCheckView.as_view(),
        name="api-response-check",
    ),
    path("responses/", ResponseListView.as_view(), name="api-response-list"),
    path("responses/<int:pk>/approve", ResponseApproveView.as_view(), name="api-response-approve"),
    path("responses/<int:pk>/reject", ResponseRejectView.as_view(), name="api-response-reject"),
    path("responses/<int:pk>/retry", ResponseRetryView.as_view(), name="api-response-retry"),
    path("saved-replies/", SavedReplyListView.as_view(), name="api-saved-reply-list"),
    path("saved-replies/<int:pk>/", SavedReplyDetailView.as_view(), name="api-saved-reply"),
    path(
        "mentions/<int:pk>/assignees", MentionAssigneesView.as_view(), name="api-mention-assignees"
    ),
    path("mentions/<int:pk>/notes", MentionNotesView.as_view(), name="api-mention-notes"),
    path("mentions/bulk", MentionBulkView.as_view(), name="api-mentions-bulk"),
    path("clusters/", ClusterListView.as_view(), name="api-cluster-list"),
    path("clusters/<int:pk>/", ClusterDetailView.as_view(), name="api-cluster-detail"),
    path("clusters/<int:pk>/answer", ClusterAnswerView.as_view(), name="api-cluster-answer"),
]
