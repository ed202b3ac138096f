import pytest

from townsquare.geo.osgrid import grid_to_osgb36, grid_to_wgs84, osgb36_to_grid, wgs84_to_grid


def dms(degrees: int, minutes: int, seconds: float) -> float:
    return degrees + minutes / 60 + seconds / 3600


def test_the_ordnance_survey_worked_example_both_ways():
    # OS "A guide to coordinate systems in Great Britain", Annex C (Caister water tower).
    lat, lng = grid_to_osgb36(651409.903, 313177.270)
    assert lat == pytest.approx(dms(52, 39, 27.2531), abs=1e-8)
    assert lng == pytest.approx(dms(1, 43, 4.5177), abs=1e-8)
    easting, northing = osgb36_to_grid(dms(52, 39, 27.2531), dms(1, 43, 4.5177))
    assert easting == pytest.approx(651409.903, abs=0.001)
    assert northing == pytest.approx(313177.270, abs=0.001)


def test_grid_to_wgs84_applies_the_helmert_transformation():
    # The same point in WGS84 (ETRS89) through the OS 7-parameter Helmert: 52 deg 39 min
    # 28.723 s N, 1 deg 42 min 57.787 s E, as published with the guide's parameters.
    lat, lng = grid_to_wgs84(651409.903, 313177.270)
    assert lat == pytest.approx(dms(52, 39, 28.723), abs=1e-6)
    assert lng == pytest.approx(dms(1, 42, 57.787), abs=1e-6)


@pytest.mark.parametrize("lat,lng", [(53.8055, -1.5796), (51.4526, -2.6021), (57.1, -4.2)])
def test_round_trip_is_within_a_centimetre(lat, lng):
    back = grid_to_wgs84(*wgs84_to_grid(lat, lng))
    assert back == pytest.approx((lat, lng), abs=1e-7)
