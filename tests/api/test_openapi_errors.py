"""The OpenAPI document declares the error answers the API really gives (DESIGN §8 errors),
each with a JSON body schema and an example: 429 where a throttle applies, 400 where a body
or validated filters are read, 404 on object routes and paginated lists, 401 on every
operation that needs a login, 403 on authenticated writes."""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

pytestmark = pytest.mark.django_db

PUBLIC = {("get", "/api/public/verify/"), ("post", "/api/public/verify/"),
          ("get", "/api/public/successor/"),
          ("post", "/api/token/")}
LISTS_WITH_FILTERS = {"/api/accounts/", "/api/tasks/", "/api/notices/"}
OBJECT_ROUTES = {("get", "/api/accounts/{id}/"), ("get", "/api/accounts/{id}/history/"),
                 ("get", "/api/tasks/{id}/"), ("post", "/api/tasks/{id}/claim/"),
                 ("post", "/api/tasks/{id}/decide/"), ("get", "/api/notices/{id}/"),
                 ("get", "/api/notices/{id}/pdf/")}


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    with django_db_blocker.unblock():
        return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield method, path, operation


def resolve(schema, node):
    ref = node.get("$ref")
    if ref:
        return schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
    return node


def json_example(response):
    content = response["content"]["application/json"]
    assert content.get("schema"), response
    examples = content.get("examples") or {}
    assert examples, response
    return next(iter(examples.values()))["value"]


def test_the_document_stays_valid(schema):
    validate_schema(schema)


def test_public_endpoints_and_the_token_endpoint_declare_429(schema):
    for method, path in PUBLIC:
        response = schema["paths"][path][method]["responses"]["429"]
        assert "detail" in json_example(response)
        assert "Retry-After" in response.get("headers", {})
    throttled = {(m, p) for m, p, op in operations(schema) if "429" in op["responses"]}
    assert throttled == PUBLIC


def test_verify_and_filtered_lists_declare_400(schema):
    verify = schema["paths"]["/api/public/verify/"]["get"]["responses"]["400"]
    assert json_example(verify) in ({"number": ["请提供发文字号。"]},
                                    {"sha256": ["SHA-256 应为64位十六进制字符串。"]})
    for path in LISTS_WITH_FILTERS:
        response = schema["paths"][path]["get"]["responses"]["400"]
        (field, messages), = json_example(response).items()
        assert field in {p["name"] for p in schema["paths"][path]["get"]["parameters"]}
    # a list without filters refuses only a page size it does not offer
    units = schema["paths"]["/api/units/"]["get"]["responses"]["400"]
    assert list(json_example(units)) == ["page_size"]
    assert "10、20、25、50、100" in json_example(units)["page_size"][0]


def test_every_json_body_may_be_refused_with_400(schema):
    for method, path, operation in operations(schema):
        if "requestBody" in operation:
            assert "400" in operation["responses"], (method, path)
            json_example(operation["responses"]["400"])


def test_object_routes_declare_404_with_a_body(schema):
    for method, path in OBJECT_ROUTES:
        response = schema["paths"][path][method]["responses"]["404"]
        body = resolve(schema, response["content"]["application/json"]["schema"])
        assert body["required"] == ["detail"], (method, path)
        assert "detail" in json_example(response)
    pdf = schema["paths"]["/api/notices/{id}/pdf/"]["get"]["responses"]
    assert set(pdf["200"]["content"]) == {"application/pdf"}
    assert set(pdf["404"]["content"]) == {"application/json"}
    assert json_example(pdf["404"]) == {"detail": "未找到。"}
    # the verification's own 404 body stays as documented
    verify = schema["paths"]["/api/public/verify/"]["get"]["responses"]["404"]
    assert "genuine" in resolve(schema, verify["content"]["application/json"]["schema"])[
        "properties"]


def test_401_everywhere_a_login_is_needed_and_403_on_authenticated_writes(schema):
    for method, path, operation in operations(schema):
        codes = operation["responses"]
        if (method, path) in PUBLIC:
            assert "401" not in codes and "403" not in codes, (method, path)
            continue
        assert json_example(codes["401"]) == {"detail": "身份认证信息未提供。"}, (method, path)
        if method == "post":
            assert "detail" in json_example(codes["403"]), (method, path)


def test_declared_examples_of_the_views_are_kept(schema):
    decide = schema["paths"]["/api/tasks/{id}/decide/"]["post"]["responses"]
    assert json_example(decide["409"]) == {"detail": "该任务已办结，不能重复处理。"}
    assert json_example(decide["400"]) == {"comment": ["不同意或退回时必须说明理由。"]}
