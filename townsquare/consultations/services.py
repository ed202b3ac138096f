"""Every write to a consultation. Each function is keyword-only and atomic: it changes rows and
appends its event in one transaction (the audit trail), or changes nothing and raises a
DomainError saying why."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.text import slugify

from townsquare.accounts.principal import Principal
from townsquare.catalogue.models import ServiceTemplate, ServiceTemplateVersion
from townsquare.consultations import events, policies
from townsquare.consultations.models import (
    Answer,
    Consultation,
    OutcomeChange,
    Question,
    QuestionKind,
    Response,
    ResponseTheme,
    State,
    Theme,
)
from townsquare.consultations.questions import CHOICE_KINDS, answer_clean
from townsquare.core import clock, ratelimit
from townsquare.core.actors import Actor
from townsquare.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Problem
from townsquare.core.eventlog import append_event
from townsquare.core.text import clean_text
from townsquare.councils.models import Council

# Answers a consultation takes from one client address an hour (a household or an office
# shares one), and attempts from one person: both across processes (core.ratelimit).
ANSWERS_PER_ADDRESS_PER_HOUR = 20
ATTEMPTS_PER_PERSON_PER_HOUR = 5
MAX_THEMES = 200


def _log(consultation: Consultation, event: events.ConsultationEvent, actor: Actor) -> None:
    append_event(
        event,
        council_id=consultation.council_id,
        stream="consultation",
        stream_id=consultation.pk,
        actor=actor,
    )


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied("You may not do this in this council")


def _text(value: str, *, field: str, limit: int, required: bool = False) -> str:
    value = clean_text(value or "").strip()
    if required and not value:
        raise InvalidInput(
            {field: [Problem("%(field)s required", code="required", params={"field": field})]}
        )
    if len(value) > limit:
        raise InvalidInput(
            {
                field: [
                    Problem(
                        "must be %(limit)s characters or fewer (it is %(length)s)",
                        code="max_length",
                        params={"limit": limit, "length": len(value)},
                    )
                ]
            }
        )
    return value


def _locked(consultation: Consultation) -> Consultation:
    return Consultation.objects.select_for_update().get(pk=consultation.pk)


def consultation_create(
    *,
    council: Council,
    title: str,
    opens_on: dt.date,
    closes_on: dt.date,
    actor: Principal,
    title_cy: str = "",
    summary: str = "",
    summary_cy: str = "",
    email_confirmation: bool = False,
    service: ServiceTemplate | None = None,
    slug: str = "",
) -> Consultation:
    """A draft consultation, not yet public."""
    _require(policies.can_run_consultations(actor, council.pk))
    title = _text(title, field="title", limit=200, required=True)
    if closes_on < opens_on:
        raise InvalidInput(
            {"closes_on": [Problem("must be on or after the day it opens", code="closes_early")]}
        )
    if service is not None and service.council_id != council.pk:
        raise NotFound("No such service in this council")
    slug = slugify(slug or title)[:80] or "consultation"
    with transaction.atomic():
        taken = set(
            Consultation.objects.filter(council=council, slug__startswith=slug).values_list(
                "slug", flat=True
            )
        )
        unique, n = slug, 1
        while unique in taken:
            n += 1
            unique = f"{slug[:74]}-{n}"
        consultation = Consultation.objects.create(
            council=council,
            slug=unique,
            title=title,
            title_cy=_text(title_cy, field="title_cy", limit=200),
            summary=_text(summary, field="summary", limit=4000),
            summary_cy=_text(summary_cy, field="summary_cy", limit=4000),
            opens_on=opens_on,
            closes_on=closes_on,
            email_confirmation=email_confirmation,
            service=service,
            created_at=clock.now(),
        )
        _log(
            consultation,
            events.ConsultationCreated(consultation_id=consultation.pk, title=title),
            actor.as_actor(),
        )
    return consultation


def question_add(
    *,
    consultation: Consultation,
    kind: str,
    label: str,
    actor: Principal,
    label_cy: str = "",
    options: Iterable[Mapping[str, str]] = (),
    required: bool = False,
    publish_text: bool = False,
    code: str = "",
) -> Question:
    """A question on a draft (once open, the questions stay as people saw them)."""
    _require(policies.can_run_consultations(actor, consultation.council_id))
    if kind not in QuestionKind.values:
        raise InvalidInput({"kind": [Problem("is not a question type", code="invalid_choice")]})
    label = _text(label, field="label", limit=500, required=True)
    cleaned_options = []
    for i, option in enumerate(options):
        name = _text(option.get("name", ""), field="options", limit=200)
        if not name:
            continue
        cleaned_options.append(
            {
                "key": slugify(option.get("key") or name)[:40] or f"option-{i + 1}",
                "name": name,
                "name_cy": _text(option.get("name_cy", ""), field="options", limit=200),
            }
        )
    if kind in CHOICE_KINDS and len(cleaned_options) < 2:
        raise InvalidInput(
            {"options": [Problem("give at least two options", code="too_few_options")]}
        )
    if len({o["key"] for o in cleaned_options}) != len(cleaned_options):
        raise InvalidInput({"options": [Problem("options must differ", code="duplicate")]})
    with transaction.atomic():
        consultation = _locked(consultation)
        if consultation.state != State.DRAFT:
            raise Conflict("Questions can change only while the consultation is a draft")
        count = consultation.questions.count()
        code = slugify(code)[:50] or f"q{count + 1}"
        if consultation.questions.filter(code=code).exists():
            code = f"q{count + 1}-{secrets.token_hex(2)}"
        question = Question.objects.create(
            consultation=consultation,
            code=code,
            order=count + 1,
            kind=kind,
            label=label,
            label_cy=_text(label_cy, field="label_cy", limit=500),
            required=required,
            options=cleaned_options,
            publish_text=publish_text,
        )
        _log(
            consultation,
            events.QuestionAdded(consultation_id=consultation.pk, code=code, question_kind=kind),
            actor.as_actor(),
        )
    return question


def consultation_move(
    *, consultation: Consultation, to_state: str, actor: Principal
) -> Consultation:
    """The next step of the lifecycle: draft -> open -> closed -> in analysis. Publishing the
    outcome is outcome_publish, which checks that every response was considered."""
    _require(policies.can_run_consultations(actor, consultation.council_id))
    with transaction.atomic():
        consultation = _locked(consultation)
        before = consultation.state
        if policies.NEXT_STATE.get(State(before)) != to_state or to_state == State.PUBLISHED:
            raise Conflict(f"A consultation cannot go from {before} to {to_state}")
        if to_state == State.OPEN and not consultation.questions.exists():
            raise Conflict("Add a question before opening the consultation", code="no_questions")
        consultation.state = to_state
        consultation.save(update_fields=["state"])
        _log(
            consultation,
            events.ConsultationMoved(
                consultation_id=consultation.pk, from_state=before, to_state=to_state
            ),
            actor.as_actor(),
        )
    return consultation


def person_digest(*, user_id: int | None, email: str) -> str:
    """Who answered, so that one person counts once, without keeping who it was in the key."""
    if user_id is not None:
        who = f"user:{user_id}"
    elif email:
        who = f"email:{email.strip().lower()}"
    else:
        return ""
    return hashlib.sha256(f"{settings.SECRET_KEY}:{who}".encode()).hexdigest()


def response_submit(
    *,
    consultation: Consultation,
    answers: Mapping[str, Any],
    address: str,
    user_id: int | None = None,
    email: str = "",
    area_id: int | None = None,
) -> Response:
    """One person's answers (`answers`: question code -> raw answer). Spends from the
    consultation's budget for the client `address` and from the person's, across processes;
    a person (signed in, or by email address) answers once. Without signing in, a
    consultation that asks for it needs an email address, and the response counts once its
    emailed link is followed (response_confirm)."""
    if not policies.accepts_answers(consultation.state):
        raise Conflict("This consultation is not open", code="not_open")
    today = clock.now().date()
    if not (consultation.opens_on <= today <= consultation.closes_on):
        raise Conflict("This consultation is not open today", code="not_open")
    email = (email or "").strip().lower()[:254]
    errors: dict[str, list[Problem]] = {}
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = [Problem("is not an email address", code="invalid_email")]
    elif consultation.email_confirmation and user_id is None:
        errors["email"] = [Problem("email required", code="required", params={"field": "email"})]
    cleaned: dict[int, Any] = {}
    questions = list(consultation.questions.all())
    for question in questions:
        try:
            value = answer_clean(question, answers.get(question.code))
        except InvalidInput as exc:
            errors.update(exc.problems)
            continue
        if value is not None:
            cleaned[question.pk] = value
    if area_id is not None and not consultation.council.areas.filter(pk=area_id).exists():
        errors["area"] = [Problem("is not a ward of this council", code="invalid_choice")]
    if errors:
        raise InvalidInput(errors, code="invalid_answers")
    if not cleaned:
        raise InvalidInput(
            {"__all__": [Problem("answer at least one question", code="no_answers")]},
            code="invalid_answers",
        )
    digest = person_digest(user_id=user_id, email=email)
    rate = ANSWERS_PER_ADDRESS_PER_HOUR / 3600.0
    ratelimit.take_or_raise(
        f"consult:{consultation.pk}:{ratelimit.address_key(address)}",
        rate=rate,
        burst=ANSWERS_PER_ADDRESS_PER_HOUR,
    )
    if digest:
        ratelimit.take_or_raise(
            f"consult-person:{digest[:40]}",
            rate=ATTEMPTS_PER_PERSON_PER_HOUR / 3600.0,
            burst=ATTEMPTS_PER_PERSON_PER_HOUR,
        )
    needs_confirming = consultation.email_confirmation and user_id is None
    try:
        with transaction.atomic():
            locked = _locked(consultation)
            number = (locked.responses.aggregate(n=Max("number"))["n"] or 0) + 1
            response = Response.objects.create(
                consultation=locked,
                number=number,
                created_at=clock.now(),
                area_id=area_id,
                user_id=user_id,
                email=email,
                person_digest=digest,
                confirmed=not needs_confirming,
                confirm_token=secrets.token_urlsafe(24) if needs_confirming else "",
            )
            Answer.objects.bulk_create(
                Answer(response=response, question_id=qid, value=value)
                for qid, value in cleaned.items()
            )
            _log(
                locked,
                events.ResponseSubmitted(
                    consultation_id=locked.pk, number=number, confirmed=response.confirmed
                ),
                Actor.anonymous() if user_id is None else Actor("citizen", "Resident", user_id),
            )
    except IntegrityError:
        raise Conflict("You have already answered this consultation", code="already") from None
    return response


def response_confirm(*, token: str) -> Response:
    """The emailed link was followed: the response counts."""
    if not token:
        raise NotFound("No such response")
    with transaction.atomic():
        response = (
            Response.objects.select_for_update()
            .select_related("consultation")
            .filter(confirm_token=token)
            .first()
        )
        if response is None:
            raise NotFound("No such response")
        if not response.confirmed:
            response.confirmed = True
            response.save(update_fields=["confirmed"])
            _log(
                response.consultation,
                events.ResponseConfirmed(
                    consultation_id=response.consultation_id, number=response.number
                ),
                Actor.anonymous(),
            )
    return response


def _analysing(consultation: Consultation, actor: Principal) -> None:
    _require(policies.can_analyse_responses(actor, consultation.council_id))
    # The state as it is now, not as the caller's copy (a response's consultation) last saw it.
    state = Consultation.objects.filter(pk=consultation.pk).values_list("state", flat=True).first()
    if state not in (State.CLOSED, State.ANALYSIS):
        raise Conflict("Responses are analysed once the consultation has closed")


def theme_add(*, consultation: Consultation, name: str, actor: Principal) -> Theme:
    _analysing(consultation, actor)
    name = _text(name, field="name", limit=100, required=True)
    with transaction.atomic():
        if consultation.themes.count() >= MAX_THEMES:
            raise Conflict("This consultation has as many themes as it may")
        theme, created = Theme.objects.get_or_create(consultation=consultation, name=name)
        if created:
            _log(
                consultation,
                events.ThemeAdded(consultation_id=consultation.pk, theme_id=theme.pk, name=name),
                actor.as_actor(),
            )
    return theme


def response_tag(*, response: Response, theme_ids: Iterable[int], actor: Principal) -> None:
    """The response's themes become `theme_ids` (the consultation's own)."""
    consultation = response.consultation
    _analysing(consultation, actor)
    wanted = set(
        Theme.objects.filter(consultation=consultation, pk__in=set(theme_ids)).values_list(
            "pk", flat=True
        )
    )
    with transaction.atomic():
        have = set(
            ResponseTheme.objects.filter(response=response).values_list("theme_id", flat=True)
        )
        if have == wanted:
            return
        ResponseTheme.objects.filter(response=response).exclude(theme_id__in=wanted).delete()
        ResponseTheme.objects.bulk_create(
            ResponseTheme(response=response, theme_id=t) for t in wanted - have
        )
        _log(
            consultation,
            events.ResponseTagged(
                consultation_id=consultation.pk, number=response.number, theme_ids=sorted(wanted)
            ),
            actor.as_actor(),
        )


def response_consider(*, response: Response, considered: bool, actor: Principal) -> None:
    """Mark a response as considered (or not): the council's record that it read and weighed
    every response before deciding (the Gunning principles)."""
    consultation = response.consultation
    _analysing(consultation, actor)
    with transaction.atomic():
        if response.considered == considered:
            return
        response.considered = considered
        response.considered_at = clock.now() if considered else None
        response.considered_by = actor.label[:200] if considered else ""
        response.save(update_fields=["considered", "considered_at", "considered_by"])
        _log(
            consultation,
            events.ResponseConsidered(
                consultation_id=consultation.pk, number=response.number, considered=considered
            ),
            actor.as_actor(),
        )


def answer_text_publish(*, answer: Answer, text: str, actor: Principal) -> None:
    """Publish a free-text answer as open data, as the council has edited it to remove
    personal data ("" withdraws it). Only for questions whose text the council publishes."""
    question = answer.question
    consultation = question.consultation
    _require(policies.can_run_consultations(actor, consultation.council_id))
    if not question.publish_text:
        raise Conflict("Answers to this question are not published")
    text = _text(text, field="text", limit=4000)
    with transaction.atomic():
        answer.published_text = text
        answer.save(update_fields=["published_text"])
        _log(
            consultation,
            events.TextPublished(
                consultation_id=consultation.pk,
                number=answer.response.number,
                question_code=question.code,
            ),
            actor.as_actor(),
        )


def outcome_change_add(
    *,
    consultation: Consultation,
    you_said: str,
    we_did: str,
    changed_on: dt.date,
    actor: Principal,
    version: ServiceTemplateVersion | None = None,
    you_said_cy: str = "",
    we_did_cy: str = "",
) -> OutcomeChange:
    """One change the consultation led to, linked to the service template version that made
    it (a version of one of the council's own services)."""
    _require(policies.can_run_consultations(actor, consultation.council_id))
    if consultation.state != State.ANALYSIS:
        raise Conflict("Changes are recorded while the responses are analysed")
    if version is not None and version.template.council_id != consultation.council_id:
        raise NotFound("No such service version in this council")
    with transaction.atomic():
        change = OutcomeChange.objects.create(
            consultation=consultation,
            you_said=_text(you_said, field="you_said", limit=2000, required=True),
            you_said_cy=_text(you_said_cy, field="you_said_cy", limit=2000),
            we_did=_text(we_did, field="we_did", limit=2000, required=True),
            we_did_cy=_text(we_did_cy, field="we_did_cy", limit=2000),
            version=version,
            changed_on=changed_on,
            created_at=clock.now(),
        )
        _log(
            consultation,
            events.OutcomeChangeAdded(
                consultation_id=consultation.pk,
                change_id=change.pk,
                version_id=version.pk if version else None,
                changed_on=changed_on.isoformat(),
            ),
            actor.as_actor(),
        )
    return change


def outcome_publish(
    *, consultation: Consultation, outcome: str, actor: Principal, outcome_cy: str = ""
) -> Consultation:
    """Publish "you said, we did". Refused while any response is not yet considered: a
    council that cannot show it weighed every response has not consulted."""
    _require(policies.can_run_consultations(actor, consultation.council_id))
    outcome = _text(outcome, field="outcome", limit=8000, required=True)
    with transaction.atomic():
        consultation = _locked(consultation)
        if consultation.state != State.ANALYSIS:
            raise Conflict("The outcome is published after the analysis")
        waiting = consultation.responses.filter(considered=False, confirmed=True).count()
        if waiting:
            raise Conflict(
                f"{waiting} responses are not yet marked as considered", code="not_considered"
            )
        consultation.outcome = outcome
        consultation.outcome_cy = _text(outcome_cy, field="outcome_cy", limit=8000)
        consultation.state = State.PUBLISHED
        consultation.published_at = clock.now()
        consultation.save(update_fields=["outcome", "outcome_cy", "state", "published_at"])
        _log(
            consultation,
            events.ConsultationMoved(
                consultation_id=consultation.pk,
                from_state=State.ANALYSIS,
                to_state=State.PUBLISHED,
            ),
            actor.as_actor(),
        )
        _log(
            consultation,
            events.OutcomePublished(
                consultation_id=consultation.pk, changes=consultation.changes.count()
            ),
            actor.as_actor(),
        )
    return consultation


def responses_import(
    *,
    consultation: Consultation,
    rows: Iterable[Mapping[str, Any]],
    actor: Principal,
    batch: int = 5000,
) -> int:
    """Responses gathered another way (paper forms, a drop-in session, another system), each
    `{"answers": {code: raw}, "area_id": int | None, "created_at": datetime}`: checked as
    answers on the web are, numbered after the ones there, and counted at once (whoever
    entered them vouches for them). No personal fields. One event records the import.
    Returns how many were added."""
    _require(policies.can_run_consultations(actor, consultation.council_id))
    questions = list(consultation.questions.all())
    areas = set(consultation.council.areas.values_list("pk", flat=True))
    added = 0
    with transaction.atomic():
        locked = _locked(consultation)
        if locked.state == State.DRAFT or locked.state == State.PUBLISHED:
            raise Conflict("Responses are added while the consultation is open or analysed")
        number = locked.responses.aggregate(n=Max("number"))["n"] or 0
        pending: list[tuple[Response, dict[int, Any]]] = []

        def flush() -> None:
            Response.objects.bulk_create([r for r, _ in pending])
            if _ids_missing(pending):
                ids = dict(
                    Response.objects.filter(
                        consultation=locked, number__in=[r.number for r, _ in pending]
                    ).values_list("number", "pk")
                )
                for response, _ in pending:
                    response.pk = ids[response.number]
            Answer.objects.bulk_create(
                Answer(response_id=response.pk, question_id=qid, value=value)
                for response, values in pending
                for qid, value in values.items()
            )
            pending.clear()

        for row in rows:
            cleaned: dict[int, Any] = {}
            for question in questions:
                value = answer_clean(question, row.get("answers", {}).get(question.code))
                if value is not None:
                    cleaned[question.pk] = value
            if not cleaned:
                continue
            number += 1
            area_id = row.get("area_id")
            pending.append(
                (
                    Response(
                        consultation=locked,
                        number=number,
                        created_at=row.get("created_at") or clock.now(),
                        area_id=area_id if area_id in areas else None,
                    ),
                    cleaned,
                )
            )
            added += 1
            if len(pending) >= batch:
                flush()
        if pending:
            flush()
        _log(
            locked,
            events.ResponsesImported(consultation_id=locked.pk, count=added),
            actor.as_actor(),
        )
    return added


def _ids_missing(pending: list) -> bool:
    """bulk_create sets primary keys on PostgreSQL and SQLite 3.35+ only; read them back
    otherwise."""
    return bool(pending) and pending[0][0].pk is None
