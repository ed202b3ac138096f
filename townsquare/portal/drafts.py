"""Application drafts: who may open one, the order of its questions, saving answers and
documents, resume links, and turning a finished draft into a case.

The questions come from the service template: one page per field a resident answers, in the
template's order, skipping fields whose `show_if` the answers so far do not meet; then optional
supporting documents, a way to contact the applicant, and "Check your answers".
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import get_language

from townsquare.accounts.models import User
from townsquare.accounts.principal import Principal
from townsquare.cases.models import Case
from townsquare.cases.services import Document, Reporter, case_create_with_documents
from townsquare.catalogue.fields import is_shown
from townsquare.catalogue.selectors import document_in_language, service_get
from townsquare.core import clock
from townsquare.councils.models import Council
from townsquare.portal.models import ApplicationDraft, DraftDocument

DRAFT_LIFETIME = dt.timedelta(days=30)
SESSION_DRAFTS = "application_drafts"
SESSION_SUBMITTED = "submitted_references"
DOCUMENTS = "documents"
CONTACT = "contact"
CHECK = "check"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# Who may open a draft.


def session_draft_keys(request: HttpRequest) -> list[str]:
    return list(request.session.get(SESSION_DRAFTS, []))


def _remember(request: HttpRequest, key: str) -> None:
    keys = [k for k in session_draft_keys(request) if k != key][-19:]
    request.session[SESSION_DRAFTS] = [*keys, key]


def draft_for_request(request: HttpRequest, key: str) -> ApplicationDraft | None:
    """The draft if this person may open it (their account's, or this browser's), unexpired."""
    draft = (
        ApplicationDraft.objects.select_related("council")
        .filter(key=key[:32], expires_at__gt=clock.now())
        .first()
    )
    if draft is None:
        return None
    user = request.user
    if draft.user_id is not None:
        return draft if user.is_authenticated and user.pk == draft.user_id else None
    return draft if key in session_draft_keys(request) else None


def drafts_for_user(*, user: User) -> list[ApplicationDraft]:
    return list(
        ApplicationDraft.objects.select_related("council")
        .filter(user=user, expires_at__gt=clock.now())
        .order_by("-updated_at")[:50]
    )


def drafts_adopt(*, keys: list[str], user: User) -> int:
    """Drafts started before signing in become the account's."""
    if not keys:
        return 0
    return ApplicationDraft.objects.filter(key__in=keys, user__isnull=True).update(user=user)


def draft_start(request: HttpRequest, *, council: Council, service_code: str) -> ApplicationDraft:
    now = clock.now()
    user = request.user if request.user.is_authenticated else None
    draft = ApplicationDraft.objects.create(
        key=secrets.token_urlsafe(18),
        user=user,
        council=council,
        service_code=service_code,
        contact_email=user.email if user else "",
        created_at=now,
        updated_at=now,
        expires_at=now + DRAFT_LIFETIME,
    )
    if user is None:
        _remember(request, draft.key)
    return draft


def resume_token_issue(draft: ApplicationDraft) -> str:
    """A new resume link token (the previous one stops working)."""
    token = secrets.token_urlsafe(32)
    draft.resume_token_hash = _hash(token)
    draft.save(update_fields=["resume_token_hash"])
    return token


def draft_by_resume_token(token: str) -> ApplicationDraft | None:
    if not token or len(token) > 100:
        return None
    return (
        ApplicationDraft.objects.select_related("council")
        .filter(resume_token_hash=_hash(token), expires_at__gt=clock.now())
        .first()
    )


def draft_open_in_session(request: HttpRequest, draft: ApplicationDraft) -> bool:
    """Let this browser open a draft whose resume link it holds. An account's draft opens
    only for that account, signed in."""
    if draft.user_id is None:
        _remember(request, draft.key)
        return True
    return request.user.is_authenticated and request.user.pk == draft.user_id


# The order of the questions.


@dataclass(frozen=True)
class Flow:
    fields: list[dict[str, Any]]  # every field a resident may be asked, in order

    def visible(self, values: dict[str, Any]) -> list[dict[str, Any]]:
        # The catalogue's rule, the one case_create applies: a page asks exactly what the
        # case will be checked against.
        return [f for f in self.fields if is_shown(f, values)]

    def field(self, code: str) -> dict[str, Any] | None:
        return next((f for f in self.fields if f["code"] == code), None)

    def pages(self, values: dict[str, Any]) -> list[str]:
        return [f["code"] for f in self.visible(values)] + [DOCUMENTS, CONTACT, CHECK]

    def next_page(self, draft: ApplicationDraft, after: str) -> str:
        pages = self.pages(draft.values)
        position = pages.index(after) if after in pages else -1
        return pages[position + 1] if position + 1 < len(pages) else CHECK

    def first_unanswered(self, draft: ApplicationDraft) -> str:
        return next(
            (
                page
                for page in self.pages(draft.values)
                if page != CHECK and page not in draft.answered
            ),
            CHECK,
        )

    def previous_page(self, draft: ApplicationDraft, page: str) -> str | None:
        pages = self.pages(draft.values)
        position = pages.index(page) if page in pages else 0
        return pages[position - 1] if position > 0 else None


def flow_for(draft: ApplicationDraft) -> tuple[Any, Flow]:
    service = service_get(council=draft.council, code=draft.service_code)
    document = document_in_language(service.current_version, get_language())
    fields = sorted(
        (f for f in document["fields"] if not f.get("automated")), key=lambda f: f.get("order", 0)
    )
    return service, Flow(fields=fields)


# Saving.


def draft_answer(draft: ApplicationDraft, *, code: str, value: Any) -> None:
    values = dict(draft.values)
    if value in (None, "", []):
        values.pop(code, None)
    else:
        values[code] = value
    draft.values = values
    if code not in draft.answered:
        draft.answered = [*draft.answered, code]
    _touch(draft)


def draft_mark_answered(draft: ApplicationDraft, page: str) -> None:
    if page not in draft.answered:
        draft.answered = [*draft.answered, page]
    _touch(draft)


def draft_contact(draft: ApplicationDraft, *, email: str, phone: str) -> None:
    draft.contact_email, draft.contact_phone = email, phone
    draft_mark_answered(draft, CONTACT)


def _touch(draft: ApplicationDraft) -> None:
    now = clock.now()
    draft.updated_at, draft.expires_at = now, now + DRAFT_LIFETIME
    draft.save()


def document_add(draft: ApplicationDraft, *, name: str, document: Document) -> DraftDocument:
    """Store a checked document under a random name; `name` is kept only to show it."""
    now = clock.now()
    stored = DraftDocument(
        draft=draft,
        original_name=name[:120],
        size=len(document.data),
        content_type=document.content_type,
        created_at=now,
    )
    stored.file.save(
        f"{secrets.token_hex(16)}.{document.extension}", ContentFile(document.data), save=False
    )
    stored.save()
    _touch(draft)
    return stored


def document_remove(draft: ApplicationDraft, document_id: int) -> bool:
    stored = draft.documents.filter(id=document_id).first()
    if stored is None:
        return False
    stored.file.delete(save=False)
    stored.delete()
    return True


def _documents(draft: ApplicationDraft) -> list[Document]:
    found = []
    for stored in draft.documents.all():
        with stored.file.open("rb") as handle:
            data = handle.read()
        extension = {"application/pdf": "pdf", "image/png": "png"}.get(stored.content_type, "jpg")
        found.append(
            Document(
                data=data,
                content_type=stored.content_type,
                extension=extension,
                name=stored.original_name,
            )
        )
    return found


def draft_submit(
    draft: ApplicationDraft, *, actor: Principal, identity_level: str = "none"
) -> Case:
    """Create the application's case (with its documents), then forget the draft. Raises the
    InvalidInput of case_create when an answer breaks the current template, and its
    PermissionDenied when the service needs a stronger `identity_level` than the applicant's."""
    with transaction.atomic():
        case = case_create_with_documents(
            documents=_documents(draft),
            service_code=draft.service_code,
            actor=actor,
            council=draft.council,
            values=draft.values,
            channel="web",
            reporter=Reporter(email=draft.contact_email, phone=draft.contact_phone),
            identity_level=identity_level,
        )
        draft_discard(draft)
    return case


def draft_discard(draft: ApplicationDraft) -> None:
    """Delete the draft, and its files once that is committed (a rollback keeps both)."""
    files = [stored.file for stored in draft.documents.all()]
    draft.delete()
    transaction.on_commit(lambda: [f.delete(save=False) for f in files])


def remember_submitted(request: HttpRequest, reference: str) -> None:
    known = [r for r in request.session.get(SESSION_SUBMITTED, []) if r != reference][-49:]
    request.session[SESSION_SUBMITTED] = [*known, reference]
    if request.session.get(SESSION_DRAFTS):
        request.session[SESSION_DRAFTS] = [
            k
            for k in session_draft_keys(request)
            if ApplicationDraft.objects.filter(key=k).exists()
        ]


def submitted_references(request: HttpRequest) -> frozenset[str]:
    return frozenset(request.session.get(SESSION_SUBMITTED, []))


def drafts_purge(*, now: dt.datetime | None = None) -> int:
    """Delete expired drafts and their files (run daily)."""
    count = 0
    for draft in ApplicationDraft.objects.filter(expires_at__lte=now or clock.now()):
        draft_discard(draft)
        count += 1
    return count
