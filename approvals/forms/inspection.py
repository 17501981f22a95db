"""Forms of the review pages and of the inspection / rectification task steps.

The task page (workbench.views.tasks.TaskView) posts each field as a single `d-<name>` value, so
the inspection form has one checkbox per manual veto (`veto_<CODE>`) and one number per
deduction indicator (`ded_<CODE>`); the API may pass `vetoes` (codes) and `deductions`
([{code, points}]) instead. Both end up as cleaned `vetoes` / `deductions`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from review.models import CampaignKind, Indicator, IndicatorPart, RuleSet

ERR_UNKNOWN_VETO = _("否决项代码「{code}」不在指标体系的人工否决项中。")
ERR_UNKNOWN_DEDUCTION = _("扣分项代码「{code}」不在指标体系中。")
ERR_POINTS = _("「{code}」扣分应为 0 到 {max} 之间的整数。")
ERR_DEDUCTIONS_SHAPE = _("deductions 应为 [{code, points}] 列表。")
ERR_EVIDENCE_NEEDED = _("记录否决项或扣分时，请填写证据说明或证据链接。")
SCREENSHOT_MAX_BYTES = 5 * 1024 * 1024
EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
# Accepted extensions and the bytes such a file starts with.
EVIDENCE_EXTENSIONS = {"pdf": b"%PDF-", "png": b"\x89PNG", "jpg": b"\xff\xd8\xff", "jpeg": b"\xff\xd8\xff"}


def _manual_indicators(rule_set: RuleSet | None) -> tuple[list[Indicator], list[Indicator]]:
    if rule_set is None:
        rule_set = RuleSet.objects.filter(active=True).first()
    if rule_set is None:
        return [], []
    rows = list(rule_set.indicators.order_by("part", "position", "code"))
    vetoes = [i for i in rows if i.part == IndicatorPart.VETO and not i.automatic]
    deductions = [i for i in rows if i.part == IndicatorPart.DEDUCTION]
    return vetoes, deductions


class CampaignForm(forms.Form):
    period = forms.CharField(label=_("期次"), max_length=16, help_text=_("如 2026Q4、2026H1、2026"))
    kind = forms.ChoiceField(label=_("类型"), choices=CampaignKind.choices)
    ratio = forms.DecimalField(
        label=_("抽查比例"), max_digits=4, decimal_places=3, initial=Decimal("0.1"),
        help_text=_("大于 0 且不超过 1，例如 0.1 表示 10%"),
    )
    seed = forms.IntegerField(label=_("随机种子"), min_value=0, initial=0,
                              help_text=_("相同种子、相同范围的抽样结果相同"))
    scope_unit = forms.ChoiceField(label=_("检查范围"))

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scope_unit"].choices = [(u.code, u.name) for u in units]


class InspectionForm(forms.Form):
    """Data of the `inspection` step: manual vetoes, deductions, evidence."""

    vetoes = forms.JSONField(required=False, widget=forms.HiddenInput)
    deductions = forms.JSONField(required=False, widget=forms.HiddenInput)
    evidence_text = forms.CharField(
        label=_("证据说明"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    evidence_url = forms.URLField(label=_("证据链接"), required=False, max_length=1000,
                                 assume_scheme="https")

    def __init__(self, *args, rule_set: RuleSet | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.veto_indicators, self.deduction_indicators = _manual_indicators(rule_set)
        self.max_points = {i.code: i.max_points for i in self.deduction_indicators}
        for ind in self.veto_indicators:
            self.fields[f"veto_{ind.code}"] = forms.BooleanField(
                label=_("否决：{name}").format(name=ind.name), required=False
            )
        for ind in self.deduction_indicators:
            self.fields[f"ded_{ind.code}"] = forms.IntegerField(
                label=_("扣分：{name}（0–{max}）").format(name=ind.name, max=ind.max_points),
                required=False, min_value=0, max_value=ind.max_points,
            )
        # Evidence last, after the indicators.
        for name in ("evidence_text", "evidence_url"):
            self.fields[name] = self.fields.pop(name)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        codes = {i.code for i in self.veto_indicators}
        vetoes: list[str] = []
        for code in data.get("vetoes") or []:
            if str(code) not in codes:
                self.add_error(None, str(ERR_UNKNOWN_VETO).format(code=code))
            elif code not in vetoes:
                vetoes.append(str(code))
        for ind in self.veto_indicators:
            if data.get(f"veto_{ind.code}") and ind.code not in vetoes:
                vetoes.append(ind.code)
        points: dict[str, int] = {}
        given = data.get("deductions") or []
        if not isinstance(given, list):
            self.add_error(None, ERR_DEDUCTIONS_SHAPE)
            given = []
        for item in given:
            if not isinstance(item, dict) or "code" not in item:
                self.add_error(None, ERR_DEDUCTIONS_SHAPE)
                continue
            code = str(item["code"])
            if code not in self.max_points:
                self.add_error(None, str(ERR_UNKNOWN_DEDUCTION).format(code=code))
                continue
            try:
                value = int(item.get("points", 0))
            except (TypeError, ValueError):
                value = -1
            if not 0 <= value <= self.max_points[code]:
                self.add_error(None, str(ERR_POINTS).format(code=code, max=self.max_points[code]))
                continue
            points[code] = value
        for ind in self.deduction_indicators:
            value = data.get(f"ded_{ind.code}")
            if value:
                points[ind.code] = value
        deductions = [{"code": c, "points": p} for c, p in points.items() if p > 0]
        if (vetoes or deductions) and not (data.get("evidence_text") or data.get("evidence_url")):
            self.add_error("evidence_text", ERR_EVIDENCE_NEEDED)
        # Only the normalised keys leave the form (they are stored on the process).
        return {
            "vetoes": vetoes,
            "deductions": deductions,
            "evidence_text": (data.get("evidence_text") or "").strip(),
            "evidence_url": data.get("evidence_url") or "",
        }


class ScreenshotForm(forms.Form):
    """The inspection sheet page adds an uploaded screenshot to the task's data."""

    screenshot = forms.ImageField(label=_("截图"), required=False)

    def clean_screenshot(self):
        f = self.cleaned_data.get("screenshot")
        if f and f.size > SCREENSHOT_MAX_BYTES:
            raise forms.ValidationError(_("截图不能超过 5 MB。"))
        return f


class RectificationReportForm(forms.Form):
    """Data of the `rectification_report` step (the owning unit's clerks)."""

    report = forms.CharField(label=_("整改情况报告"), widget=forms.Textarea(attrs={"rows": 5}))
    evidence_url = forms.URLField(label=_("佐证材料链接"), required=False, max_length=1000,
                                 assume_scheme="https")
    evidence_text = forms.CharField(
        label=_("佐证材料说明"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    evidence_file = forms.FileField(
        label=_("佐证材料附件"), required=False,
        help_text=_("可选：PDF 或图片（PNG、JPG），不超过 10 MB。"),
    )

    def clean_evidence_file(self):
        f = self.cleaned_data.get("evidence_file")
        if f is None:
            return f
        head = f.read(8)
        f.seek(0)
        extension = f.name.rsplit(".", 1)[-1].lower()
        if extension not in EVIDENCE_EXTENSIONS or not head.startswith(EVIDENCE_EXTENSIONS[extension]):
            raise forms.ValidationError(_("附件只能是 PDF、PNG 或 JPG 文件。"))
        if f.size > EVIDENCE_MAX_BYTES:
            raise forms.ValidationError(_("附件不能超过 10 MB。"))
        return f


RECHECK_CHOICES = (("pass", _("复核通过（恢复运行）")), ("fail", _("复核不通过（强制关停）")),
                   ("more", _("退回补充材料（重新提交整改报告）")))


class RecheckForm(forms.Form):
    """Data of the `recheck` step (the supervisor unit's reviewers)."""

    result = forms.ChoiceField(label=_("复核结论"), choices=RECHECK_CHOICES)
    opinion = forms.CharField(label=_("复核意见"), widget=forms.Textarea(attrs={"rows": 3}))


class RectificationStartForm(forms.Form):
    reason = forms.CharField(label=_("整改事由"), widget=forms.Textarea(attrs={"rows": 3}))
