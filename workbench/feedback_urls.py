from django.urls import path

from workbench.views import feedback as views_feedback

urlpatterns: list = [
    path("feedback/", views_feedback.feedback_list, name="feedback-list"),
]
