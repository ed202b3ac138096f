from __future__ import annotations

import datetime as dt

import pytest

from tests import factories
from townsquare.consultations.models import QuestionKind
from townsquare.consultations.services import consultation_create, consultation_move, question_add
from townsquare.core import clock

# Open from yesterday for a month: whatever day the tests run, the consultation is open (staff
# sign-in codes follow the real clock, so the clock is not held here).
TODAY = clock.now().date()


@pytest.fixture
def runner(council):
    """A supervisor: drafts, opens and publishes consultations."""
    return factories.make_staff(council, "supervisor")[1]


@pytest.fixture
def draft(council, runner):
    consultation = consultation_create(
        council=council,
        title="Bin collections",
        title_cy="Casgliadau biniau",
        summary="How should we collect bins?",
        summary_cy="Sut dylen ni gasglu biniau?",
        opens_on=TODAY - dt.timedelta(days=1),
        closes_on=TODAY + dt.timedelta(days=30),
        actor=runner,
    )
    question_add(
        consultation=consultation,
        kind=QuestionKind.SINGLE,
        code="often",
        label="How often should we collect?",
        label_cy="Pa mor aml y dylen ni gasglu?",
        options=[
            {"name": "Every week", "name_cy": "Bob wythnos"},
            {"name": "Every two weeks", "name_cy": "Bob pythefnos"},
        ],
        required=True,
        actor=runner,
    )
    question_add(
        consultation=consultation,
        kind=QuestionKind.STATEMENT,
        code="garden",
        label="Garden waste should be free",
        label_cy="Dylai gwastraff gardd fod am ddim",
        actor=runner,
    )
    question_add(
        consultation=consultation,
        kind=QuestionKind.RANKING,
        code="priorities",
        label="Put these in order",
        options=[{"name": "Recycling"}, {"name": "Food waste"}, {"name": "Glass"}],
        actor=runner,
    )
    question_add(
        consultation=consultation,
        kind=QuestionKind.TEXT,
        code="anything",
        label="Anything else?",
        publish_text=True,
        actor=runner,
    )
    return consultation


@pytest.fixture
def open_consultation(draft, runner):
    return consultation_move(consultation=draft, to_state="open", actor=runner)
