"""Training pages under /training/ on a client's host."""

from django.urls import path

from frontend.training_views import (
    guidelines_page,
    module_edit,
    module_take,
    my_training,
    people_training,
    training_manage,
)

urlpatterns = [
    path("", my_training, name="training"),
    path("modules/<int:pk>/", module_take, name="training-module"),
    path("modules/<int:pk>/edit", module_edit, name="training-module-edit"),
    path("guidelines/", guidelines_page, name="training-guidelines"),
    path("manage/", training_manage, name="training-manage"),
    path("people/", people_training, name="training-people"),
]
