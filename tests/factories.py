"""Factories for variations; the shared Nanjing personas live in tests/conftest.py."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model

from lifecycle.models import Account, AccountState, Membership, Platform, Unit, UnitKind, UnitLevel


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    code = factory.Sequence(lambda n: f"U{n:05d}")
    name = factory.Sequence(lambda n: f"测试单位{n}")
    short_name = factory.Sequence(lambda n: f"测{n}")
    level = UnitLevel.CITY
    kind = UnitKind.DEPARTMENT


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Sequence(lambda n: f"用户{n}")
    password = factory.django.Password("pw")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    unit = factory.SubFactory(UnitFactory)
    role = "applicant"


class AccountFactory(factory.django.DjangoModelFactory):
    """An account already in the register (state given at creation, as imports do)."""

    class Meta:
        model = Account

    name = factory.Sequence(lambda n: f"测试账号{n}")
    platform = Platform.WECHAT_OFFICIAL
    platform_id = factory.Sequence(lambda n: f"gh_test{n}")
    unit = factory.SubFactory(UnitFactory)
    state = AccountState.ACTIVE
