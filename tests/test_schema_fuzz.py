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


#: The API's operations: the QR Codes' 17 (explain, removing an old link, info, the bulk update, the
#: destinations and the find and replace with its job included), analytics and events, the default
#: template's GET and PUT, the tags' 4, the folders' 5 and the domains' 4.
OPERATIONS = 35


def test_spec_lists_every_operation(app):
    assert len(_operations(app)) == OPERATIONS


@pytest.mark.parametrize("index", range(OPERATIONS))
def test_operation_keeps_to_the_spec(app, api_key, index):
    operation = _operations(app)[index]
    headers = {"Authorization": f"Bearer {api_key}"}

    @given(case=operation.as_strategy())
    @settings(max_examples=100, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def check(case):
        case.call_and_validate(headers=headers, excluded_checks=EXCLUDED)

    check()


def test_a_ref_in_the_spec_is_never_the_name_of_a_route_beside_it(app):
    """``GET /api/qrcodes/count`` is the count, not the QR Code ``count``: the spec's
    pattern for refs says so, so generated refs never hit the routes beside them."""
    import re

    from codeqr.domain.ids import new_id

    spec = app.test_client().get("/api/openapi.json").get_json()
    parameters = [parameter for operations in spec["paths"].values() for operation in operations.values()
                  for parameter in operation.get("parameters", []) if parameter["name"] == "ref"]
    assert parameters and all("pattern" in parameter["schema"] for parameter in parameters)
    siblings = {rule.rule.rsplit("/", 1)[1] for rule in app.url_map.iter_rules()
                if rule.rule.startswith("/api/qrcodes/") and "<" not in rule.rule}
    assert "count" in siblings
    for pattern in {parameter["schema"]["pattern"] for parameter in parameters}:
        assert re.match(pattern, new_id()) and re.match(pattern, "ext_order-17")
        assert not any(re.match(pattern, name) for name in siblings)
