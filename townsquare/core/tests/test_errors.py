"""InvalidInput carries codes and parameters per field, and still the English messages."""

from __future__ import annotations

from townsquare.core.errors import InvalidInput, Problem


def test_problems_keep_codes_and_params_and_errors_stay_english():
    exc = InvalidInput(
        {
            "width": [Problem("must be at most %(max)s", code="max_value", params={"max": "1000"})],
            "__all__": ["Something else"],
        },
        code="invalid_fields",
    )
    assert exc.code == "invalid_fields"
    assert exc.errors == {"width": ["must be at most 1000"], "__all__": ["Something else"]}
    assert exc.message == "width: must be at most 1000; Something else"
    width = exc.first("width")
    assert (width.code, dict(width.params)) == ("max_value", {"max": "1000"})
    # A bare message is a problem without a rule's code: interfaces can only show it as it is.
    assert exc.first("__all__") == Problem("Something else", code="invalid")
    assert exc.first("depth") is None


def test_a_message_or_a_problem_alone_is_about_the_whole_input():
    assert InvalidInput("No").errors == {"__all__": ["No"]}
    exc = InvalidInput(Problem("%(n)s too many", code="too_many", params={"n": 3}))
    assert exc.errors == {"__all__": ["3 too many"]} and exc.first("__all__").code == "too_many"


def test_a_template_with_a_percent_sign_and_no_params_is_left_alone():
    assert Problem("100% sure").message == "100% sure"
