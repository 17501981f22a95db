"""Types shared by the services and selectors of every app.

`User` is the acting user a service is given: the model settings.AUTH_USER_MODEL names,
which is Django's default auth.User (change this alias together with the setting; at run
time code still reaches the model through get_user_model()). `RequestUser` is what a
selector may be handed from a request: a user or the anonymous user.
"""

from __future__ import annotations

from typing import TypeAlias

from django.contrib.auth.models import AnonymousUser, User

__all__ = ["RequestUser", "User"]

RequestUser: TypeAlias = User | AnonymousUser
