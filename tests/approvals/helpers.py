"""Driving flows through the services in tests."""

from __future__ import annotations

from approvals import selectors, services
from approvals.models import AccountProcess


def apply_xl(nanjing, name="兴隆发布", platform="wechat_official", **extra) -> AccountProcess:
    return services.opening_apply(
        actor=nanjing.p.xl_clerk, unit=nanjing.u.xl, platform=platform, name=name,
        purpose="发布街道政务信息", operator="某科技公司", contact_name="张三",
        contact_phone="025-12345678", **extra,
    )


def only_open_task(process):
    tasks = list(selectors.open_tasks(process))
    assert len(tasks) == 1, tasks
    return tasks[0]


def decide(process, actor, decision="approve", **kwargs):
    task = only_open_task(process)
    return services.task_decide(task=task, actor=actor, decision=decision, **kwargs)
