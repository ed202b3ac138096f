import io
import zipfile

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.factories import make_council
from townsquare.core.errors import InvalidInput
from townsquare.core.models import Event
from townsquare.councils.gazetteer import normalise
from townsquare.councils.gazetteer_sources import OS_OPEN_NAMES_COLUMNS
from townsquare.councils.selectors import gazetteer_about, place_in_words, places_matching
from townsquare.councils.services import places_import_csv, places_import_files
from townsquare.geo.osgrid import wgs84_to_grid

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


def test_councils_and_wards_are_found_from_the_boundary_data():
    make_council("testshire")
    council, *_ = places_matching(query="testshire")
    assert (council.kind, council.name, council.council_slug) == (
        "council",
        "Testshire Council",
        "testshire",
    )
    assert council.bounds == (51.0, -2.0, 52.0, -1.0)
    (ward,) = places_matching(query="west ward")
    assert ward.kind == "ward" and ward.area_id and -2.0 <= ward.lng <= -1.5
    assert places_matching(query="") == [] and places_matching(query="zzz") == []
    # A council or ward only for every word typed: "Testshire Road" is no council.
    assert places_matching(query="testshire road") == []
    assert places_matching(query="testshir")[0].kind == "council"
    assert places_matching(query="wset ward")[0].name == "West ward"  # a slip


def test_imported_streets_places_and_postcodes_are_found_best_first():
    council = make_council("testshire")
    assert places_import_csv(council=council, text=CSV, source="streets.csv") == 4
    names = [m.name for m in places_matching(query="mill")]
    assert names[:2] == ["Mill Lane", "Millbrook Road"]
    assert places_matching(query="eglise")[0].name == "Église Square"
    (postcode,) = places_matching(query="ab1 2cd")
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
    bad = (
        "name,lat,lng,kind\nGood Road,51.5,-1.5,street\n,51.5,-1.5,street\n"
        "Far Away,55.0,-1.5,street\nOdd,51.5,-1.5,castle\nNan,abc,-1.5,street\n"
    )
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


# Postcodes, areas and the licence notice.


def test_postcode_rows_are_units_sectors_or_districts_and_areas_tell_streets_apart():
    council = make_council("testshire")
    places_import_csv(
        council=council,
        attribution="Contains test data",
        text=(
            "name,lat,lng,kind,area\n"
            "Mill Lane,51.5,-1.75,street,Westbury AB1\nMill Lane,51.5,-1.25,street,Eastham AB2\n"
            "ab1 2cd,51.4,-1.4,postcode,East\nAB1 2,51.41,-1.41,postcode,postcode sector\n"
            "AB1,51.42,-1.42,postcode,postcode district\n"
        ),
    )
    assert [m.label for m in places_matching(query="mill lane")] == [
        "Mill Lane, Eastham AB2",
        "Mill Lane, Westbury AB1",
    ]
    assert places_matching(query="mill lane westbury")[0].label == "Mill Lane, Westbury AB1"
    (unit,) = places_matching(query="AB12CD")
    assert (unit.kind, unit.name, unit.qualifier) == ("postcode", "AB1 2CD", "East")
    assert places_matching(query="ab1 2")[0].kind == "postcode_sector"
    assert places_matching(query="AB1")[0].kind == "postcode_district"
    assert places_matching(query="mill")[0].attribution == "Contains test data"
    about = gazetteer_about(council_id=council.id)
    assert (about.streets, about.places, about.postcodes) == (2, 0, 3)
    assert (about.example_street, about.example_postcode) == ("Mill Lane", "AB1 2CD")
    with pytest.raises(InvalidInput, match="not a postcode"):
        places_import_csv(council=council, text="name,lat,lng,kind\nMill Lane,51.5,-1.5,postcode\n")


def test_a_place_with_a_wards_name_is_listed_once_as_the_ward():
    council = make_council("testshire")
    places_import_csv(council=council, text="name,lat,lng,kind\nWest ward,51.5,-1.9,place\n")
    assert [(m.kind, m.name) for m in places_matching(query="west ward")] == [("ward", "West ward")]


# Where, in words.


def test_a_point_in_words_is_its_nearest_street_else_postcode_and_ward():
    council = make_council("testshire")
    # No gazetteer: nothing to say.
    assert place_in_words(council_id=council.id, lat=51.5, lng=-1.75) == ""
    places_import_csv(
        council=council,
        text=(
            "name,lat,lng,kind,area\nAB1 2CD,51.5,-1.7501,postcode,West ward\n"
            "AB1 2CE,51.5,-1.2501,postcode,East ward\n"
        ),
    )
    assert place_in_words(council_id=council.id, lat=51.5, lng=-1.75) == "near AB1 2CD, West ward"
    assert place_in_words(council_id=council.id, lat=51.5, lng=-1.25) == "near AB1 2CE, East ward"
    assert place_in_words(council_id=council.id, lat=51.9, lng=-1.9) == ""  # none near
    places_import_csv(
        council=council,
        text=(
            "name,lat,lng,kind,area\nMill Lane,51.5005,-1.7502,street,Westbury AB1\n"
            "Mill Road,51.503,-1.7502,street,Westbury AB1\nAB1 2CD,51.5,-1.7501,postcode,West\n"
        ),
    )
    assert place_in_words(council_id=council.id, lat=51.5, lng=-1.75) == "Mill Lane, Westbury AB1"
    # Streets are loaded but none is near: the postcode and ward again.
    places_import_csv(
        council=council,
        text=("name,lat,lng,kind\nMill Lane,51.9,-1.9,street\nAB1 2CD,51.5,-1.7501,postcode\n"),
    )
    assert place_in_words(council_id=council.id, lat=51.5, lng=-1.75) == "near AB1 2CD, West ward"


# OS Open Names, as Ordnance Survey publishes it.


def os_row(
    number: int,
    name: str,
    kind: str,
    local_type: str,
    lat: float,
    lng: float,
    *,
    district: str = "",
    settlement: str = "",
    name2: str = "",
) -> str:
    easting, northing = wgs84_to_grid(lat, lng)
    cells = [""] * len(OS_OPEN_NAMES_COLUMNS)
    cells[0:10] = [
        f"osgb{number}",
        f"http://data.ordnancesurvey.co.uk/id/{number}",
        name,
        "eng",
        name2,
        "cym" if name2 else "",
        kind,
        local_type,
        f"{easting:.0f}",
        f"{northing:.0f}",
    ]
    cells[16], cells[18], cells[21] = district, settlement, "Testshire"
    cells[29] = "England"
    return ",".join(f'"{cell}"' if "," in cell else cell for cell in cells) + "\n"


OS_FILE = "".join(
    [
        # Two sections of one road 400 m apart, and a road of that name in another village.
        os_row(
            1,
            "High Street",
            "transportNetwork",
            "Section Of Named Road",
            51.500,
            -1.750,
            district="AB1",
            settlement="Westbury",
        ),
        os_row(
            2,
            "High Street",
            "transportNetwork",
            "Section Of Named Road",
            51.5036,
            -1.750,
            district="AB2",
            settlement="Westbury",
        ),
        os_row(
            3,
            "High Street",
            "transportNetwork",
            "Named Road",
            51.700,
            -1.300,
            district="AB9",
            settlement="Eastham",
        ),
        os_row(
            4,
            "Heol Fawr",
            "transportNetwork",
            "Named Road",
            51.600,
            -1.600,
            district="AB3",
            settlement="Westbury",
            name2="Great Road",
        ),
        os_row(5, "Westbury", "populatedPlace", "Town", 51.510, -1.740, district="AB1"),
        os_row(6, "AB1 2CD", "other", "Postcode", 51.501, -1.751),
        os_row(7, "River Test", "hydrography", "River", 51.55, -1.55),
        # Outside the council: far away, and just over its edge.
        os_row(8, "Far Road", "transportNetwork", "Named Road", 53.8, -1.5, settlement="Leeds"),
        os_row(9, "Edge Road", "transportNetwork", "Named Road", 52.005, -1.5, settlement="Edge"),
    ]
)


def test_os_open_names_files_as_published_are_read_converted_and_merged():
    council = make_council("testshire")
    count, left_out = places_import_files(
        council=council, files=[("SU00.csv", lambda: io.StringIO(OS_FILE))]
    )
    assert (count, left_out) == (6, 2)
    streets = {
        (m.label, round(m.lat, 4), round(m.lng, 4))
        for m in places_matching(query="high street", limit=5)
    }
    assert streets == {
        ("High Street, Westbury AB1 AB2", 51.5018, -1.75),
        ("High Street, Eastham AB9", 51.7, -1.3),
    }
    assert places_matching(query="great road")[0].label == "Great Road, Westbury AB3"
    assert places_matching(query="heol fawr")[0].label == "Heol Fawr, Westbury AB3"
    place = places_matching(query="westbury")[0]
    assert (place.kind, place.label) == ("place", "Westbury, AB1")
    postcode = places_matching(query="AB1 2CD")[0]
    assert (postcode.kind, round(postcode.lat, 4), round(postcode.lng, 4)) == (
        "postcode",
        51.501,
        -1.751,
    )
    assert places_matching(query="river") == places_matching(query="far road") == []
    assert gazetteer_about(council_id=council.id).attribution.startswith(
        "Contains OS data © Crown copyright and database right"
    )


def test_cli_imports_os_open_names_from_the_published_zip(tmp_path, capsys):
    make_council("testshire")
    archive = tmp_path / "opname_csv_gb_2025_04.zip"
    header = ",".join(OS_OPEN_NAMES_COLUMNS) + "\n"
    with zipfile.ZipFile(archive, "w") as packed:
        packed.writestr("Doc/OS_Open_Names_Header.csv", header)
        packed.writestr("Data/SU00.csv", OS_FILE[: OS_FILE.index("osgb5")])
        packed.writestr("Data/SU01.csv", OS_FILE[OS_FILE.index("osgb5") :])
    call_command("gazetteer", "import", "--council", "testshire", str(archive))
    out = capsys.readouterr().out
    assert "6 places imported from opname_csv_gb_2025_04.zip:Data/SU00.csv" in out
    assert "2 rows outside Testshire Council left out" in out
    assert gazetteer_about(council_id=make_council("testshire").id).attribution.startswith(
        "Contains OS data © Crown copyright and database right 2025"
    )
    call_command("gazetteer", "search", "high st westbury", "--council", "testshire")
    assert "street    High Street, Westbury AB1 AB2 (Testshire Council)" in (
        capsys.readouterr().out
    )
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    (mixed / "SU00.csv").write_text(OS_FILE, encoding="utf-8")
    (mixed / "streets.csv").write_text(CSV, encoding="utf-8")
    with pytest.raises(CommandError, match="separately"):
        call_command("gazetteer", "import", "--council", "testshire", str(mixed))
