from __future__ import annotations

from typing import Any

from django.db import transaction

from townsquare.catalogue.events import ServicePublished
from townsquare.catalogue.models import ServiceTemplate, ServiceTemplateVersion
from townsquare.catalogue.schema import template_problems
from townsquare.catalogue.selectors import published_services_invalidate
from townsquare.core import clock
from townsquare.core.actors import Actor
from townsquare.core.errors import InvalidInput
from townsquare.core.eventlog import append_event
from townsquare.core.text import clean_texts
from townsquare.councils.models import Council


def template_publish(
    *, council: Council, document: dict[str, Any], actor: Actor
) -> ServiceTemplateVersion:
    """Publish a template for a council: a new version if the document changed, else the current.

    Cases already created keep the version they pinned.
    """
    document = clean_texts(document)  # its texts reach every Open311 service list (ADR 70)
    problems = template_problems(document)
    if problems:
        raise InvalidInput(
            {p.path or "__all__": [p.reason] for p in problems}, code="invalid_template"
        )
    with transaction.atomic():
        template = (
            ServiceTemplate.objects.select_for_update()
            .filter(council=council, code=document["code"])
            .first()
        )
        if template is None:
            # A new service is offered at once; a new version of a retired one stays retired
            # until someone offers it again.
            template = ServiceTemplate.objects.create(
                council=council,
                code=document["code"],
                name=document["name"],
                group=document["group"],
                kind=document["kind"],
                privacy=document["privacy"],
                is_active=True,
            )
        current = template.current_version
        if current is not None and current.document == document:
            return current
        number = (current.number if current else 0) + 1
        version = ServiceTemplateVersion.objects.create(
            template=template,
            number=number,
            document=document,
            created_at=clock.now(),
            created_by_label=actor.label[:200],
        )
        template.current_version = version
        template.name = document["name"]
        template.group = document["group"]
        template.kind = document["kind"]
        template.privacy = document["privacy"]
        template.save()
        append_event(
            ServicePublished(service_id=template.id, code=template.code, version=number),
            council_id=council.id,
            stream="service",
            stream_id=template.id,
            actor=actor,
        )
        transaction.on_commit(published_services_invalidate)
    published_services_invalidate()
    return version
