"""Shared personas: a small Nanjing tree and one user per role where the flows need them.

Tree (codes):        JS   江苏省人民政府办公厅 (province office)
                     NJ   南京市人民政府办公室 (city office)            ← approvers: city_approver
                     NJZJ 南京市质量技术监督局 (city department)
                     JY   建邺区人民政府办公室 (county office)          ← approvers: jy_approver
                     JYXL 兴隆街道办事处 (township office)              ← applicant: xl_clerk, head: xl_head
                     JYXLSQ 兴隆街道某社区居委会 (community committee)
                     JYXLNB 兴隆街道党政办 (internal unit)
                     JB   江北新区管理委员会办公室 (county office)      ← approvers: jb_approver
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from lifecycle import services
from lifecycle.models import UnitKind, UnitLevel


def _unit(code, name, short, level, kind, parent=None):
    return services.unit_upsert(
        code=code, name=name, short_name=short, level=level, kind=kind, parent=parent
    )


def _user(username, full_name, memberships):
    return services.user_upsert(
        username=username, full_name=full_name, password="pw", memberships=memberships
    )


@pytest.fixture
def nanjing(db):
    """The unit tree and personas; returns a namespace of units (u.*) and users (p.*)."""
    from approvals.defaults import ensure_default_policies

    ensure_default_policies()  # a transactional test's flush removes migration data
    L, K = UnitLevel, UnitKind
    js = _unit("JS", "江苏省人民政府办公厅", "苏政办", L.PROVINCE, K.GOVERNMENT_OFFICE)
    nj = _unit("NJ", "南京市人民政府办公室", "宁政办", L.CITY, K.GOVERNMENT_OFFICE, js)
    njzj = _unit("NJZJ", "南京市质量技术监督局", "宁质监", L.CITY, K.DEPARTMENT, nj)
    jy = _unit("JY", "建邺区人民政府办公室", "建政办", L.COUNTY, K.GOVERNMENT_OFFICE, nj)
    xl = _unit("JYXL", "兴隆街道办事处", "兴街办", L.TOWNSHIP, K.GOVERNMENT_OFFICE, jy)
    sq = _unit("JYXLSQ", "兴隆街道某社区居委会", "某社区", L.COMMUNITY, K.COMMUNITY_COMMITTEE, xl)
    nb = _unit("JYXLNB", "兴隆街道党政办", "", L.TOWNSHIP, K.INTERNAL, xl)
    jb = _unit("JB", "江北新区管理委员会办公室", "江北办", L.COUNTY, K.GOVERNMENT_OFFICE, nj)
    jbdp = _unit("JBDP", "江北新区顶山街道", "顶山街", L.TOWNSHIP, K.GOVERNMENT_OFFICE, jb)
    u = SimpleNamespace(js=js, nj=nj, njzj=njzj, jy=jy, xl=xl, sq=sq, nb=nb, jb=jb, jbdp=jbdp)
    p = SimpleNamespace(
        # alice: street clerk of 兴隆街道; applies for accounts.
        xl_clerk=_user("xl_clerk", "兴隆填报员", [(xl, "applicant")]),
        # the street's head signs the first step of every 兴隆 application.
        xl_head=_user("xl_head", "兴隆负责人", [(xl, "unit_head")]),
        # bob: district approver of 建邺区; sees everything under 建邺区.
        jy_approver=_user("jy_approver", "建邺审核人", [(jy, "approver")]),
        # city approver; last step of street and district applications.
        nj_approver=_user("nj_approver", "南京审核人", [(nj, "approver")]),
        # charlie: an approver of 江北新区; must never see 建邺 items.
        jb_approver=_user("jb_approver", "江北审核人", [(jb, "approver")]),
        jbdp_clerk=_user("jbdp_clerk", "顶山填报员", [(jbdp, "applicant")]),
        nj_archivist=_user("nj_archivist", "南京档案员", [(nj, "archivist")]),
        njzj_clerk=_user("njzj_clerk", "质监填报员", [(njzj, "applicant")]),
        njzj_head=_user("njzj_head", "质监负责人", [(njzj, "unit_head")]),
    )
    return SimpleNamespace(u=u, p=p)
