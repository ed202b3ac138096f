from __future__ import annotations

from collections import defaultdict

from townsquare.catalogue.models import ServiceTemplate, ServiceTemplateVersion
from townsquare.catalogue.workflow import Workflow
from townsquare.core.errors import NotFound
from townsquare.councils.models import Council


def services_for_council(*, council: Council, kind: str | None = None,
                         include_private: bool = True) -> list[ServiceTemplate]:
    qs = ServiceTemplate.objects.filter(council=council, is_active=True,
                                        current_version__isnull=False)
    if kind:
        qs = qs.filter(kind=kind)
    if not include_private:
        qs = qs.filter(privacy="public")
    return list(qs.order_by("group", "name"))


def services_by_group(*, councils: list[Council]) -> dict[int, dict[str, list[ServiceTemplate]]]:
    """council id -> group -> services, for listing many councils in one query."""
    grouped: dict[int, dict[str, list[ServiceTemplate]]] = defaultdict(lambda: defaultdict(list))
    for service in (ServiceTemplate.objects
                    .filter(council__in=councils, is_active=True, current_version__isnull=False)
                    .order_by("group", "name")):
        grouped[service.council_id][service.group].append(service)
    return {cid: dict(groups) for cid, groups in grouped.items()}


def service_get(*, council: Council, code: str) -> ServiceTemplate:
    service = (ServiceTemplate.objects.select_related("current_version")
               .filter(council=council, code=code, is_active=True,
                       current_version__isnull=False).first())
    if service is None:
        raise NotFound(f"{council.name} has no service {code!r}")
    return service


def workflow_for_version(version: ServiceTemplateVersion) -> Workflow:
    return Workflow(version.document["workflow"])
