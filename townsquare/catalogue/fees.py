"""A service's fee, from its template (the `fee` key; docs in templates/services/README.md).

Pure rules, no ORM: the amount in pence for a set of answers. The portal shows it on the start
page, works it out again on "Check your answers" and payments charges exactly this amount, so
an amount typed into a form is never believed (ADR 161).

    fee:
      description: Garden waste subscription   # what the payment page and receipt say
      finance_code: GW-SUB                      # the council's code, sent to GOV.UK Pay
      amount: 4500                              # pence; or `table` instead
      per: number_of_bins                       # a number question that multiplies it
      table: {field: collection_size, amounts: {small: 3000, large: 6500}}
      concessions:
        - {field: receives_benefits, equals: "yes", percent_off: 50,
           evidence: We will ask to see your benefit letter}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

MAX_FEE_PENCE = 10_000_000  # GOV.UK Pay's limit is £100,000.00


@dataclass(frozen=True)
class Fee:
    """What an application costs for its answers so far (None from fee_for: no fee at all)."""

    amount: int  # pence
    description: str
    finance_code: str = ""
    unit_amount: int | None = None  # for a fee per item, the price of one
    quantity: int | None = None
    concession_evidence: str = ""
    concession_percent: int = 0
    complete: bool = True  # False while the answers it depends on are missing


@dataclass(frozen=True)
class FeeSummary:
    """The fee as the start page states it, before any answer."""

    fixed: int | None = None
    per_label: str = ""  # the question that multiplies a fixed amount
    table: list[tuple[str, int]] = field(default_factory=list)  # (answer name, pence)
    concessions: list[tuple[int, str, str]] = field(default_factory=list)  # (%, label, evidence)


def pounds(pence: int) -> str:
    """£45.00: how GOV.UK shows money (always with pence, thousands with commas)."""
    return f"£{Decimal(pence) / 100:,.2f}"


def has_fee(document: dict[str, Any]) -> bool:
    fee = document.get("fee") or {}
    return bool(fee.get("amount")) or bool(fee.get("table"))


def _field(document: dict[str, Any], code: str) -> dict[str, Any]:
    return next((f for f in document.get("fields", []) if f["code"] == code), {})


def _quantity(raw: Any) -> int | None:
    try:
        number = Decimal(str(raw))
    except ArithmeticError:
        return None
    if not number.is_finite() or number < 0 or number != number.to_integral_value():
        return None
    return int(number)


def fee_for(document: dict[str, Any], values: dict[str, Any]) -> Fee | None:
    """The fee for `values` (answers keyed by field code); None when the service is free."""
    if not has_fee(document):
        return None
    spec = document["fee"]
    description = str(spec.get("description") or document.get("name", ""))[:255]
    finance_code = str(spec.get("finance_code", ""))
    complete = True
    unit: int | None = None
    quantity: int | None = None
    if spec.get("table"):
        answer = values.get(spec["table"]["field"], "")
        base = int(spec["table"]["amounts"].get(str(answer), 0))
        complete = str(answer) in spec["table"]["amounts"]
    else:
        base = int(spec["amount"])
        if spec.get("per"):
            unit = base
            quantity = _quantity(values.get(spec["per"], ""))
            complete = quantity is not None
            base = unit * (quantity or 0)
    percent = 0
    evidence = ""
    for concession in spec.get("concessions", []):
        answer = values.get(concession["field"], "")
        chosen = answer if isinstance(answer, list) else [answer]
        if str(concession.get("equals", "")) in [str(a) for a in chosen]:
            percent = int(concession["percent_off"])
            evidence = str(concession.get("evidence", ""))
            break
    amount = int(
        (Decimal(base) * (100 - percent) / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    )
    return Fee(
        amount=min(amount, MAX_FEE_PENCE),
        description=description,
        finance_code=finance_code,
        unit_amount=unit,
        quantity=quantity,
        concession_evidence=evidence,
        concession_percent=percent,
        complete=complete,
    )


def fee_summary(document: dict[str, Any]) -> FeeSummary | None:
    """The fee's rules in a form a page can state (labels in the document's own language)."""
    if not has_fee(document):
        return None
    spec = document["fee"]
    concessions = []
    for concession in spec.get("concessions", []):
        question = _field(document, concession["field"])
        concessions.append(
            (
                int(concession["percent_off"]),
                str(question.get("label", concession["field"])),
                str(concession.get("evidence", "")),
            )
        )
    if spec.get("table"):
        question = _field(document, spec["table"]["field"])
        names = {v["key"]: v["name"] for v in question.get("values", [])}
        table = [(names.get(k, k), int(v)) for k, v in spec["table"]["amounts"].items()]
        return FeeSummary(table=table, concessions=concessions)
    per = _field(document, spec["per"]).get("label", "") if spec.get("per") else ""
    return FeeSummary(fixed=int(spec["amount"]), per_label=str(per), concessions=concessions)


FEE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "description": {"type": "string", "minLength": 1, "maxLength": 255},
        "finance_code": {"type": "string", "pattern": "^[A-Za-z0-9_.-]{1,50}$"},
        "amount": {"type": "integer", "minimum": 0, "maximum": MAX_FEE_PENCE},
        "per": {"type": "string", "minLength": 1},
        "table": {
            "type": "object",
            "additionalProperties": False,
            "required": ["field", "amounts"],
            "properties": {
                "field": {"type": "string", "minLength": 1},
                "amounts": {
                    "type": "object",
                    "minProperties": 1,
                    "additionalProperties": {
                        "type": "integer",
                        "minimum": 0,
                        "maximum": MAX_FEE_PENCE,
                    },
                },
            },
        },
        "concessions": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["field", "equals", "percent_off"],
                "properties": {
                    "field": {"type": "string", "minLength": 1},
                    "equals": {"type": "string", "minLength": 1},
                    "percent_off": {"type": "integer", "minimum": 1, "maximum": 100},
                    "evidence": {"type": "string", "maxLength": 1000},
                },
            },
        },
    },
}


def fee_problems(document: dict[str, Any]) -> list[tuple[str, str]]:
    """(path, reason) for fee rules the JSON schema cannot state."""
    spec = document.get("fee")
    if not spec:
        return []
    problems = []
    fields = {f["code"]: f for f in document.get("fields", [])}
    if ("amount" in spec) == ("table" in spec):
        problems.append(("fee", "give either amount (a fixed fee) or table (by an answer)"))
    if spec.get("per"):
        if "table" in spec:
            problems.append(("fee.per", "per multiplies a fixed amount, not a table"))
        elif fields.get(spec["per"], {}).get("datatype") != "number":
            problems.append(("fee.per", f"no number question is called {spec['per']!r}"))
    if spec.get("table"):
        question = fields.get(spec["table"]["field"])
        if question is None or question["datatype"] != "singlevaluelist":
            problems.append(
                (
                    "fee.table.field",
                    f"no single-choice question is called {spec['table']['field']!r}",
                )
            )
        else:
            keys = {v["key"] for v in question.get("values", [])}
            for key in spec["table"]["amounts"]:
                if key not in keys:
                    problems.append((f"fee.table.amounts.{key}", f"{key!r} is not an answer to it"))
    for i, concession in enumerate(spec.get("concessions", [])):
        if concession["field"] not in fields:
            problems.append(
                (f"fee.concessions[{i}].field", f"no question is called {concession['field']!r}")
            )
    return problems
