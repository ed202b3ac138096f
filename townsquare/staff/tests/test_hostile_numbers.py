"""Numbers from outside that `int()` or the database would choke on get an answer, never a 500."""

from __future__ import annotations

import pytest

from townsquare.core.numbers import whole_number

HOSTILE = ["²", "٣", "99999999999999999999999", "-1", " 1", "1e3", ""]


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("0", 0),
        ("42", 42),
        (str(2**63 - 1), 2**63 - 1),
        (str(2**63), None),
        ("²", None),
        ("٣", None),
        ("-1", None),
        (" 1", None),
        ("", None),
        (None, None),
        ("1" * 40, None),
    ],
)
def test_whole_number(raw, expected):
    assert whole_number(raw) == expected


def test_whole_number_respects_the_largest():
    assert whole_number("22", largest=22) == 22
    assert whole_number("23", largest=22) is None


@pytest.mark.parametrize("value", HOSTILE)
def test_staff_forms_and_filters(council, report, staff_client, value):
    case = report()
    admin = staff_client("council_admin")
    url = f"/staff/cases/{case.reference}"
    requests = [
        ("get", f"/staff/audit/?person={value}&before={value}", {}),
        ("get", f"/staff/cases/?team={value}&service={value}&area={value}", {}),
        ("get", f"/staff/dashboards/?service={value}&team={value}", {}),
        ("get", "/staff/dashboards/?start=0001-01-01&end=0001-01-02", {}),
        ("post", f"{url}/assign", {"team": value, "assignee": value, "revision": value}),
        ("post", f"{url}/priority", {"priority": value, "revision": case.revision}),
        (
            "post",
            "/staff/cases/bulk",
            {
                "case": [f"{case.reference}@{value}"],
                "action": "assign",
                "team": value,
                "assignee": value,
            },
        ),
        (
            "post",
            "/staff/cases/bulk",
            {"case": [case.reference], "action": "priority", "priority": value},
        ),
        (
            "post",
            "/staff/admin/staff",
            {"op": "role", "user": value, "team": value, "role": "agent"},
        ),
        ("post", "/staff/admin/api-keys", {"op": "revoke", "key": value}),
        ("post", "/staff/services/new", {"start": "copy", "service": value}),
    ]
    for method, path, data in requests:
        response = getattr(admin, method)(path, data)
        assert response.status_code < 500, (path, response.status_code)


@pytest.mark.parametrize("value", HOSTILE)
def test_public_pages(client, council, value):
    for path in (f"/reports/?page={value}", f"/map/reports.geojson?zoom={value}&bbox=-2,51,-1,52"):
        response = client.get(path)
        assert response.status_code < 500, (path, response.status_code)
