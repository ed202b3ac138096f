import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.factories import make_council
from townsquare.core.errors import InvalidInput
from townsquare.core.models import Event
from townsquare.councils.gazetteer import match_rank, normalise
from townsquare.councils.selectors import places_matching
from townsquare.councils.services import places_import_csv

pytestmark = pytest.mark.django_db

CSV = """Name,Latitude,Longitude,Kind
Mill Lane,51.5,-1.75,street
Église Square,51.6,-1.25,place
AB1 2CD,51.4,-1.4,postcode
Millbrook Road,51.45,-1.6,
"""


def test_normalise_folds_case_accents_punctuation_and_postcode_spaces():
    assert normalise("  Église   Square! ") == "eglise square"
    assert normalise("ab1 2cd") == normalise("AB12CD") == "ab12cd"
    assert match_rank("mill lane", "mill lane") == 0
    assert match_rank("mill lane", "mil") == 1
    assert match_rank("old mill lane", "mill") == 2
    assert match_rank("windmill lane", "mill") == 3
    assert match_rank("mill lane", "road") is None


def test_councils_and_wards_are_found_from_the_boundary_data():
    make_council("testshire")
    council, *_ = places_matching(query="testshire")
    assert (council.kind, council.name, council.council_slug) == (
        "council", "Testshire Council", "testshire")
    assert council.bounds == (51.0, -2.0, 52.0, -1.0)
    ward, = places_matching(query="west ward")
    assert ward.kind == "ward" and ward.area_id and -2.0 <= ward.lng <= -1.5
    assert places_matching(query="") == [] and places_matching(query="zzz") == []


def test_imported_streets_places_and_postcodes_are_found_best_first():
    council = make_council("testshire")
    assert places_import_csv(council=council, text=CSV, source="streets.csv") == 4
    names = [m.name for m in places_matching(query="mill")]
    assert names[:2] == ["Mill Lane", "Millbrook Road"]
    assert places_matching(query="eglise")[0].name == "Église Square"
    postcode, = places_matching(query="ab1 2cd")
    assert (postcode.kind, postcode.lat, postcode.lng) == ("postcode", 51.4, -1.4)
    street = places_matching(query="Mill Lane")[0]
    assert street.area_id is not None and street.council_id == council.id
    assert Event.objects.filter(kind="gazetteer.imported", council_id=council.id).count() == 1
    # A new file replaces the old one.
    places_import_csv(council=council, text="name,lat,lng\nHigh Street,51.5,-1.5\n")
    assert places_matching(query="mill lane") == []
    assert places_matching(query="high")[0].name == "High Street"


def test_bad_files_change_nothing_and_say_which_lines_are_wrong():
    council = make_council("testshire")
    places_import_csv(council=council, text=CSV)
    bad = ("name,lat,lng,kind\nGood Road,51.5,-1.5,street\n,51.5,-1.5,street\n"
           "Far Away,55.0,-1.5,street\nOdd,51.5,-1.5,castle\nNan,abc,-1.5,street\n")
    with pytest.raises(InvalidInput) as caught:
        places_import_csv(council=council, text=bad)
    problems = caught.value.errors["csv"]
    assert problems[0].startswith("line 3: the name")
    assert "line 4: Far Away (55.0, -1.5) is outside Testshire Council" in problems
    assert any(p.startswith("line 5: kind must be") for p in problems)
    assert any(p.startswith("line 6: lat must be a number") for p in problems)
    assert places_matching(query="mill lane")[0].name == "Mill Lane"
    with pytest.raises(InvalidInput):
        places_import_csv(council=council, text="street,x,y\nA,1,2\n")


def test_cli_imports_and_searches(tmp_path, capsys):
    make_council("testshire")
    path = tmp_path / "streets.csv"
    path.write_text(CSV, encoding="utf-8")
    call_command("gazetteer", "import", "--council", "testshire", str(path))
    call_command("gazetteer", "search", "mill")
    out = capsys.readouterr().out
    assert "4 places imported" in out and "street    Mill Lane (Testshire Council)" in out
    with pytest.raises(CommandError, match="No council"):
        call_command("gazetteer", "import", "--council", "nowhere", str(path))
    path.write_text("name,lat,lng\nX,99,1\n", encoding="utf-8")
    with pytest.raises(CommandError, match="line 2: lat must be between"):
        call_command("gazetteer", "import", "--council", "testshire", str(path))
