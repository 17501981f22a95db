"""Property-based fuzzing of the whole REST API against its own OpenAPI document.

schemathesis reads /api/schema/ from a live test server seeded with the `nanjing` personas,
an active account per district and opening processes waiting at several steps, then sends
generated requests to every operation (authenticated with a token of a user holding every
role in the city office, so deep paths are reachable). It fails on any 5xx and on any
response that does not match the documented schema.

Bounded and deterministic: `derandomize=True` (the seed is derived from the test) and
SCHEMATHESIS_MAX_EXAMPLES schema-conforming cases per operation (default 25) plus
SCHEMATHESIS_NEGATIVE_EXAMPLES schema-breaking ones (default 15), which must answer 4xx.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error, response_schema_conformance

from lifecycle import services
from tests.api.helpers import imported
from tests.approvals.helpers import apply_xl, decide

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "25"))
# Schema-breaking input (wrong types, missing fields): must be 4xx, never 5xx.
NEGATIVE_EXAMPLES = int(os.environ.get("SCHEMATHESIS_NEGATIVE_EXAMPLES", "15"))


@pytest.fixture
def fuzz_token(nanjing):
    """A token of a user who is applicant, unit head and approver of the city office."""
    u = nanjing.u
    roles = ("applicant", "unit_head", "approver", "supervisor_reviewer", "archivist")
    user = services.user_upsert(username="fuzzer", full_name="模糊测试", password="pw",
                                memberships=[(unit, role) for unit in (u.nj, u.xl) for role in roles])
    imported(u.xl, "兴隆老号", platform="weibo")
    imported(u.jb, "江北发布", platform="douyin")
    imported(u.nj, "南京发布", platform="wechat_official")
    first = apply_xl(nanjing, name="兴隆发布")
    decide(first, nanjing.p.xl_head)
    apply_xl(nanjing, name="兴隆服务", platform="douyin")
    return Token.objects.create(user=user).key


def _fuzz_operation(operation, headers: dict[str, str], mode: GenerationMode) -> None:
    # A strategy that fails to build (e.g. no way to break a parameterless operation) is
    # skipped for that mode only.
    try:
        strategy = operation.as_strategy(generation_mode=mode)
    except Exception:  # noqa: BLE001
        return

    @given(case=strategy)
    @settings(
        max_examples=MAX_EXAMPLES if mode == GenerationMode.POSITIVE else NEGATIVE_EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],  # no shrinking: report the first failure
    )
    def run(case):
        case.call_and_validate(headers=headers,
                               checks=[not_a_server_error, response_schema_conformance])

    try:
        run()
    except Unsatisfiable:
        # Negative mode on an operation with nothing to break (no parameters, no body).
        if mode != GenerationMode.NEGATIVE:
            raise


# One pytest test that loops over the operations itself: schemathesis' lazy pytest
# integration (from_fixture + subtests) does not run under pytest 9.
@pytest.mark.django_db(transaction=True)
def test_api_conforms_to_its_schema(live_server, fuzz_token):
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/schema/?format=json")
    schema.config.update(base_url=live_server.url)
    headers = {"Authorization": f"Token {fuzz_token}"}
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                _fuzz_operation(operation, headers, mode)
            except Exception as exc:  # collect every operation's failure, then fail once
                failures.append(f"{operation.method.upper()} {operation.path} ({mode}): {exc}")
    assert operations >= 11
    assert not failures, "\n\n".join(failures)
