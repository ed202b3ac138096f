from __future__ import annotations

import re

import pytest
import yaml

from townsquare.accounts.principal import Principal
from townsquare.cases.services import case_create
from townsquare.catalogue.models import ServiceDraft, ServiceTemplate
from townsquare.core.models import Event
from townsquare.geo.points import Point

pytestmark = pytest.mark.django_db


def _draft_id(response) -> int:
    return int(re.search(r"/staff/services/drafts/(\d+)/", response["Location"]).group(1))


def edit(client, draft_id: int, op: str, **data):
    draft = ServiceDraft.objects.get(pk=draft_id)
    return client.post(
        f"/staff/services/drafts/{draft_id}/edit",
        {"op": op, "revision": draft.revision, "section": "fields", **data},
    )


def test_only_council_admins_build_services(council, staff_client):
    for role in ("agent", "supervisor"):
        assert staff_client(role, email=f"{role}@x.test").get("/staff/services/").status_code == 403
    admin = staff_client("council_admin")
    page = admin.get("/staff/services/").content.decode()
    assert "Pothole" in page


def test_build_from_scratch_publish_and_use(council, staff_client):
    admin = staff_client("council_admin")
    response = admin.post(
        "/staff/services/new",
        {"start": "scratch", "name": "Broken bench", "code": "broken_bench", "kind": "report"},
    )
    draft_id = _draft_id(response)
    page = admin.get(f"/staff/services/drafts/{draft_id}/?section=fields").content.decode()
    assert "Preview of the form residents see" in page

    bad = edit(
        admin,
        draft_id,
        "field_add",
        label="",
        code="bad code!",
        datatype="number",
        min="5",
        max="1",
    )
    assert bad.status_code == 400
    text = bad.content.decode()
    assert "Enter the question" in text and "Enter a code of letters" in text
    assert "The largest answer must be at least the smallest" in text

    assert (
        edit(
            admin,
            draft_id,
            "field_add",
            label="What is broken?",
            code="part",
            datatype="singlevaluelist",
            values="seat | The seat\nlegs | The legs",
            required="yes",
        ).status_code
        == 302
    )
    assert (
        edit(
            admin, draft_id, "field_add", label="Anything else?", code="notes", datatype="text"
        ).status_code
        == 302
    )
    edit(admin, draft_id, "field_down", index="0")
    draft = ServiceDraft.objects.get(pk=draft_id)
    assert [f["code"] for f in sorted(draft.document["fields"], key=lambda f: f["order"])] == [
        "notes",
        "part",
    ]
    edit(
        admin,
        draft_id,
        "state_add",
        code="awaiting_parts",
        name="Awaiting parts",
        open311="open",
        fms="action_scheduled",
        public="yes",
        message="Parts are ordered.",
    )
    refused = edit(admin, draft_id, "transition_add", to="awaiting_parts")
    assert "Choose at least one state" in refused.content.decode()
    edit(
        admin,
        draft_id,
        "transition_add",
        **{
            "from": ["in_progress"],
            "to": "awaiting_parts",
            "roles": ["agent"],
            "name": "Wait for parts",
        },
    )
    page = admin.get(f"/staff/services/drafts/{draft_id}/?section=workflow").content.decode()
    assert "Workflow diagram" in page and "Awaiting parts" in page
    rules = edit(
        admin,
        draft_id,
        "rules",
        first_response_hours="8",
        close_hours="40",
        calendar="office_hours",
        team="highways",
        privacy="public",
        retention_days="365",
    )
    assert rules.status_code == 302
    response = edit(admin, draft_id, "publish")
    assert response.status_code == 302
    service = ServiceTemplate.objects.get(council=council, code="broken_bench")
    assert service.current_version.number == 1
    assert not ServiceDraft.objects.filter(pk=draft_id).exists()
    assert Event.objects.filter(kind="service.published", stream_id=service.id).exists()
    assert "version 1 is published" in admin.get(response["Location"]).content.decode()

    case = case_create(
        service_code="broken_bench",
        actor=Principal.anonymous(),
        council=council,
        point=Point(51.5, -1.75),
        values={"part": "seat"},
    )
    assert case.service_version_id == service.current_version_id

    # Changing it makes version 2; the case keeps version 1.
    draft_id = _draft_id(admin.post(f"/staff/services/{service.id}/edit"))
    edit(
        admin,
        draft_id,
        "basics",
        name="Broken bench or seat",
        group="Parks",
        description="Benches in parks and streets.",
        kind="report",
        open311_type="realtime",
    )
    edit(admin, draft_id, "publish")
    service.refresh_from_db()
    case.refresh_from_db()
    assert service.current_version.number == 2
    assert case.service_version.number == 1


def test_problems_are_listed_and_block_publishing(council, staff_client):
    admin = staff_client("council_admin")
    draft_id = _draft_id(
        admin.post(
            "/staff/services/new",
            {"start": "scratch", "name": "Thing", "code": "thing", "kind": "report"},
        )
    )
    # The team "general" does not exist; a state nobody can reach.
    edit(
        admin,
        draft_id,
        "state_add",
        code="limbo",
        name="Limbo",
        open311="open",
        fms="open",
        public="yes",
    )
    page = admin.get(f"/staff/services/drafts/{draft_id}/").content.decode()
    assert "problem" in page and "cannot be reached" in page
    response = edit(admin, draft_id, "publish")
    assert response.status_code == 400
    assert not ServiceTemplate.objects.filter(code="thing").exists()


def test_from_library_and_from_another_council(council, other_council, staff_client):
    admin = staff_client("council_admin")
    response = admin.post("/staff/services/new", {"start": "library", "file": "fly_tipping.yaml"})
    draft = ServiceDraft.objects.get(pk=_draft_id(response))
    assert draft.document["code"] == "fly_tipping" and draft.source == "library:fly_tipping.yaml"
    theirs = ServiceTemplate.objects.get(council=other_council, code="pothole")
    response = admin.post("/staff/services/new", {"start": "copy", "service": theirs.id})
    copy = ServiceDraft.objects.get(pk=_draft_id(response))
    assert copy.council_id == council.id and copy.source == "service:otherby/pothole"
    missing = admin.post("/staff/services/new", {"start": "library", "file": "../etc.yaml"})
    assert missing.status_code == 400


def test_yaml_export_and_import(council, staff_client):
    admin = staff_client("council_admin")
    service = ServiceTemplate.objects.get(council=council, code="pothole")
    exported = admin.get(f"/staff/services/{service.id}/export.yaml")
    assert exported["Content-Disposition"] == 'attachment; filename="pothole.yaml"'
    document = yaml.safe_load(exported.content)
    document["code"] = "pothole_copy"
    response = admin.post("/staff/services/import", {"yaml": yaml.safe_dump(document)})
    assert ServiceDraft.objects.get(pk=_draft_id(response)).document["code"] == "pothole_copy"

    document["workflow"]["initial"] = "nowhere"
    document["fields"][0]["datatype"] = "colour"
    refused = admin.post("/staff/services/import", {"yaml": yaml.safe_dump(document)})
    assert refused.status_code == 400
    text = refused.content.decode()
    assert "fields[0].datatype" in text and "colour" in text
    broken = admin.post("/staff/services/import", {"yaml": "code: [unclosed"})
    assert "not valid YAML" in broken.content.decode()


def test_a_stale_draft_edit_is_a_conflict(council, staff_client):
    admin = staff_client("council_admin")
    draft_id = _draft_id(
        admin.post(
            "/staff/services/new",
            {"start": "scratch", "name": "Thing", "code": "thing", "kind": "report"},
        )
    )
    stale = ServiceDraft.objects.get(pk=draft_id).revision
    edit(admin, draft_id, "field_add", label="A", code="a", datatype="string")
    response = admin.post(
        f"/staff/services/drafts/{draft_id}/edit",
        {"op": "field_add", "revision": stale, "label": "B", "code": "b", "datatype": "string"},
    )
    assert response.status_code == 409
    assert "Someone else changed this draft" in response.content.decode()


def test_other_councils_drafts_are_not_found(council, other_council, staff_client):
    mine = staff_client("council_admin")
    draft_id = _draft_id(
        mine.post(
            "/staff/services/new",
            {"start": "scratch", "name": "Thing", "code": "thing", "kind": "report"},
        )
    )
    theirs = staff_client("council_admin", target=other_council, email="admin@otherby.test")
    assert theirs.get(f"/staff/services/drafts/{draft_id}/").status_code == 404


def test_a_copy_never_silently_replaces_a_service_of_the_same_code(
    council, other_council, staff_client
):
    admin = staff_client("council_admin")
    ours = ServiceTemplate.objects.get(council=council, code="pothole")
    versions = ours.versions.count()
    taken = admin.post(
        "/staff/services/new",
        {"start": "scratch", "name": "Potholes again", "code": "pothole", "kind": "report"},
    )
    assert (
        taken.status_code == 400
        and "already has a service with this code" in taken.content.decode()
    )

    theirs = ServiceTemplate.objects.get(council=other_council, code="pothole")
    draft_id = _draft_id(admin.post("/staff/services/new", {"start": "copy", "service": theirs.id}))
    page = admin.get(f"/staff/services/drafts/{draft_id}/").content.decode()
    assert "already has a service with the code &#x27;pothole&#x27;" in page
    assert edit(admin, draft_id, "publish").status_code == 400
    assert ours.versions.count() == versions

    draft = ServiceDraft.objects.get(pk=draft_id)
    assert (
        edit(
            admin,
            draft_id,
            "basics",
            section="basics",
            code="pothole_otherby",
            name=draft.document["name"],
            group=draft.document["group"],
            description=draft.document["description"],
            kind="report",
            open311_type="realtime",
        ).status_code
        == 302
    )
    page = admin.get(f"/staff/services/drafts/{draft_id}/").content.decode()
    assert "as a new service" in page
    assert edit(admin, draft_id, "publish").status_code == 302
    assert ServiceTemplate.objects.get(council=council, code="pothole_otherby").is_active
    assert ours.versions.count() == versions


def test_changing_a_retired_service_keeps_it_retired(council, other_council, staff_client):
    admin = staff_client("council_admin")
    ours = ServiceTemplate.objects.get(council=council, code="pothole")
    admin.post(f"/staff/services/{ours.id}/availability", {"active": "no"})
    ours.refresh_from_db()
    assert not ours.is_active
    draft_id = _draft_id(admin.post("/staff/services/new", {"start": "copy", "service": ours.id}))
    page = admin.get(f"/staff/services/drafts/{draft_id}/").content.decode()
    assert (
        "stays retired" in page
        and "Code" not in page.split("Save basics")[0].split("Basics</h2>")[1]
    )
    edit(admin, draft_id, "field_add", label="Any cones?", code="cones", datatype="string")
    assert edit(admin, draft_id, "publish").status_code == 302
    ours.refresh_from_db()
    assert ours.current_version.number == 2 and not ours.is_active

    # Another council cannot copy what this one has retired.
    theirs = staff_client("council_admin", target=other_council, email="admin@otherby.test")
    assert (
        theirs.post("/staff/services/new", {"start": "copy", "service": ours.id}).status_code == 400
    )


def test_the_preview_follows_the_question_being_typed_and_uses_the_citizen_form(
    council, staff_client
):
    admin = staff_client("council_admin")
    draft_id = _draft_id(
        admin.post(
            "/staff/services/new",
            {"start": "scratch", "name": "Thing", "code": "thing", "kind": "report"},
        )
    )
    url = f"/staff/services/drafts/{draft_id}/preview"
    half_typed = admin.post(
        url,
        {
            "op": "field_add",
            "label": "Which part is",
            "code": "",
            "datatype": "number",
            "min": "5",
            "max": "1",
        },
    )
    text = half_typed.content.decode()
    assert half_typed.status_code == 200 and "Which part is" not in text  # not whole yet
    whole = admin.post(
        url,
        {
            "op": "field_add",
            "label": "Which part is broken?",
            "code": "",
            "datatype": "singlevaluelist",
            "values": "seat | The seat\nlegs | Legs",
            "help": "Look <b>closely</b>",
        },
    ).content.decode()
    assert "Which part is broken?" in whole and "Not saved yet" in whole
    # The citizen form's own markup: radios named and identified like the real form's.
    assert 'class="govuk-radios__input" id="preview-q-question_being_written"' in whole
    assert "Look &lt;b&gt;closely&lt;/b&gt;" in whole
    assert ServiceDraft.objects.get(pk=draft_id).document["fields"] == []
    # Another council's admin cannot preview this draft.
    assert staff_client("agent", email="a@testshire.test").post(url, {}).status_code == 403


def test_every_change_the_builder_offers(council, staff_client):
    admin = staff_client("council_admin")
    draft_id = _draft_id(
        admin.post(
            "/staff/services/new",
            {"start": "scratch", "name": "Bench", "code": "bench", "kind": "report"},
        )
    )

    def doc():
        return ServiceDraft.objects.get(pk=draft_id).document

    def ok(op, **data):
        response = edit(admin, draft_id, op, **data)
        assert response.status_code == 302, (op, response.content.decode()[:3000])

    ok("field_add", label="Where exactly?", code="where", datatype="string")
    ok(
        "field_update",
        index="0",
        label="Where is it exactly?",
        code="where",
        datatype="string",
        help="A landmark helps",
        required="yes",
    )
    field = doc()["fields"][0]
    assert field["label"] == "Where is it exactly?" and field["help"] == "A landmark helps"
    assert field["required"] is True
    ok("field_remove", index="0")
    assert doc()["fields"] == []

    ok(
        "state_add",
        code="awaiting_parts",
        name="Awaiting parts",
        open311="open",
        fms="open",
        public="yes",
    )
    index = [s["code"] for s in doc()["workflow"]["states"]].index("awaiting_parts")
    ok(
        "state_update",
        index=str(index),
        name="Waiting for parts",
        open311="open",
        fms="action_scheduled",
        public="yes",
        message="We have ordered the parts.",
    )
    state = doc()["workflow"]["states"][index]
    assert state["name"] == "Waiting for parts" and state["message"] == "We have ordered the parts."
    ok(
        "transition_add",
        **{
            "from": ["submitted"],
            "to": "awaiting_parts",
            "roles": ["agent"],
            "name": "Order parts",
        },
    )
    moves = doc()["workflow"]["transitions"]
    assert any(t["to"] == "awaiting_parts" and t["name"] == "Order parts" for t in moves)
    ok("transition_remove", index=str(len(moves) - 1))
    assert len(doc()["workflow"]["transitions"]) == len(moves) - 1
    ok("initial", initial="awaiting_parts")
    assert doc()["workflow"]["initial"] == "awaiting_parts"
    refused = edit(admin, draft_id, "state_remove", index=str(index))
    assert (
        refused.status_code == 400 and "first state cannot be removed" in refused.content.decode()
    )
    ok("initial", initial="submitted")
    ok("state_remove", index=str(index))
    assert "awaiting_parts" not in [s["code"] for s in doc()["workflow"]["states"]]

    messages = {f"message_{i}": f"Message {i}" for i in range(len(doc()["workflow"]["states"]))}
    ok("messages", **messages)
    assert [s.get("message") for s in doc()["workflow"]["states"]] == list(messages.values())
    refused = edit(
        admin,
        draft_id,
        "rules",
        section="rules",
        first_response_hours="-3",
        close_hours="abc",
        calendar="lunar",
        team="nowhere",
        privacy="secret",
        retention_days="0",
    )
    assert refused.status_code == 400
    text = refused.content.decode()
    assert text.count("govuk-error-message") >= 4

    exported = admin.get(f"/staff/services/drafts/{draft_id}/export.yaml")
    document = yaml.safe_load(exported.content)
    document["name"] = "Bench (from YAML)"
    ok("yaml", yaml=yaml.safe_dump(document))
    assert doc()["name"] == "Bench (from YAML)"

    admin.post(f"/staff/services/drafts/{draft_id}/edit", {"op": "delete"})
    assert not ServiceDraft.objects.filter(pk=draft_id).exists()
    assert Event.objects.filter(kind="service.draft_deleted", stream_id=draft_id).exists()


def test_welsh_texts_are_edited_beside_the_english(council, staff_client):
    admin = staff_client("council_admin")
    draft_id = _draft_id(
        admin.post(
            "/staff/services/new",
            {"start": "scratch", "name": "Broken bench", "code": "broken_bench", "kind": "report"},
        )
    )
    edit(
        admin,
        draft_id,
        "field_add",
        label="What is broken?",
        code="part",
        datatype="singlevaluelist",
        values="seat | The seat\nlegs | The legs",
    )
    page = admin.get(f"/staff/services/drafts/{draft_id}/?section=welsh").content.decode()
    assert "0 of" in page and 'name="t.fields.part.values.legs"' in page
    assert 'English: <span lang="en">The legs</span>' in page
    assert "Answer “The legs” to “What is broken?”" in page

    too_long = edit(
        admin,
        draft_id,
        "translation",
        section="welsh",
        **{"t.name": "M" * 201, "t.fields.part.label": "Beth sydd wedi torri?"},
    )
    assert (
        too_long.status_code == 400 and "Use 200 characters or fewer" in too_long.content.decode()
    )
    assert "Beth sydd wedi torri?" in too_long.content.decode()  # what was typed is kept

    assert (
        edit(
            admin,
            draft_id,
            "translation",
            section="welsh",
            **{
                "t.name": "Mainc wedi torri",
                "t.fields.part.label": "Beth sydd wedi torri?",
                "t.fields.part.values.legs": "Y coesau",
            },
        ).status_code
        == 302
    )
    welsh = ServiceDraft.objects.get(pk=draft_id).document["translations"]["cy"]
    assert welsh == {
        "name": "Mainc wedi torri",
        "fields": {"part": {"label": "Beth sydd wedi torri?", "values": {"legs": "Y coesau"}}},
    }
    assert "3 of" in admin.get(f"/staff/services/drafts/{draft_id}/?section=welsh").content.decode()
    assert edit(admin, draft_id, "publish").status_code == 302
    resident = admin.__class__()
    resident.cookies["django_language"] = "cy"
    form = resident.get("/report/testshire/broken_bench/", HTTP_ACCEPT_LANGUAGE="cy")
    text = form.content.decode()
    assert "Mainc wedi torri" in text and "Y coesau" in text and "The seat" in text


def test_an_imported_template_changes_the_service_of_its_code_and_says_so(council, staff_client):
    admin = staff_client("council_admin")
    service = ServiceTemplate.objects.get(council=council, code="pothole")
    document = yaml.safe_load(admin.get(f"/staff/services/{service.id}/export.yaml").content)
    same = _draft_id(admin.post("/staff/services/import", {"yaml": yaml.safe_dump(document)}))
    page = admin.get(f"/staff/services/drafts/{same}/").content.decode()
    assert "version 2 of Pothole" in page and 'id="basics_code"' not in page
    document["code"] = "pothole_two"
    new = _draft_id(admin.post("/staff/services/import", {"yaml": yaml.safe_dump(document)}))
    page = admin.get(f"/staff/services/drafts/{new}/").content.decode()
    assert "as a new service" in page and 'id="basics_code"' in page


def test_welsh_whose_english_changed_is_flagged(council, staff_client):
    admin = staff_client("council_admin")
    service = ServiceTemplate.objects.get(council=council, code="pothole")

    def change_draft():
        return _draft_id(admin.post(f"/staff/services/{service.id}/edit"))

    first = change_draft()
    edit(admin, first, "translation", section="welsh", **{"t.name": "Twll yn y ffordd"})
    assert edit(admin, first, "publish").status_code == 302
    second = change_draft()
    page = admin.get(f"/staff/services/drafts/{second}/?section=welsh").content.decode()
    assert "English changed" not in page
    document = ServiceDraft.objects.get(pk=second).document
    edit(
        admin,
        second,
        "basics",
        section="basics",
        name="Pothole or sunken road",
        group=document["group"],
        description=document["description"],
        kind="report",
        open311_type="realtime",
    )
    page = admin.get(f"/staff/services/drafts/{second}/?section=welsh").content.decode()
    assert 'id="welsh-to-check"' in page and "1 text changed in English" in page
    assert page.count("English changed: check the Welsh") == 1


def test_a_date_question_with_an_age_range_and_autofill(council, staff_client):
    admin = staff_client("council_admin")
    draft_id = _draft_id(
        admin.post(
            "/staff/services/new",
            {"start": "scratch", "name": "Swim pass", "code": "swim_pass", "kind": "application"},
        )
    )
    page = admin.get(f"/staff/services/drafts/{draft_id}/?section=fields").content.decode()
    assert '<option value="date">Date (day, month, year)</option>' in page
    assert '<option value="postcode">UK postcode</option>' in page

    bad = edit(
        admin,
        draft_id,
        "field_add",
        label="Date of birth",
        code="dob",
        datatype="date",
        earliest="sixteen years ago",
        autocomplete="birthday",
    )
    assert bad.status_code == 400
    text = bad.content.decode()
    assert "Enter the earliest date as 2015-09-01, today, 4 years ago or in 2 weeks" in text
    assert "&#x27;birthday&#x27; is not an HTML autocomplete token" in text

    saved = edit(
        admin,
        draft_id,
        "field_add",
        label="Date of birth",
        code="dob",
        datatype="date",
        required="yes",
        earliest="16 years ago",
        latest="4 years ago",
        autocomplete="bday",
    )
    assert saved.status_code == 302, saved.content.decode()[:2000]
    field = ServiceDraft.objects.get(pk=draft_id).document["fields"][-1]
    assert field == {
        "code": "dob",
        "label": "Date of birth",
        "datatype": "date",
        "required": True,
        "order": field["order"],
        "earliest": "16 years ago",
        "latest": "4 years ago",
        "autocomplete": "bday",
    }
    # The live preview draws the citizen form's date input, with the birthday tokens.
    preview = admin.post(
        f"/staff/services/drafts/{draft_id}/preview",
        {"op": "field_add", "label": "Start date", "code": "", "datatype": "date"},
    ).content.decode()
    assert 'class="govuk-date-input"' in preview and "Start date" in preview
    assert 'autocomplete="bday-day"' in preview
    # YAML export keeps the rules; an unquoted fixed date imports as the same text.
    exported = b"".join(admin.get(f"/staff/services/drafts/{draft_id}/export.yaml")).decode()
    assert "earliest: 16 years ago" in exported and "autocomplete: bday" in exported
