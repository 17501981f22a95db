"""Messages and exceptions of the approvals engine (services, node actions and due work
raise them; config.api_errors maps the exception bases of lifecycle.errors to HTTP)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from lifecycle.errors import Conflict, Forbidden

ERR_NOT_APPLICANT = _("您不是该单位的填报员，不能以该单位名义提出申请。")
ERR_TASK_DONE = _("该任务已办结，不能重复处理。")
ERR_TASK_HELD = _("该任务已由{user}签收办理。")
ERR_TASK_FORBIDDEN = _("您无权办理该任务。")
ERR_DATA_STEP_DECISION = _("此步骤只能提交（decision=approve）。")
ERR_RETURN_TO = _("只能退回给申请人或之前的审核步骤。")
ERR_WITHDRAW_DECIDED = _("已有审核意见，不能撤回申请。")
ERR_WITHDRAW_NOT_APPLICANT = _("只有申请人本人或本单位填报员可以撤回申请。")
ERR_PROCESS_FINISHED = _("流程已结束。")


class TaskConflict(Conflict):
    """The task is held by someone else or already decided (HTTP 409)."""


class TaskForbidden(Forbidden):
    """The user is not a candidate for this task (HTTP 403/404)."""


ERR_NOT_TEXT = _("请填写文本、数字或日期，不能是列表或对象。")


ERR_STOP_ON_PAST = _("停止更新日期不能早于今天。")
ERR_STOP_ON_INVALID = _("请填写有效日期（YYYY-MM-DD）。")
ERR_CLOSURE_KIND = _("请选择关停（close）或整合（merge）。")
ERR_ACCOUNT_NOT_ACTIVE = _("账号当前状态为「{state}」，只有运行中的账号可以申请关停或整合。")
ERR_ACCOUNT_ALREADY_CLOSING = _("账号已在关停程序中（{state}），不能重复申请。")
ERR_ACCOUNT_ENDED = _("账号当前状态为「{state}」，不能再申请关停或整合。")
ERR_CLOSURE_PENDING = _("该账号已有关停/整合申请在办理中（流程 #{pk}）。")
ERR_MERGE_NEEDS_SUCCESSOR = _("整合必须指定承接账号（系统内运行中的账号）。")
ERR_SUCCESSOR_UNKNOWN = _("承接账号不存在。")
ERR_SUCCESSOR_CLOSING = _("承接账号本身正在办理关停/整合，不能作为承接账号。")
ERR_NOT_ACCOUNT_APPLICANT = _("您不是该账号主办单位的填报员，不能提出申请。")
ERR_NOT_SUPERVISOR = _("只有该账号主管单位或上级单位的审核、复核或检查人员可以启动强制关停。")
ERR_FORCED_NOT_CLOSING = _("强制关停只适用于复核不通过、已进入关停程序的账号（当前：{state}）。")
ERR_CHANGE_EMPTY = _("请至少填写一项与现有信息不同的变更内容。")
ERR_CHANGE_FIELD = _("该字段不能通过变更申请修改。")
ERR_CHANGE_STATE = _("账号当前状态为「{state}」，只有运行中或整改中的账号可以申请变更。")
ERR_CHANGE_PENDING = _("该账号已有变更申请在办理中（流程 #{pk}）。")
NOTE_MERGE_OTHER_PLATFORM = _(
    "承接账号的平台（{to}）与本账号平台（{frm}）不同：允许整合，已在公告中写明承接账号的平台。"
)

# What an opening requires may not be blanked by a change (approvals.forms.OpeningForm);
# a pre-existing account that never had them may leave them empty.
ERR_CHANGE_BLANK = _("此项不能清空。")
ERR_DELEGATE_SELF = _("不能委托给自己。")
ERR_DELEGATION_DATES = _("结束日期不能早于开始日期，且不能早于今天。")
ERR_DELEGATION_NOT_YOURS = _("只能结束自己发起的委托。")
ERR_TRANSFER_NOT_HOLDER = _("只有当前办理人可以转办。")
ERR_TRANSFER_TARGET = _("转办对象必须是该环节的办理人员。")
ERR_BULK_ONLY_DECISIONS = _("批量办理只适用于审核环节。")
ERR_DELEGATE_ROLE = _("只能委托给本单位担任相同角色的其他人员。")
ERR_SOD_APPLICANT = _("职责分离：申请人不能审核自己的申请（包括受委托代办）。")
ERR_SOD_ONE_LEVEL = _("职责分离：同一人只能在一个流程中签署一个审核层级，您已签署过其他层级。")
ERR_SOD_OWN_REPORT = _("职责分离：提交整改报告的人员不能复核自己的报告。")


ERR_RATIO = _("抽查比例必须大于 0 且不超过 1。")
ERR_SEED = _("随机种子必须是非负整数。")
ERR_KIND = _("请选择季度抽查、年度考核或专项检查。")
ERR_PERIOD = _("期次格式如 2026Q4、2026H1、2026M06 或 2026。")
ERR_SCOPE_EMPTY = _("检查范围「{unit}」内没有运行中或整改中的账号，无法抽样。")
ERR_SCOPE_FORBIDDEN = _("您不是该范围所在单位或其上级单位的检查员。")
ERR_CAMPAIGN_CLOSED = _("检查活动已结束。")
ERR_CAMPAIGN_OPEN_TASKS = _("还有 {n} 个账号未完成检查，全部检查完毕后才能结束检查活动。")
ERR_NOT_INSPECTOR = _("只有检查单位（或其上级单位）的检查员可以结束检查活动。")
ERR_RULE_SET_MISMATCH = _("指标「{code}」不属于本次检查使用的指标体系。")
ERR_INSPECTION_RECORDED = _("该账号本次检查的结论已经登记，检查发现只增不改。")
ERR_RECTIFY_STATE = _("账号当前状态为「{state}」，只有运行中的账号可以下发整改通知。")
ERR_RECTIFY_PENDING = _("该账号已有整改流程在办理中（流程 #{pk}）。")
ERR_RECTIFY_CLOSING = _("该账号已有关停/整合申请在办理中（流程 #{pk}），不能再责令整改。")
ERR_RECTIFY_FORBIDDEN = _("只有该账号主管单位或上级单位的主管复核人、检查员可以下发整改通知。")
ERR_RECTIFY_REASON = _("请填写整改事由。")
FEEDBACK_EVIDENCE = _(
    "公众反馈（{start}至{end}）：未处理的纠错 {errors} 条，差评 {complaints} 条。"
    "请在「公众反馈」页核实后决定是否扣分（系统不自动扣分）。"
)
OVERDUE_COMMENT = _("逾期未提交整改报告（整改期限 {deadline}），自动判定复核不通过。")

