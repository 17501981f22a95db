"""/api/schema/ validates and /api/docs/ loads Swagger UI from our own static files."""

from __future__ import annotations

import re

import pytest
from django.contrib.staticfiles import finders
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

pytestmark = pytest.mark.django_db

OUR_PATHS = {
    "/api/token/": {"post"},
    "/api/units/": {"get"},
    "/api/accounts/": {"get"},
    "/api/accounts/{id}/": {"get"},
    "/api/accounts/{id}/history/": {"get"},
    "/api/applications/opening/": {"post"},
    "/api/applications/closure/": {"post"},
    "/api/tasks/": {"get"},
    "/api/tasks/{id}/": {"get"},
    "/api/tasks/{id}/claim/": {"post"},
    "/api/tasks/{id}/decide/": {"post"},
}


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def test_the_schema_is_valid_openapi(schema):
    validate_schema(schema)  # raises on an invalid document


def test_every_endpoint_is_documented_with_examples(schema):
    for path, methods in OUR_PATHS.items():
        assert path in schema["paths"], path
        for method in methods:
            operation = schema["paths"][path][method]
            assert operation.get("summary"), (path, method)
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
            responses = [c for r in operation["responses"].values()
                         for c in r.get("content", {}).values()]
            assert body.get("examples") or any(c.get("examples") for c in responses), (path, method)


def test_the_schema_is_served(nanjing, client):
    client.force_login(nanjing.p.xl_clerk)
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert "/api/tasks/{id}/decide/" in response.json()["paths"]


def test_swagger_ui_loads_from_our_static_files(nanjing, client):
    client.force_login(nanjing.p.xl_clerk)
    html = client.get("/api/docs/").content.decode()
    assert "cdn." not in html and "unpkg" not in html
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', html)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets), html
    for asset in assets:
        assert finders.find(asset.removeprefix("/static/")), asset


def test_redoc_loads_from_our_static_files(nanjing, client):
    client.force_login(nanjing.p.xl_clerk)
    html = client.get("/api/redoc/").content.decode()
    assert "cdn." not in html
    assert "/static/drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js" in html
