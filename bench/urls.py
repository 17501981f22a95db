"""The project's URLs plus bare viewflow's own pages for its approval flow under /bare/."""

from django.urls import path
from viewflow.workflow.flow import FlowViewset

from bench.bareflow.flows import BareApprovalFlow
from config.urls import urlpatterns as project_urls

urlpatterns = [path("bare/", FlowViewset(BareApprovalFlow).urls), *project_urls]
