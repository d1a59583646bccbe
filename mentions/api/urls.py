from django.urls import path

from mentions.api.views import MentionDetailView, MentionListView

urlpatterns = [
    path("mentions/", MentionListView.as_view(), name="api-mention-list"),
    path("mentions/<int:pk>/", MentionDetailView.as_view(), name="api-mention-detail"),
]
