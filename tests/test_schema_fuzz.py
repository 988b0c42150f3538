"""Schemathesis against the live OpenAPI spec: no server error, no response off the spec."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance

# Cross-field rules (contrast of the colours, a logo needing level Q/H, keys that
# would shadow a route, served domains) cannot be written in JSON Schema, so
# schema-valid data may still get a 422: that one check does not apply here.
EXCLUDED = [positive_data_acceptance]


def _operations(app):
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]


def test_spec_lists_every_operation(app):
    assert len(_operations(app)) == 12


@pytest.mark.parametrize("index", range(12))
def test_operation_keeps_to_the_spec(app, api_key, index):
    operation = _operations(app)[index]
    headers = {"Authorization": f"Bearer {api_key}"}

    @given(case=operation.as_strategy())
    @settings(max_examples=100, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def check(case):
        case.call_and_validate(headers=headers, excluded_checks=EXCLUDED)

    check()
