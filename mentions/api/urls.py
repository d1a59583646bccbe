from django.urls import path

from mentions.api.views import (
    ClusterDetailView,
    ClusterListView,
    MentionDetailView,
    MentionListView,
)

urlpatterns = [
    path("mentions/", MentionListView.as_view(), name="api-mention-list"),
    path("mentions/<int:pk>/", MentionDetailView.as_view(), name="api-mention-detail"),
    path("clusters/", ClusterListView.as_view(), name="api-cluster-list"),
    path("clusters/<int:pk>/", ClusterDetailView.as_view(), name="api-cluster-detail"),
]
