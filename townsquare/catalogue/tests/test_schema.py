from __future__ import annotations

import copy

import pytest

from tests.factories import APPLICATION_TEMPLATE, REPORT_TEMPLATE
from townsquare.catalogue.documents import TemplateFileError, parse_template_yaml
from townsquare.catalogue.schema import template_problems


def problems_of(doc):
    return [(p.path, p.reason) for p in template_problems(doc)]


def mutated(change):
    doc = copy.deepcopy(REPORT_TEMPLATE)
    change(doc)
    return doc


def test_valid_templates_have_no_problems():
    assert template_problems(copy.deepcopy(REPORT_TEMPLATE)) == []
    assert template_problems(copy.deepcopy(APPLICATION_TEMPLATE)) == []


@pytest.mark.parametrize(
    ("change", "path", "reason_part"),
    [
        (lambda d: d.pop("workflow"), "", "'workflow' is required"),
        (lambda d: d.update(colour="red"), "", "Unknown key(s)"),
        (lambda d: d.update(kind="complaint"), "kind", "is not one of: report, application"),
        (lambda d: d.update(code="Pot Hole"), "code", "letters, digits, _ and -"),
        (lambda d: d.update(code="pothole.v2"), "code", "letters, digits, _ and -"),
        (
            lambda d: d["workflow"].update(initial="Sub mitted"),
            "workflow.initial",
            "lower-case letters",
        ),
        (lambda d: d["fields"][0].update(datatype="blob"), "fields[0].datatype", "not one of"),
        (lambda d: d["sla"].update(close_hours=0), "sla.close_hours", "less than or equal"),
        (lambda d: d.update(privacy="secret"), "privacy", "not one of"),
        (
            lambda d: d["workflow"]["states"][0].update(fms="done"),
            "workflow.states[0].fms",
            "not one of",
        ),
        (
            lambda d: d["workflow"]["transitions"][0].update(roles=["mayor"]),
            "workflow.transitions[0].roles[0]",
            "not one of",
        ),
    ],
)
def test_shape_problems_name_the_path_and_reason(change, path, reason_part):
    found = problems_of(mutated(change))
    assert any(p == path and reason_part in r for p, r in found), found


@pytest.mark.parametrize(
    ("change", "path", "reason_part"),
    [
        (lambda d: d["fields"][1].update(code="depth"), "fields[1].code", "is used by fields[0]"),
        (lambda d: d["fields"][1].update(order=1), "fields[1].order", "order 1 is used"),
        (lambda d: d["fields"][0].pop("values"), "fields[0].values", "needs at least one value"),
        (
            lambda d: d["fields"][1].update(values=[{"key": "a", "name": "A"}]),
            "fields[1].values",
            "only list fields have values",
        ),
        (
            lambda d: d["fields"][0]["values"].append({"key": "deep", "name": "Again"}),
            "fields[0].values[2].key",
            "appears twice",
        ),
        (lambda d: d["fields"][1].update(min=10, max=1), "fields[1].min", "greater than max"),
        (
            lambda d: d["fields"][1].update(show_if={"field": "nope", "equals": "x"}),
            "fields[1].show_if.field",
            "no field is called 'nope'",
        ),
        (
            lambda d: d["workflow"]["states"].append(dict(d["workflow"]["states"][0])),
            "workflow.states[5].code",
            "defined twice",
        ),
        (
            lambda d: d["workflow"].update(initial="draft"),
            "workflow.initial",
            "no state is called 'draft'",
        ),
        (
            lambda d: d["workflow"]["transitions"][0].update(to="nowhere"),
            "workflow.transitions[0].to",
            "no state is called 'nowhere'",
        ),
        (
            lambda d: d["workflow"]["transitions"][0].update({"from": "limbo"}),
            "workflow.transitions[0].from",
            "no state is called 'limbo'",
        ),
        (
            lambda d: d["workflow"]["transitions"][0].update({"to": "submitted"}),
            "workflow.transitions[0]",
            "to itself",
        ),
        (
            lambda d: d["workflow"]["transitions"].append(
                {"from": "submitted", "to": "fixed", "roles": ["agent"]}
            ),
            "workflow.transitions[5]",
            "defined twice",
        ),
        (
            lambda d: d["workflow"]["states"][2].update(fms="in_progress"),
            "workflow.states[2].fms",
            "open status but open311 says closed",
        ),
        (
            lambda d: [s.update(open311="open", fms="open") for s in d["workflow"]["states"]],
            "workflow.states",
            "at least one state must map to open311: closed",
        ),
    ],
)
def test_rule_problems_name_the_path_and_reason(change, path, reason_part):
    found = problems_of(mutated(change))
    assert any(p == path and reason_part in r for p, r in found), found


def test_unreachable_state_is_reported():
    def change(d):
        d["workflow"]["states"].append(
            {"code": "orphan", "name": "Orphan", "open311": "closed", "fms": "closed"}
        )

    assert (
        "workflow.states[5]",
        "state 'orphan' cannot be reached from 'submitted'",
    ) in problems_of(mutated(change))


def test_non_mapping_document_is_refused():
    assert problems_of(["a", "list"]) == [("", "a template must be a mapping of keys to values")]


def test_yaml_syntax_error_names_the_line():
    with pytest.raises(TemplateFileError) as info:
        parse_template_yaml("code: pothole\nname: [unclosed\n", source="bad.yaml")
    assert info.value.path == "bad.yaml"
    assert "line" in info.value.problems[0].path
    assert "not valid YAML" in info.value.problems[0].reason
