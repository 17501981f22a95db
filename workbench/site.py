"""The inbox site at `/` (viewflow Material frontend) with govmedia's scoped lists."""

from __future__ import annotations

from django.conf import settings
from django.urls import path
from django.utils.translation import gettext_lazy as _
from viewflow.urls import Application, Site
from viewflow.workflow.flow import WorkflowAppViewset

from approvals import selectors
from approvals.flows import ChangeFlow, ClosureFlow, InspectionFlow, OpeningFlow, RectificationFlow
from lifecycle.models import Role
from lifecycle.selectors import user_roles
from workbench.views import accounts as views_accounts
from workbench.views import annual as views_annual
from workbench.views import apply as views_apply
from workbench.views import closure as views_closure
from workbench.views import dictionaries as views_dictionaries
from workbench.views import feedback as views_feedback
from workbench.views import filings as views_filings
from workbench.views import notifications as views_notifications
from workbench.views import oa as views_oa
from workbench.views import operator as views_operator
from workbench.views import review as views_review
from workbench.views import rules as views_rules
from workbench.views import start as views_start
from workbench.views import tasks as views
from workbench.views import todo as views_todo
from workbench.views import work as views_work
from workbench.views.scoped import ScopedFlowViewset

# Who sees which menu entries (WorkApp.links_for).
SIGNERS = (Role.UNIT_HEAD, Role.APPROVER, Role.SUPERVISOR_REVIEWER, Role.ADMIN)
SUPERVISION = (Role.APPROVER, Role.SUPERVISOR_REVIEWER, Role.INSPECTOR, Role.ARCHIVIST, Role.ADMIN)


class InboxApp(WorkflowAppViewset):
    """待办 / 已办 across all flows (workbench/views/todo.py); the queue stays reachable.
    The menu badge counts with our indexed selectors, not viewflow's per-flow permission
    scan (DESIGN §2)."""

    title = _("审批")
    menu_template_name = "workbench/workflow_menu.html"
    inbox_view_class = views_todo.TodoView  # 待办: held and offered tasks (one list)
    queue_view_class = views.QueueView
    archive_view_class = views_todo.DoneView  # 已办, with my decision and comment
    tasks_assign_path = None
    tasks_unassign_path = None

    def get_context_data(self, request):
        return {"user_todo_count": selectors.open_task_count(request.user)}


class WorkApp(Application):
    """Applying, deciding and withdrawing: govmedia's own pages inside the site frame."""

    title = _("办事")
    app_name = "work"
    icon = "edit_note"
    menu_template_name = "workbench/work_menu.html"
    # (url name, icon, label, roles that see it; None: everyone). Clerks (填报员) see what they
    # use to apply; sign-off tools go to the people who sign; supervision to inspectors.
    # Superusers see everything. The pages themselves check permissions again.
    menu_links = (
        ("work:applications", "assignment", _("我的申请"), None),
        ("work:start", "add_circle", _("发起申请"), None),
        ("work:accounts", "list_alt", _("账号台账"), None),
        ("work:feedback", "rate_review", _("公众反馈"), (Role.APPLICANT, Role.UNIT_HEAD, Role.ADMIN)),
        ("work:bulk_approve", "done_all", _("批量同意"), SIGNERS),
        ("work:delegations", "person_add", _("委托代办"), SIGNERS),
        ("notices:list", "description", _("公文档案"), None),
        ("work:campaigns", "fact_check", _("检查活动"), (Role.INSPECTOR, Role.ADMIN)),
        ("work:attention", "report", _("僵尸号与低关注账号"), SUPERVISION),
        # Early warnings concern the owning units as much as the supervisors.
        ("work:warnings", "warning", _("预警"), None),
        ("work:rule_sets", "rule", _("指标体系"), SUPERVISION),
        ("work:dictionaries", "spellcheck", _("错敏词库"), SUPERVISION),
        ("work:filings", "assignment_turned_in", _("备案期限"), None),
        ("work:dashboard", "bar_chart", _("统计看板"), SUPERVISION),
        ("work:notifications", "notifications", _("通知"), None),
    )

    def links_for(self, user) -> list[tuple[str, str, str]]:
        """The menu entries `user` uses (menu_links filtered by the user's roles)."""
        if getattr(user, "is_superuser", False):
            return [link[:3] for link in self.menu_links]
        roles = user_roles(user)
        links = [link[:3] for link in self.menu_links if link[3] is None or roles & set(link[3])]
        if getattr(settings, "GOVMEDIA_DEMO", False):
            links.append(("work:operator", "schedule", _("演示：到期处理")))
        return links

    index_path = path("", views_accounts.work_index, name="index")
    start_path = path("start/", views_start.StartView.as_view(), name="start")
    operator_path = path("demo/run-due/", views_operator.OperatorView.as_view(), name="operator")
    apply_opening_path = path(
        "apply/opening/", views_apply.ApplyOpeningView.as_view(), name="apply_opening"
    )
    apply_chain_path = path("apply/opening/chain/", views_apply.ApplyChainView.as_view(), name="apply_chain")
    apply_closure_path = path(
        "apply/closure/<int:account_id>/", views_closure.ApplyClosureView.as_view(), name="apply_closure"
    )
    apply_change_path = path(
        "apply/change/<int:account_id>/", views_closure.ApplyChangeView.as_view(), name="apply_change"
    )
    task_path = path("tasks/<int:task_pk>/", views.TaskView.as_view(), name="task")
    task_evidence_path = path(
        "tasks/<int:task_pk>/evidence/<str:key>/", views.TaskEvidenceView.as_view(), name="task_evidence"
    )
    task_claim_path = path("tasks/<int:task_pk>/claim/", views.TaskClaimView.as_view(), name="task_claim")
    task_release_path = path(
        "tasks/<int:task_pk>/release/", views.TaskReleaseView.as_view(), name="task_release"
    )
    withdraw_path = path(
        "processes/<int:process_pk>/withdraw/", views.ProcessWithdrawView.as_view(), name="withdraw"
    )

    accounts_path = path("accounts/", views_accounts.AccountListView.as_view(), name="accounts")
    account_path = path(
        "accounts/<int:account_id>/", views_accounts.AccountDetailView.as_view(), name="account"
    )
    applications_path = path(
        "applications/", views_accounts.MyApplicationsView.as_view(), name="applications"
    )
    # Public 纠错/评价 for the owning units (workbench/views/feedback.py).
    feedback_path = path("feedback/", views_feedback.FeedbackListView.as_view(), name="feedback")
    feedback_handle_path = path(
        "feedback/<int:pk>/handle/", views_feedback.FeedbackHandleView.as_view(),
        name="feedback_handle",
    )

    # The notification centre (lifecycle.notifications; workbench/views/notifications.py).
    notifications_path = path(
        "notifications/", views_notifications.NotificationListView.as_view(), name="notifications"
    )
    notification_read_path = path(
        "notifications/<int:pk>/read/", views_notifications.NotificationReadView.as_view(),
        name="notification_read",
    )
    notifications_read_all_path = path(
        "notifications/read-all/", views_notifications.NotificationReadAllView.as_view(),
        name="notifications_read_all",
    )
    notification_settings_path = path(
        "notifications/settings/", views_notifications.NotificationSettingsView.as_view(),
        name="notification_settings",
    )

    delegations_path = path("delegations/", views_work.DelegationView.as_view(), name="delegations")
    bulk_approve_path = path("bulk-approve/", views_work.BulkApproveView.as_view(), name="bulk_approve")
    # OA actions (workbench/views/oa.py → approvals.services.oa).
    process_urge_path = path(
        "processes/<int:process_pk>/urge/", views_oa.ProcessUrgeView.as_view(), name="process_urge"
    )
    process_copy_path = path(
        "processes/<int:process_pk>/copy/", views_oa.ProcessCopyView.as_view(), name="process_copy"
    )
    process_comment_path = path(
        "processes/<int:process_pk>/comment/", views_oa.ProcessCommentView.as_view(),
        name="process_comment",
    )
    task_add_signer_path = path(
        "tasks/<int:task_pk>/add-signer/", views_oa.TaskAddSignerView.as_view(),
        name="task_add_signer",
    )
    task_transfer_path = path(
        "tasks/<int:task_pk>/transfer/", views_work.TaskTransferView.as_view(), name="task_transfer"
    )

    # Periodic review (workbench/views/review.py, docs/review.md).
    campaigns_path = path("review/campaigns/", views_review.CampaignListView.as_view(), name="campaigns")
    campaign_path = path(
        "review/campaigns/<int:pk>/", views_review.CampaignDetailView.as_view(), name="campaign"
    )
    campaign_close_path = path(
        "review/campaigns/<int:pk>/close/", views_review.CampaignCloseView.as_view(),
        name="campaign_close",
    )
    inspection_sheet_path = path(
        "review/inspections/<int:task_pk>/", views_review.InspectionSheetView.as_view(),
        name="inspection_sheet",
    )
    rectify_path = path(
        "review/rectify/<int:account_id>/", views_review.RectifyStartView.as_view(), name="rectify"
    )
    attention_path = path("review/attention/", views_review.AttentionListView.as_view(), name="attention")
    attention_export_path = path(
        "review/attention/export/", views_review.AttentionExportView.as_view(),
        name="attention_export",
    )
    warnings_path = path("review/warnings/", views_review.WarningsView.as_view(), name="warnings")
    rule_sets_path = path("review/rules/", views_rules.RuleSetListView.as_view(), name="rule_sets")
    rule_set_path = path("review/rules/<int:pk>/", views_rules.RuleSetListView.as_view(), name="rule_set")
    rule_set_diff_path = path(
        "review/rules/diff/", views_rules.RuleSetDiffView.as_view(), name="rule_set_diff"
    )
    dictionaries_path = path(
        "review/dictionaries/", views_dictionaries.DictionaryListView.as_view(), name="dictionaries"
    )
    dictionary_path = path(
        "review/dictionaries/<int:pk>/", views_dictionaries.DictionaryDetailView.as_view(),
        name="dictionary",
    )
    filings_path = path("filings/", views_filings.FilingListView.as_view(), name="filings")
    annual_path = path("stats/annual/", views_annual.AnnualStatisticsView.as_view(), name="annual")
    dashboard_path = path("dashboard/", views_review.DashboardView.as_view(), name="dashboard")

    def has_view_permission(self, user, obj=None):
        return user.is_authenticated


site = Site(
    title=_("政务新媒体管理"),
    viewsets=[
        InboxApp(flow_viewsets=[
            ScopedFlowViewset(OpeningFlow, icon="add_circle"),
            ScopedFlowViewset(ClosureFlow, icon="block"),
            ScopedFlowViewset(ChangeFlow, icon="edit"),
            ScopedFlowViewset(InspectionFlow, icon="fact_check"),
            ScopedFlowViewset(RectificationFlow, icon="build"),
        ]),
        WorkApp(),
    ],
)
