"""The `townsquare` commands, called as a person would."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from townsquare.cases.models import Case
from townsquare.catalogue.models import ServiceTemplate, ServiceTemplateVersion
from townsquare.core.models import Event
from townsquare.councils.models import Council

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=out)
    return out.getvalue()


def test_the_shipped_library_is_valid_and_complete():
    out = run("templates", "validate")
    files = sorted(Path(settings.SERVICE_TEMPLATE_LIBRARY).glob("*.yaml"))
    assert f"{len(files)} template(s) valid" in out
    docs = [yaml.safe_load(p.read_text()) for p in files]
    assert sum(d["kind"] == "report" for d in docs) >= 12
    assert {d["code"] for d in docs if d["kind"] == "application"} >= {
        "school_transport",
        "garden_waste",
        "blue_badge",
    }


def test_a_bad_template_is_refused_with_file_path_and_reason(tmp_path, council):
    bad = tmp_path / "bad.yaml"
    document = yaml.safe_load(
        (Path(settings.SERVICE_TEMPLATE_LIBRARY) / "pothole.yaml").read_text()
    )
    document["workflow"]["transitions"][0]["to"] = "nowhere"
    bad.write_text(yaml.safe_dump(document))
    before = ServiceTemplateVersion.objects.count()
    err = io.StringIO()
    with pytest.raises(CommandError, match="refused; nothing was changed"):
        call_command("templates", "import", str(bad), "--council", council.slug, stderr=err)
    assert f"{bad}: workflow.transitions[0].to: no state is called 'nowhere'" in err.getvalue()
    assert ServiceTemplateVersion.objects.count() == before


def test_import_then_export_round_trips(tmp_path, council):
    out = run("templates", "import", "--council", council.slug)
    assert f"{council.slug}: pothole v" in out
    assert "street_light v1" in out
    run("templates", "import", "--council", council.slug)  # unchanged: no new versions
    assert (
        ServiceTemplate.objects.get(council=council, code="street_light").current_version.number
        == 1
    )
    run("templates", "export", "--council", council.slug, "--out", str(tmp_path), "graffiti")
    exported = yaml.safe_load((tmp_path / "graffiti.yaml").read_text())
    shipped = yaml.safe_load(
        (Path(settings.SERVICE_TEMPLATE_LIBRARY) / "graffiti.yaml").read_text()
    )
    assert exported == shipped


def test_export_for_an_unknown_council_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="No council called 'atlantis'"):
        run("templates", "export", "--council", "atlantis", "--out", str(tmp_path))


@pytest.mark.slow
def test_demo_loads_real_councils_and_is_idempotent(settings, tmp_path):
    settings.SHARED_DATA_DIR = tmp_path  # no shared data: Boston's year from the shipped extract
    run("demo", "--cases-per-council", "50")
    snapshot = (
        Council.objects.count(),
        ServiceTemplateVersion.objects.count(),
        Case.objects.count(),
        Event.objects.count(),
    )
    # 50 generated per council, two triage showcase reports in each (townsquare.triage.demo).
    assert snapshot[0] == 4 and snapshot[2] == 150 + 3 * 2 + 42_990
    assert Case.objects.filter(council__slug="boston").count() == 42_990
    bristol = Council.objects.get(slug="bristol")
    assert bristol.areas.count() > 30
    from townsquare.councils.selectors import council_for_point

    assert council_for_point(lat=51.4545, lng=-2.5879) == bristol
    assert council_for_point(lat=53.8008, lng=-1.5491).slug == "leeds"
    run("demo", "--cases-per-council", "50")
    assert snapshot == (
        Council.objects.count(),
        ServiceTemplateVersion.objects.count(),
        Case.objects.count(),
        Event.objects.count(),
    )
    case = Case.objects.filter(council=bristol).first()
    assert case.reference.startswith("BRS-") and case.area_id is not None
    # Real streets and postcodes from the gazetteer shipped with the demo, with their notice.
    from townsquare.councils.selectors import gazetteer_about, places_matching

    leeds = Council.objects.get(slug="leeds")
    assert places_matching(query="mill lane otley", council_id=leeds.id)[0].label == (
        "Mill Lane, Otley LS21"
    )
    assert places_matching(query="BS1 5TR")[0].council_slug == "bristol"
    about = gazetteer_about(council_id=leeds.id)
    assert (about.streets, about.postcodes) == (12_452, 30_965)
    assert "Contains OS data © Crown copyright" in about.attribution
    assert gazetteer_about(council_id=bristol.id).streets == 0


@pytest.mark.slow
def test_generate_builds_cases_with_events(council):
    run("templates", "import", "--council", council.slug)
    out = run("generate", "--cases", "500", "--council", council.slug)
    assert "Generated 500 cases" in out
    assert Case.objects.count() == 500
    assert Event.objects.filter(kind="case.created").count() == 500
    assert len(set(Case.objects.values_list("reference", flat=True))) == 500
    with pytest.raises(CommandError):
        run("generate", "--cases", "0")
