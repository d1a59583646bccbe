from django.urls import path

from mentions.api.views import (
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
    path("mentions/<int:pk>/notes", MentionNotesView.as_view(), name="api-mention-notes"),
    path("mentions/bulk", MentionBulkView.as_view(), name="api-mentions-bulk"),
    path("clusters/", ClusterListView.as_view(), name="api-cluster-list"),
    path("clusters/<int:pk>/", ClusterDetailView.as_view(), name="api-cluster-detail"),
]
