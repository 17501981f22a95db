from django.urls import path

from . import views_feedback

urlpatterns: list = [
    path("feedback/", views_feedback.feedback_list, name="feedback-list"),
]
