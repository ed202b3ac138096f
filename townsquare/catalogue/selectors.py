from __future__ import annotations

from collections import defaultdict

from django.db.models import Count, Max, Q

from townsquare.catalogue.models import ServiceDraft, ServiceTemplate, ServiceTemplateVersion
from townsquare.catalogue.translations import language_code, localised
from townsquare.catalogue.workflow import Workflow
from townsquare.core.caching import MemoCache, StampedCache
from townsquare.core.errors import NotFound
from townsquare.councils.models import Council


def services_for_council(
    *, council: Council, kind: str | None = None, include_private: bool = True
) -> list[ServiceTemplate]:
    # The current version comes along: its translations name the service in Welsh.
    qs = ServiceTemplate.objects.select_related("current_version").filter(
        council=council, is_active=True, current_version__isnull=False
    )
    if kind:
        qs = qs.filter(kind=kind)
    if not include_private:
        qs = qs.filter(privacy="public")
    return list(qs.order_by("group", "name"))


def services_by_group(*, councils: list[Council]) -> dict[int, dict[str, list[ServiceTemplate]]]:
    """council id -> group -> services, for listing many councils in one query."""
    grouped: dict[int, dict[str, list[ServiceTemplate]]] = defaultdict(lambda: defaultdict(list))
    for service in (
        ServiceTemplate.objects.select_related("current_version")
        .filter(council__in=councils, is_active=True, current_version__isnull=False)
        .order_by("group", "name")
    ):
        grouped[service.council_id][service.group].append(service)
    return {cid: dict(groups) for cid, groups in grouped.items()}


def _published_stamp() -> object:
    return ServiceTemplate.objects.aggregate(
        n=Count("id"), v=Max("current_version_id"), active=Count("id", filter=Q(is_active=True))
    )


def _published_build() -> dict[tuple[int, str], ServiceTemplate]:
    return {
        (s.council_id, s.code): s
        for s in ServiceTemplate.objects.select_related("current_version").filter(
            is_active=True, current_version__isnull=False
        )
    }


# Every case created looks up its service and template; they change a few times a year.
_published = StampedCache(build=_published_build, stamp=_published_stamp)


# Versions never change once written, so they can be kept for the life of the process.
_versions: MemoCache[ServiceTemplateVersion] = MemoCache(
    load=lambda ids: ServiceTemplateVersion.objects.in_bulk(ids)
)
_services_by_id = StampedCache(
    build=lambda: ServiceTemplate.objects.select_related("current_version").in_bulk(),
    stamp=lambda: _published_stamp(),
)


def versions_by_id(*, ids: set[int]) -> dict[int, ServiceTemplateVersion]:
    return _versions.get_many(ids)


def services_by_id(*, ids: set[int]) -> dict[int, ServiceTemplate]:
    """Services by id, active or not (cases keep pointing at retired services)."""
    cached = _services_by_id.get()
    found = {i: cached[i] for i in ids if i in cached}
    if len(found) < len(ids):
        found.update(
            ServiceTemplate.objects.select_related("current_version").in_bulk(set(ids) - set(found))
        )
    return found


def catalogue_version() -> int:
    """A number that changes whenever the published catalogue (active services and their
    current versions) may have changed: for documents prepared from it, such as Open311's
    service list. Costs no query between the cache's checks."""
    _published.get()
    return _published.generation


def service_ids_for_codes(
    *, codes: tuple[str, ...] | list[str], council_ids: frozenset[int] | None = None
) -> list[int]:
    """Ids of every service (of any council, active or retired: cases keep pointing at retired
    services) with one of these codes, from the per-process cache: a search by service code then
    filters cases on an indexed column instead of joining the services (ADR 221)."""
    wanted = set(codes)
    return sorted(
        i
        for i, s in _services_by_id.get().items()
        if s.code in wanted and (council_ids is None or s.council_id in council_ids)
    )


def published_services_invalidate() -> None:
    _published.invalidate()
    _services_by_id.invalidate()


def service_get(*, council: Council, code: str) -> ServiceTemplate:
    """A council's active service with its current version. Treat the result as read-only."""
    service = _published.get().get((council.id, code))
    if service is None:
        raise NotFound(f"{council.name} has no service {code!r}")
    return service


def document_in_language(version: ServiceTemplateVersion, language: str | None = None) -> dict:
    """The version's document as a resident reading `language` sees it: its translation's texts
    over the English (ADR 63). Built once per loaded version and language; treat as read-only."""
    code = language_code(language)
    memo = version.__dict__.setdefault("_localised", {})
    if code not in memo:
        memo[code] = localised(version.document, code)
    return memo[code]


def workflow_for_version(
    version: ServiceTemplateVersion, *, language: str | None = None
) -> Workflow:
    """The version's workflow, built once per loaded version and language (versions never
    change). Without a language its names are the template's own (English) ones, as staff and
    the APIs use them."""
    code = language_code(language)
    memo = version.__dict__.setdefault("_workflows", {})
    if code not in memo:
        memo[code] = Workflow(document_in_language(version, code)["workflow"])
    return memo[code]


# Reads for the service builder (council admins): every service of a council, active or not.


def services_of_council(*, council_id: int) -> list[ServiceTemplate]:
    """The council's services, active or not, with their current versions, by group and name."""
    return list(
        ServiceTemplate.objects.filter(council_id=council_id)
        .select_related("current_version")
        .order_by("group", "name")
    )


def service_of_council(*, council_id: int, service_id: int) -> ServiceTemplate:
    """One service of the council with its current version; NotFound otherwise."""
    service = (
        ServiceTemplate.objects.select_related("current_version")
        .filter(id=service_id, council_id=council_id)
        .first()
    )
    if service is None:
        raise NotFound("No such service")
    return service


def service_of_council_by_code(*, council_id: int, code: str) -> ServiceTemplate:
    """One service of the council by its code, with its current version; NotFound otherwise."""
    service = (
        ServiceTemplate.objects.select_related("current_version")
        .filter(code=code, council_id=council_id)
        .first()
    )
    if service is None:
        raise NotFound(f"No service {code[:50]!r}")
    return service


def service_version(*, service: ServiceTemplate, number: int) -> ServiceTemplateVersion:
    """Version `number` of the service, with its document; NotFound otherwise."""
    version = ServiceTemplateVersion.objects.filter(template=service, number=number).first()
    if version is None:
        raise NotFound(f"{service.code} has no version {number}")
    return version


def services_of_other_councils(*, council_id: int) -> list[ServiceTemplate]:
    """Published, active services of every other council (to start a draft from), by council
    and name."""
    return list(
        ServiceTemplate.objects.exclude(council_id=council_id)
        .filter(current_version__isnull=False, is_active=True)
        .select_related("council")
        .order_by("council__name", "name")
    )


def service_drafts_of_council(*, council_id: int) -> list[ServiceDraft]:
    """The council's drafts in the service builder, most recently changed first."""
    return list(ServiceDraft.objects.filter(council_id=council_id))
