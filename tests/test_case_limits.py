"""The interfaces read how much a case may carry from the domain (cases.limits)."""

from __future__ import annotations

from townsquare.cases import limits


def test_the_interfaces_read_the_domain_s_limits(settings):
    from townsquare.open311 import views as open311
    from townsquare.portal import photos, report

    assert open311.MAX_PHOTOS is limits.MAX_PHOTOS
    assert open311.MAX_DESCRIPTION is limits.MAX_DESCRIPTION
    assert report.MAX_DESCRIPTION is limits.MAX_DESCRIPTION
    # The report form offers as many photos as fit in one form post, within the domain's limit.
    assert photos.photos_per_form() == 3  # 64 MB // 20 MB
    settings.REPORT_MAX_UPLOAD_BYTES = 1024 * 1024 * 1024
    assert photos.photos_per_form() == limits.MAX_PHOTOS
    settings.REPORT_MAX_UPLOAD_BYTES = 1024 * 1024
    assert photos.photos_per_form() == 1
