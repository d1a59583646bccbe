from django.urls import path

from routing.training.api.views import (
    AcknowledgementListView,
    AcknowledgeView,
    AssignmentDetailView,
    AssignmentListView,
    AttemptView,
    CertificateListView,
    GuidelineListView,
    LevelDetailView,
    LevelListView,
    LibraryCopyView,
    LibraryListView,
    ModuleDetailView,
    ModuleListView,
)

urlpatterns = [
    path("training/modules/", ModuleListView.as_view(), name="api-training-modules"),
    path("training/modules/<int:pk>/", ModuleDetailView.as_view(), name="api-training-module"),
    path("training/modules/<int:pk>/attempts", AttemptView.as_view(), name="api-training-attempt"),
    path("training/library/", LibraryListView.as_view(), name="api-training-library"),
    path("training/library/<slug:slug>/copy", LibraryCopyView.as_view(), name="api-training-copy"),
    path("training/levels/", LevelListView.as_view(), name="api-training-levels"),
    path("training/levels/<int:pk>/", LevelDetailView.as_view(), name="api-training-level"),
    path("training/assignments/", AssignmentListView.as_view(), name="api-training-assignments"),
    path(
        "training/assignments/<int:pk>/",
        AssignmentDetailView.as_view(),
        name="api-training-assignment",
    ),
    path("training/certificates/", CertificateListView.as_view(), name="api-training-certificates"),
    path("training/guidelines/", GuidelineListView.as_view(), name="api-training-guidelines"),
    path(
        "training/guidelines/current/acknowledge",
        AcknowledgeView.as_view(),
        name="api-training-acknowledge",
    ),
    path(
        "training/acknowledgements/",
        AcknowledgementListView.as_view(),
        name="api-training-acknowledgements",
    ),
]
