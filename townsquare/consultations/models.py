"""Consultations, their questions and responses, the analysis of those responses and the
outcome ("you said, we did") that links each change to the service template version it led to.

Personal data is kept apart on purpose: a Response's `user_id`, `email` and `address_digest`
are the only personal fields, and the open results export (opendata.py) names its columns
explicitly, never "every field" (ADR 211)."""

from __future__ import annotations

from django.db import models

from townsquare.catalogue.models import ServiceTemplate, ServiceTemplateVersion
from townsquare.councils.models import Area, Council


class State(models.TextChoices):
    DRAFT = "draft", "Draft"
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"
    ANALYSIS = "analysis", "In analysis"
    PUBLISHED = "published", "Outcome published"


class Consultation(models.Model):
    council = models.ForeignKey(Council, on_delete=models.CASCADE, related_name="+")
    slug = models.SlugField(max_length=80)
    title = models.CharField(max_length=200)
    title_cy = models.CharField(max_length=200, blank=True)
    summary = models.TextField(blank=True)
    summary_cy = models.TextField(blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    opens_on = models.DateField()
    closes_on = models.DateField()
    # The council chooses: an answer from someone not signed in counts once its emailed link
    # is followed.
    email_confirmation = models.BooleanField(default=False)
    # The service the consultation is about, whose figures the outcome page compares.
    service = models.ForeignKey(
        ServiceTemplate, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    outcome = models.TextField(blank=True)
    outcome_cy = models.TextField(blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["council", "slug"], name="consultation_slug_unique")
        ]
        indexes = [models.Index(fields=["state", "council"], name="consultation_state_idx")]

    def __str__(self) -> str:
        return self.title


class QuestionKind(models.TextChoices):
    # The service templates' question types (catalogue.fields checks the answers)...
    STRING = "string", "Short text"
    TEXT = "text", "Long text"
    NUMBER = "number", "Number"
    SINGLE = "singlevaluelist", "One of a list"
    MULTI = "multivaluelist", "Several of a list"
    POSTCODE = "postcode", "Postcode"
    # ...and two of a consultation's own.
    RANKING = "ranking", "Put in order"
    STATEMENT = "statement", "Agree, disagree or pass"


class Question(models.Model):
    consultation = models.ForeignKey(
        Consultation, on_delete=models.CASCADE, related_name="questions"
    )
    code = models.SlugField(max_length=50)
    order = models.PositiveIntegerField(default=0)
    kind = models.CharField(max_length=20, choices=QuestionKind.choices)
    label = models.CharField(max_length=500)
    label_cy = models.CharField(max_length=500, blank=True)
    required = models.BooleanField(default=False)
    # [{"key": "weekly", "name": "Every week", "name_cy": "Bob wythnos"}, ...]
    options = models.JSONField(default=list, blank=True)
    # Free text answers are published as open data only when the council says so, after
    # personal data is removed (Response.text_redacted holds what may be published).
    publish_text = models.BooleanField(default=False)

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["consultation", "code"], name="question_code_unique")
        ]

    def __str__(self) -> str:
        return self.label


class Response(models.Model):
    consultation = models.ForeignKey(
        Consultation, on_delete=models.CASCADE, related_name="responses"
    )
    # A number within the consultation, shown to staff and in the open data instead of the id.
    number = models.PositiveIntegerField()
    created_at = models.DateTimeField()
    area = models.ForeignKey(Area, null=True, blank=True, on_delete=models.SET_NULL)
    # Personal fields: never exported, never shown outside the council.
    user_id = models.BigIntegerField(null=True, blank=True)
    email = models.EmailField(blank=True)
    # Who answered, as a digest (user id, or email), so one person counts once.
    person_digest = models.CharField(max_length=64, blank=True)
    confirmed = models.BooleanField(default=True)
    confirm_token = models.CharField(max_length=64, blank=True)
    considered = models.BooleanField(default=False)
    considered_at = models.DateTimeField(null=True, blank=True)
    considered_by = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["consultation", "number"], name="response_number_unique"
            ),
            models.UniqueConstraint(
                fields=["consultation", "person_digest"],
                condition=~models.Q(person_digest=""),
                name="response_once_per_person",
            ),
        ]
        indexes = [
            models.Index(fields=["consultation", "considered"], name="response_considered_idx"),
        ]

    def __str__(self) -> str:
        return f"Response {self.number}"


class Answer(models.Model):
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="+")
    value = models.JSONField()
    # Free text as the council publishes it (personal data removed), "" until then.
    published_text = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["response", "question"], name="answer_once")]
        indexes = [models.Index(fields=["question"], name="answer_question_idx")]

    def __str__(self) -> str:
        return f"Answer to {self.question_id}"


class Theme(models.Model):
    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="themes")
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["consultation", "name"], name="theme_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class ResponseTheme(models.Model):
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="tags")
    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="tags")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["response", "theme"], name="response_theme_once")
        ]
        indexes = [models.Index(fields=["theme", "response"], name="theme_response_idx")]

    def __str__(self) -> str:
        return f"{self.response_id}: {self.theme_id}"


class OutcomeChange(models.Model):
    """One thing that changed because of what people said, linked to the service template
    version it led to."""

    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="changes")
    you_said = models.TextField()
    you_said_cy = models.TextField(blank=True)
    we_did = models.TextField()
    we_did_cy = models.TextField(blank=True)
    version = models.ForeignKey(
        ServiceTemplateVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # From this day the change applied: the figures before and after are compared around it.
    changed_on = models.DateField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.we_did[:60]
