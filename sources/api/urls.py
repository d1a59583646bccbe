from django.urls import path

from sources.api.views import (
    BatchDetailView,
    MentionPushView,
    SourceDetailView,
    SourceListCreateView,
)

urlpatterns = [
    path("sources/", SourceListCreateView.as_view(), name="api-source-list"),
    path("sources/<int:pk>/", SourceDetailView.as_view(), name="api-source-detail"),
    path("sources/<int:pk>/mentions", MentionPushView.as_view(), name="api-source-push"),
    path(
        "sources/<int:pk>/batches/<int:batch_id>/",
        BatchDetailView.as_view(),
        name="api-source-batch",
    ),
]
