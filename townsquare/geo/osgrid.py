"""British National Grid (OSGB36 eastings and northings, EPSG:27700) to and from WGS84 degrees.

Ordnance Survey publishes its open data (OS Open Names, Code-Point Open) in grid metres.
The conversion follows OS "A guide to coordinate systems in Great Britain": the Transverse
Mercator projection on the Airy 1830 ellipsoid (Annex C), then the 7-parameter Helmert
transformation between OSGB36 and WGS84 (section 6.6). The Helmert step is good to about 5 m,
which is finer than a street's position in a gazetteer; OSTN15 (to a few centimetres) would
need its 15 MB grid file and gains nothing here.
"""

from __future__ import annotations

import math

# Airy 1830 (OSGB36) and WGS84 ellipsoids: semi-major and semi-minor axes in metres.
_AIRY = (6_377_563.396, 6_356_256.909)
_WGS84 = (6_378_137.0, 6_356_752.314245)
# The National Grid's true origin and its false origin.
_F0 = 0.9996012717
_LAT0 = math.radians(49.0)
_LNG0 = math.radians(-2.0)
_E0 = 400_000.0
_N0 = -100_000.0
# OSGB36 to WGS84: translations (m), scale (ppm), rotations (arc seconds).
_TO_WGS84 = (446.448, -125.157, 542.060, -20.4894, 0.1502, 0.2470, 0.8421)
_ARC_SECOND = math.pi / (180 * 3600)


def _meridional_arc(lat: float) -> float:
    a, b = _AIRY
    n = (a - b) / (a + b)
    d, s = lat - _LAT0, lat + _LAT0
    return (
        b
        * _F0
        * (
            (1 + n + 5 / 4 * n**2 + 5 / 4 * n**3) * d
            - (3 * n + 3 * n**2 + 21 / 8 * n**3) * math.sin(d) * math.cos(s)
            + (15 / 8 * n**2 + 15 / 8 * n**3) * math.sin(2 * d) * math.cos(2 * s)
            - 35 / 24 * n**3 * math.sin(3 * d) * math.cos(3 * s)
        )
    )


def grid_to_osgb36(easting: float, northing: float) -> tuple[float, float]:
    """Latitude and longitude in degrees on the OSGB36 datum (Annex C, C.2)."""
    a, b = _AIRY
    e2 = 1 - (b * b) / (a * a)
    lat, arc = _LAT0, 0.0
    while True:
        lat += (northing - _N0 - arc) / (a * _F0)
        arc = _meridional_arc(lat)
        if abs(northing - _N0 - arc) < 0.00001:
            break
    sin_lat, cos_lat, tan_lat = math.sin(lat), math.cos(lat), math.tan(lat)
    nu = a * _F0 / math.sqrt(1 - e2 * sin_lat**2)
    rho = a * _F0 * (1 - e2) / (1 - e2 * sin_lat**2) ** 1.5
    eta2 = nu / rho - 1
    sec_lat = 1 / cos_lat
    vii = tan_lat / (2 * rho * nu)
    viii = tan_lat / (24 * rho * nu**3) * (5 + 3 * tan_lat**2 + eta2 - 9 * tan_lat**2 * eta2)
    ix = tan_lat / (720 * rho * nu**5) * (61 + 90 * tan_lat**2 + 45 * tan_lat**4)
    x = sec_lat / nu
    xi = sec_lat / (6 * nu**3) * (nu / rho + 2 * tan_lat**2)
    xii = sec_lat / (120 * nu**5) * (5 + 28 * tan_lat**2 + 24 * tan_lat**4)
    xiia = sec_lat / (5040 * nu**7) * (61 + 662 * tan_lat**2 + 1320 * tan_lat**4 + 720 * tan_lat**6)
    de = easting - _E0
    lat_out = lat - vii * de**2 + viii * de**4 - ix * de**6
    lng_out = _LNG0 + x * de - xi * de**3 + xii * de**5 - xiia * de**7
    return math.degrees(lat_out), math.degrees(lng_out)


def osgb36_to_grid(lat: float, lng: float) -> tuple[float, float]:
    """Eastings and northings from OSGB36 degrees (Annex C, C.1)."""
    a, b = _AIRY
    e2 = 1 - (b * b) / (a * a)
    phi, lam = math.radians(lat), math.radians(lng)
    sin_phi, cos_phi, tan_phi = math.sin(phi), math.cos(phi), math.tan(phi)
    nu = a * _F0 / math.sqrt(1 - e2 * sin_phi**2)
    rho = a * _F0 * (1 - e2) / (1 - e2 * sin_phi**2) ** 1.5
    eta2 = nu / rho - 1
    arc = _meridional_arc(phi)
    i = arc + _N0
    ii = nu / 2 * sin_phi * cos_phi
    iii = nu / 24 * sin_phi * cos_phi**3 * (5 - tan_phi**2 + 9 * eta2)
    iiia = nu / 720 * sin_phi * cos_phi**5 * (61 - 58 * tan_phi**2 + tan_phi**4)
    iv = nu * cos_phi
    v = nu / 6 * cos_phi**3 * (nu / rho - tan_phi**2)
    vi = (
        nu
        / 120
        * cos_phi**5
        * (5 - 18 * tan_phi**2 + tan_phi**4 + 14 * eta2 - 58 * tan_phi**2 * eta2)
    )
    dl = lam - _LNG0
    northing = i + ii * dl**2 + iii * dl**4 + iiia * dl**6
    easting = _E0 + iv * dl + v * dl**3 + vi * dl**5
    return easting, northing


def _to_cartesian(
    lat: float, lng: float, ellipsoid: tuple[float, float]
) -> tuple[float, float, float]:
    a, b = ellipsoid
    e2 = 1 - (b * b) / (a * a)
    phi, lam = math.radians(lat), math.radians(lng)
    nu = a / math.sqrt(1 - e2 * math.sin(phi) ** 2)
    return (
        nu * math.cos(phi) * math.cos(lam),
        nu * math.cos(phi) * math.sin(lam),
        (1 - e2) * nu * math.sin(phi),
    )


def _from_cartesian(
    x: float, y: float, z: float, ellipsoid: tuple[float, float]
) -> tuple[float, float]:
    a, b = ellipsoid
    e2 = 1 - (b * b) / (a * a)
    p = math.hypot(x, y)
    phi = math.atan2(z, p * (1 - e2))
    for _ in range(10):
        nu = a / math.sqrt(1 - e2 * math.sin(phi) ** 2)
        previous, phi = phi, math.atan2(z + e2 * nu * math.sin(phi), p)
        if abs(phi - previous) < 1e-12:
            break
    return math.degrees(phi), math.degrees(math.atan2(y, x))


def _helmert(point: tuple[float, float, float], sign: int) -> tuple[float, float, float]:
    tx, ty, tz, s, rx, ry, rz = (sign * value for value in _TO_WGS84)
    scale = 1 + s * 1e-6
    rx, ry, rz = rx * _ARC_SECOND, ry * _ARC_SECOND, rz * _ARC_SECOND
    x, y, z = point
    return (
        tx + scale * x - rz * y + ry * z,
        ty + rz * x + scale * y - rx * z,
        tz - ry * x + rx * y + scale * z,
    )


def grid_to_wgs84(easting: float, northing: float) -> tuple[float, float]:
    """(latitude, longitude) in WGS84 degrees of a British National Grid point in metres."""
    lat, lng = grid_to_osgb36(easting, northing)
    return _from_cartesian(*_helmert(_to_cartesian(lat, lng, _AIRY), 1), _WGS84)


def wgs84_to_grid(lat: float, lng: float) -> tuple[float, float]:
    """(easting, northing) in metres of a WGS84 point."""
    lat36, lng36 = _from_cartesian(*_helmert(_to_cartesian(lat, lng, _WGS84), -1), _AIRY)
    return osgb36_to_grid(lat36, lng36)
