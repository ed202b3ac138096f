"""The case as one person may see it (ADR 24): what case_view_for shows and withholds, by
role and by who handles the case."""

from __future__ import annotations

import pytest

from tests import factories
from townsquare.accounts.principal import Principal
from townsquare.cases import policies, selectors, services
from townsquare.cases.models import Attachment
from townsquare.cases.services import Document, Reporter
from townsquare.catalogue.services import template_publish
from townsquare.core.actors import Actor
from townsquare.core.errors import NotFound
from townsquare.geo.points import Point

pytestmark = pytest.mark.django_db

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]"
    b"/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


@pytest.fixture
def noise_case(council):
    """A report with one private answer and one public one."""
    template_publish(
        council=council,
        actor=Actor.system("tests"),
        document=factories.template(
            code="noise",
            name="Noise",
            fields=[
                {
                    "code": "source",
                    "label": "What makes the noise?",
                    "datatype": "singlevaluelist",
                    "order": 1,
                    "values": [{"key": "party", "name": "A party"}],
                },
                {
                    "code": "flat",
                    "label": "Your flat number",
                    "datatype": "string",
                    "order": 2,
                    "private": True,
                },
            ],
        ),
    )
    return services.case_create(
        service_code="noise",
        actor=Principal.anonymous(),
        point=Point(51.5, -1.5),
        values={"source": "party", "flat": "Flat 3"},
        reporter=Reporter(email="sam@example.org", name="Sam Reporter", phone="01632960000"),
    )


def _view(case, principal):
    fresh = selectors.case_get_for_user(principal=principal, reference=case.reference)
    return selectors.case_view_for(case=fresh, principal=principal)


def test_an_agent_sees_the_name_but_not_the_contact_or_private_answers(council, noise_case):
    _, agent = factories.make_staff(council, "agent")
    view = _view(noise_case, agent)
    assert view.reporter.name == "Sam Reporter"
    assert view.reporter.email is None and view.reporter.phone is None
    assert not view.reporter.contact_shown and not view.sees_reporter_contact
    answers = {a.code: a for a in view.answers}
    assert answers["source"].value == "A party" and not answers["source"].private
    assert answers["flat"].private and answers["flat"].withheld and answers["flat"].value is None
    # Nothing in the view holds what was withheld.
    assert "sam@example.org" not in repr(view) and "Flat 3" not in repr(view)


@pytest.mark.parametrize("role", ["supervisor", "council_admin"])
def test_supervisors_and_admins_see_everything(council, noise_case, role):
    _, principal = factories.make_staff(council, role)
    view = _view(noise_case, principal)
    assert (view.reporter.email, view.reporter.phone) == ("sam@example.org", "01632960000")
    assert {a.code: a.value for a in view.answers}["flat"] == "Flat 3"


def test_an_agent_handling_the_case_sees_the_contact(council, noise_case):
    user, agent = factories.make_staff(council, "agent")
    services.case_assign(case=noise_case, actor=agent, team=None, assignee_id=user.pk)
    view = _view(noise_case, agent)
    assert view.reporter.email == "sam@example.org"
    assert {a.code: a.value for a in view.answers}["flat"] == "Flat 3"


def test_another_councils_staff_get_not_found(council, other_council, noise_case):
    _, stranger = factories.make_staff(other_council, "council_admin")
    with pytest.raises(NotFound):
        selectors.case_view_for(case=noise_case, principal=stranger)


def test_an_anonymised_case_shows_no_reporter(council, noise_case):
    from townsquare.core import clock

    noise_case.anonymised_at = clock.now()
    _, supervisor = factories.make_staff(council, "supervisor")
    assert selectors.case_view_for(case=noise_case, principal=supervisor).reporter is None


def test_an_applications_documents_only_for_those_handling_it(council):
    application = services.case_create_with_documents(
        documents=[Document(data=PDF, content_type="application/pdf", extension="pdf")],
        service_code="school_transport",
        actor=Principal.anonymous(),
        point=Point(51.5, -1.5),
        values={"child_name": "Alex", "sen": "no"},
        reporter=Reporter(email="pat@example.org"),
    )
    _, agent = factories.make_staff(council, "agent")
    _, supervisor = factories.make_staff(council, "supervisor")
    withheld = _view(application, agent)
    assert withheld.documents == () and withheld.documents_withheld
    shown = _view(application, supervisor)
    assert len(shown.documents) == 1 and not shown.documents_withheld
    assert shown.documents[0].is_document and not shown.documents[0].is_public
    assert policies.can_see_case_papers(supervisor, application)
    assert not policies.can_see_case_papers(agent, application)
    attachment = Attachment.objects.get(case=application)
    from townsquare.cases import casework

    with pytest.raises(NotFound):
        casework.case_attachment(
            principal=agent, reference=application.reference, attachment_id=attachment.id
        )
    assert (
        casework.case_attachment(
            principal=supervisor, reference=application.reference, attachment_id=attachment.id
        )
        == attachment
    )


def test_messages_of_every_case_only_for_supervisors_and_admins(council):
    _, agent = factories.make_staff(council, "agent")
    _, supervisor = factories.make_staff(council, "supervisor")
    assert not policies.can_see_every_reporter_contact(agent, council.id)
    assert policies.can_see_every_reporter_contact(supervisor, council.id)


def test_a_date_answer_reads_in_words_for_staff(council):
    template_publish(
        council=council,
        actor=Actor.system("tests"),
        document=factories.template(
            code="birth",
            name="Birth",
            fields=[
                {
                    "code": "born",
                    "label": "Date of birth",
                    "datatype": "date",
                    "order": 1,
                    "latest": "yesterday",
                },
                {"code": "postcode", "label": "Postcode", "datatype": "postcode", "order": 2},
            ],
        ),
    )
    case = services.case_create(
        service_code="birth",
        actor=Principal.anonymous(),
        point=Point(51.5, -1.5),
        # As the citizen web posts it, and as a client system sends it.
        values={"born": {"day": "31", "month": "3", "year": "2015"}, "postcode": "ls184aa"},
        reporter=Reporter(email="sam@example.org"),
    )
    assert case.values == {"born": "2015-03-31", "postcode": "LS18 4AA"}
    _, supervisor = factories.make_staff(council, "supervisor")
    answers = {a.code: a.value for a in _view(case, supervisor).answers}
    assert answers == {"born": "31 March 2015", "postcode": "LS18 4AA"}
