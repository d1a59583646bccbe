"""Writes for training: authoring modules and questions, copying a library template,
assignments, levels, taking a quiz (grading, attempt limits, certificates issued on a
pass), manual certificates, guidelines and their acknowledgement, expiry notices. Every
change is audited in the client's log."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.audit.services import audit_record
from accounts.models import Role, User
from accounts.selectors import client_members, membership_role_for, role_at_least
from config.errors import DomainError, NotAllowed
from config.tenancy import current_client
from routing.models import StaffMember
from routing.selectors import department_get
from routing.services.matrix import SEGMENTS
from routing.services.notifications import notification_create
from routing.services.policy import staff_certify, staff_member_for
from routing.training.grading import (
    Grade,
    QuestionKey,
    attempt_blocked_until,
    certificate_expiry,
    quiz_grade,
)
from routing.training.library.models import LibraryModule
from routing.training.models import (
    Acknowledgement,
    Assignment,
    Attempt,
    Certificate,
    CertificateSource,
    CertificationLevel,
    Choice,
    Guideline,
    Module,
    Question,
)
from routing.training.selectors import guideline_current, module_get, modules_passed

EXPIRY_NOTICE_DAYS = 14
RENEW_WITHIN_DAYS = 30
MAX_QUESTIONS = 50
MAX_CHOICES = 8


def _require_author(by: User) -> None:
    """Client admins and managers write training; others may only take it."""
    if not role_at_least(membership_role_for(user=by, client=current_client()), Role.MANAGER):
        raise NotAllowed("Only managers and client admins may change training.")


def _require_member(by: User) -> str:
    role = membership_role_for(user=by, client=current_client())
    if role is None:
        raise NotAllowed("You are not a member of this client.")
    return role


# -- modules ---------------------------------------------------------------------------
def _module_snapshot(module: Module) -> dict[str, Any]:
    return {
        "title": module.title,
        "summary": module.summary,
        "pass_mark": module.pass_mark,
        "max_attempts": module.max_attempts,
        "cooldown_minutes": module.cooldown_minutes,
        "lesson_chars": len(module.lesson),
    }


def _module_clean(data: Mapping[str, Any], *, partial: bool) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    allowed = {"title", "summary", "lesson", "pass_mark", "max_attempts", "cooldown_minutes"}
    for name in set(data) - allowed - {"questions"}:
        errors[name] = ["unknown field"]
    if "title" in data or not partial:
        title = " ".join(str(data.get("title") or "").split())
        if not title or len(title) > 200:
            errors["title"] = ["1 to 200 characters"]
        cleaned["title"] = title
    if "summary" in data:
        cleaned["summary"] = " ".join(str(data["summary"] or "").split())[:300]
    if "lesson" in data:
        lesson = str(data["lesson"] or "")
        if len(lesson) > 50_000:
            errors["lesson"] = ["at most 50,000 characters"]
        cleaned["lesson"] = lesson
    if "pass_mark" in data:
        try:
            mark = float(data["pass_mark"])
        except (TypeError, ValueError):
            mark = -1.0
        if not 0 < mark <= 1:
            errors["pass_mark"] = ["a share between 0 and 1, e.g. 0.8"]
        cleaned["pass_mark"] = mark
    for name, top in (("max_attempts", 100), ("cooldown_minutes", 60 * 24 * 30)):
        if name in data:
            value = data[name]
            if isinstance(value, str) and value.strip().isdigit():
                value = int(value)
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= top:
                errors[name] = [f"a whole number from 0 to {top}"]
            cleaned[name] = value
    if errors:
        raise DomainError("The module has problems.", fields=errors)
    return cleaned


def _questions_clean(raw: Any) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or len(raw) > MAX_QUESTIONS:
        raise DomainError(
            "Questions are a list.", fields={"questions": [f"a list of at most {MAX_QUESTIONS}"]}
        )
    out = []
    for index, item in enumerate(raw, start=1):
        where = f"question {index}"
        if not isinstance(item, Mapping):
            raise DomainError("A question is an object.", fields={"questions": [where]})
        text = " ".join(str(item.get("text") or "").split())
        choices = item.get("choices")
        if not text or len(text) > 500:
            raise DomainError("Every question needs a text.", fields={"questions": [where]})
        if not isinstance(choices, list) or not 2 <= len(choices) <= MAX_CHOICES:
            raise DomainError(
                f"Question {index} needs 2 to {MAX_CHOICES} choices.",
                fields={"questions": [f"{where}: 2 to {MAX_CHOICES} choices"]},
            )
        cleaned_choices = []
        for choice in choices:
            if not isinstance(choice, Mapping):
                raise DomainError("A choice is an object.", fields={"questions": [where]})
            label = " ".join(str(choice.get("text") or "").split())
            if not label or len(label) > 300:
                raise DomainError(
                    f"Question {index} has an empty choice.", fields={"questions": [where]}
                )
            cleaned_choices.append({"text": label, "correct": bool(choice.get("correct"))})
        right = sum(1 for c in cleaned_choices if c["correct"])
        multiple = bool(item.get("multiple"))
        if right == 0 or (not multiple and right != 1):
            raise DomainError(
                f"Question {index}: mark exactly one right choice (or several for a "
                "multiple-choice question).",
                fields={"questions": [f"{where}: right choices"]},
            )
        out.append(
            {
                "text": text,
                "explanation": str(item.get("explanation") or "")[:5000],
                "multiple": multiple,
                "choices": cleaned_choices,
            }
        )
    return out


def _questions_write(module: Module, questions: list[dict[str, Any]]) -> None:
    module.questions.all().delete()
    for position, item in enumerate(questions):
        question = Question.objects.create(
            module=module,
            text=item["text"],
            explanation=item["explanation"],
            multiple=item["multiple"],
            position=position,
        )
        Choice.objects.bulk_create(
            Choice(question=question, text=c["text"], correct=c["correct"], position=i)
            for i, c in enumerate(item["choices"])
        )


@transaction.atomic
def module_create(*, data: Mapping[str, Any], by: User, library_slug: str = "") -> Module:
    _require_author(by)
    cleaned = _module_clean(data, partial=False)
    questions = _questions_clean(data["questions"]) if "questions" in data else []
    module = Module.objects.create(**cleaned, library_slug=library_slug)
    _questions_write(module, questions)
    audit_record(
        actor=by,
        action="training.module_created",
        target_type="training_module",
        target_id=module.pk,
        summary=f"Created the training module {module.title!r}"
        + (f" from the library ({library_slug})" if library_slug else ""),
        after={**_module_snapshot(module), "questions": len(questions)},
    )
    return module


@transaction.atomic
def module_update(*, module: Module, data: Mapping[str, Any], by: User) -> Module:
    _require_author(by)
    module = Module.objects.select_for_update().get(pk=module.pk)
    cleaned = _module_clean(data, partial=True)
    questions = _questions_clean(data["questions"]) if "questions" in data else None
    before = _module_snapshot(module)
    for name, value in cleaned.items():
        setattr(module, name, value)
    module.updated_at = timezone.now()
    module.save()
    if questions is not None:
        _questions_write(module, questions)
    audit_record(
        actor=by,
        action="training.module_updated",
        target_type="training_module",
        target_id=module.pk,
        summary=f"Changed the training module {module.title!r}",
        before=before,
        after={**_module_snapshot(module), "questions_replaced": questions is not None},
    )
    return module


@transaction.atomic
def module_delete(*, module: Module, by: User) -> None:
    _require_author(by)
    audit_record(
        actor=by,
        action="training.module_deleted",
        target_type="training_module",
        target_id=module.pk,
        summary=f"Deleted the training module {module.title!r}",
        before=_module_snapshot(module),
    )
    module.delete()


def module_copy_from_library(*, slug: str, by: User) -> Module:
    """One click: the agency's template becomes the client's own module (a copy it may
    change; later changes to the template do not reach it)."""
    template = LibraryModule.objects.filter(slug=slug).first()
    if template is None:
        raise DomainError("No such template in the library.", fields={"slug": ["unknown"]})
    return module_create(
        data={
            "title": template.title,
            "summary": template.summary,
            "lesson": template.lesson,
            "pass_mark": template.pass_mark,
            "questions": template.questions,
        },
        by=by,
        library_slug=template.slug,
    )


# -- assignments and levels -------------------------------------------------------------
@transaction.atomic
def assignment_create(
    *,
    module: Module,
    role: str = "",
    department_id: int | None = None,
    due_date: Any = None,
    by: User,
) -> Assignment:
    _require_author(by)
    errors: dict[str, list[str]] = {}
    if role and role not in Role.values:
        errors["role"] = [f"one of {', '.join(Role.values)} or empty for everyone"]
    department = None
    if department_id is not None:
        department = department_get(department_id=department_id)
        if department is None:
            errors["department"] = ["unknown department"]
    if errors:
        raise DomainError("The assignment has problems.", fields=errors)
    row = Assignment.objects.create(
        module=module, role=role, department=department, due_date=due_date, created_by_id=by.pk
    )
    audit_record(
        actor=by,
        action="training.assigned",
        target_type="training_module",
        target_id=module.pk,
        summary=f"Assigned {module.title!r} to {role or 'everyone'}"
        + (f" in {department.name}" if department else "")
        + (f", due {due_date}" if due_date else ""),
        after={"role": role, "department_id": department_id, "due_date": str(due_date or "")},
    )
    return row


@transaction.atomic
def assignment_delete(*, assignment: Assignment, by: User) -> None:
    _require_author(by)
    audit_record(
        actor=by,
        action="training.unassigned",
        target_type="training_module",
        target_id=assignment.module_id,
        summary=f"Removed an assignment of {assignment.module.title!r}",
        before={"role": assignment.role, "department_id": assignment.department_id},
    )
    assignment.delete()


@transaction.atomic
def level_update(
    *,
    level: CertificationLevel,
    module_ids: Sequence[int] | None = None,
    validity_months: int | None = None,
    for_crisis: bool | None = None,
    for_segments: Sequence[str] | None = None,
    by: User,
) -> CertificationLevel:
    _require_author(by)
    before = {
        "modules": sorted(level.modules.values_list("pk", flat=True)),
        "validity_months": level.validity_months,
        "for_crisis": level.for_crisis,
        "for_segments": level.for_segments,
    }
    if validity_months is not None:
        if not 1 <= validity_months <= 120:
            raise DomainError("1 to 120 months.", fields={"validity_months": ["1 to 120"]})
        level.validity_months = validity_months
    if for_crisis is not None:
        level.for_crisis = for_crisis
    if for_segments is not None:
        if not set(for_segments) <= set(SEGMENTS):
            raise DomainError(
                "Unknown author segment.", fields={"for_segments": [f"from {', '.join(SEGMENTS)}"]}
            )
        level.for_segments = sorted(set(for_segments))
    level.save()
    if module_ids is not None:
        modules = list(Module.objects.filter(pk__in=module_ids))
        if len(modules) != len(set(module_ids)):
            raise DomainError("Unknown module.", fields={"module_ids": ["unknown module"]})
        level.modules.set(modules)
    after = {
        "modules": sorted(level.modules.values_list("pk", flat=True)),
        "validity_months": level.validity_months,
        "for_crisis": level.for_crisis,
        "for_segments": level.for_segments,
    }
    if after != before:
        audit_record(
            actor=by,
            action="training.level_updated",
            target_type="certification_level",
            target_id=level.pk,
            summary=f"Changed the certification level {level.name!r}",
            before=before,
            after=after,
        )
    return level


# -- taking a quiz ----------------------------------------------------------------------
@dataclass
class AttemptOutcome:
    attempt: Attempt
    grade: Grade
    certificates: list[Certificate] = field(default_factory=list)
    explanations: dict[int, str] = field(default_factory=dict)
    correct: dict[int, list[int]] = field(default_factory=dict)


def _answers_clean(module: Module, answers: Any) -> dict[int, list[int]]:
    """{question id: [choice ids]} with ids of this module only; strings are accepted."""
    if not isinstance(answers, Mapping):
        raise DomainError("Answers are an object.", fields={"answers": ["question id → choices"]})
    questions = {q.pk: q for q in module.questions.all()}
    cleaned: dict[int, list[int]] = {}
    for raw_qid, raw_choices in answers.items():
        try:
            qid = int(raw_qid)
        except (TypeError, ValueError):
            qid = -1
        question = questions.get(qid)
        if question is None:
            raise DomainError(
                "An answer names a question that is not in this module.",
                fields={"answers": [f"unknown question {raw_qid}"]},
            )
        if not isinstance(raw_choices, list):
            raise DomainError(
                "Each answer is a list of choice ids.", fields={"answers": [f"question {qid}"]}
            )
        valid = {c.pk for c in question.choices.all()}
        try:
            chosen = sorted({int(c) for c in raw_choices})
        except (TypeError, ValueError):
            chosen = [-1]
        if not set(chosen) <= valid:
            raise DomainError(
                "An answer names a choice of another question.",
                fields={"answers": [f"question {qid}: unknown choice"]},
            )
        if not question.multiple and len(chosen) > 1:
            raise DomainError(
                "Pick one choice for a single-choice question.",
                fields={"answers": [f"question {qid}: one choice only"]},
            )
        cleaned[qid] = chosen
    return cleaned


def attempt_blocked(*, module: Module, user_id: int, now: datetime) -> datetime | None:
    failed = list(
        Attempt.objects.filter(module=module, user_id=user_id, passed=False).values_list(
            "submitted_at", flat=True
        )
    )
    return attempt_blocked_until(
        failed_at=failed,
        max_attempts=module.max_attempts,
        cooldown=timedelta(minutes=module.cooldown_minutes),
        now=now,
    )


@transaction.atomic
def attempt_submit(
    *, module: Module, answers: Any, by: User, now: datetime | None = None
) -> AttemptOutcome:
    """Grade one attempt. A pass may issue certificates: every level whose modules are all
    passed, unless a valid certificate at it lasts longer than a month."""
    _require_member(by)
    now = now or timezone.now()
    locked = Module.objects.select_for_update().get(pk=module.pk)  # one attempt at a time
    full = module_get(module_id=locked.pk)
    assert full is not None
    questions = list(full.questions.all())
    if not questions:
        raise DomainError("This module has no quiz yet.")
    cleaned = _answers_clean(full, answers)
    blocked = attempt_blocked(module=full, user_id=by.pk, now=now)
    if blocked is not None:
        raise DomainError(
            f"No attempts left for now: try again after {blocked:%Y-%m-%d %H:%M} UTC.",
            fields={"retry_at": [blocked.isoformat()]},
        )
    keys = [
        QuestionKey(
            id=q.pk,
            multiple=q.multiple,
            correct=frozenset(c.pk for c in q.choices.all() if c.correct),
        )
        for q in questions
    ]
    grade = quiz_grade(keys=keys, answers=cleaned, pass_mark=full.pass_mark)
    attempt = Attempt.objects.create(
        module=full,
        user_id=by.pk,
        submitted_at=now,
        score=grade.score,
        passed=grade.passed,
        answers={str(k): v for k, v in cleaned.items()},
        results={str(k): v for k, v in grade.results.items()},
    )
    audit_record(
        actor=by,
        action="training.attempt",
        target_type="training_module",
        target_id=full.pk,
        summary=f"{'Passed' if grade.passed else 'Failed'} {full.title!r} "
        f"with {round(grade.score * 100)} %",
        after={"attempt_id": attempt.pk, "score": grade.score, "passed": grade.passed},
    )
    certificates = certificates_issue_due(user=by, now=now) if grade.passed else []
    return AttemptOutcome(
        attempt=attempt,
        grade=grade,
        certificates=certificates,
        explanations={q.pk: q.explanation for q in questions},
        correct={key.id: sorted(key.correct) for key in keys},
    )


def certificates_issue_due(*, user: User, now: datetime) -> list[Certificate]:
    """Issue every level whose modules the person has all passed (levels without modules
    are only granted by hand or migrated)."""
    passed = modules_passed(user_id=user.pk)
    zone = current_client().time_zone
    issued = []
    for level in CertificationLevel.objects.prefetch_related("modules").order_by("rank"):
        needed = {m.pk for m in level.modules.all()}
        if not needed or not needed <= passed:
            continue
        current = (
            Certificate.objects.filter(
                level=level, user_id=user.pk, revoked_at__isnull=True, expires_at__gt=now
            )
            .order_by("-expires_at")
            .first()
        )
        if current and current.expires_at > now + timedelta(days=RENEW_WITHIN_DAYS):
            continue
        cert = Certificate.objects.create(
            level=level,
            user_id=user.pk,
            source=CertificateSource.PASSED,
            issued_at=now,
            expires_at=certificate_expiry(
                issued_at=now, months=level.validity_months, time_zone=zone
            ),
        )
        audit_record(
            actor=user,
            action="training.certificate_issued",
            target_type="certificate",
            target_id=cert.pk,
            summary=f"{user.display_name} is certified as {level.name} until "
            f"{cert.expires_at:%Y-%m-%d}",
            after={"level": level.name, "user_id": user.pk, "expires_at": str(cert.expires_at)},
        )
        issued.append(cert)
    return issued


@transaction.atomic
def certificate_grant(
    *, user: User, level: CertificationLevel, by: User, now: datetime | None = None
) -> Certificate:
    """An admin certifies someone by hand (e.g. the old `certified` switch)."""
    _require_author(by)
    now = now or timezone.now()
    cert = Certificate.objects.create(
        level=level,
        user_id=user.pk,
        source=CertificateSource.MANUAL,
        issued_at=now,
        expires_at=certificate_expiry(
            issued_at=now, months=level.validity_months, time_zone=current_client().time_zone
        ),
    )
    audit_record(
        actor=by,
        action="training.certificate_granted",
        target_type="certificate",
        target_id=cert.pk,
        summary=f"Certified {user.display_name} as {level.name} by hand",
        after={"level": level.name, "user_id": user.pk, "expires_at": str(cert.expires_at)},
    )
    return cert


@transaction.atomic
def certificates_revoke(*, user: User, by: User, now: datetime | None = None) -> int:
    _require_author(by)
    now = now or timezone.now()
    changed = Certificate.objects.filter(
        user_id=user.pk, revoked_at__isnull=True, expires_at__gt=now
    ).update(revoked_at=now)
    if changed:
        audit_record(
            actor=by,
            action="training.certificates_revoked",
            target_type="certificate",
            target_id=None,
            summary=f"Revoked {changed} certificate(s) of {user.display_name}",
            after={"user_id": user.pk},
        )
    return changed


def certified_set(*, user: User, certified: bool, by: User) -> None:
    """The old switch, in certificate terms: on grants every level the person lacks, off
    revokes their valid certificates."""
    if not certified:
        certificates_revoke(user=user, by=by)
        return
    now = timezone.now()
    held = set(
        Certificate.objects.filter(
            user_id=user.pk, revoked_at__isnull=True, expires_at__gt=now
        ).values_list("level_id", flat=True)
    )
    for level in CertificationLevel.objects.order_by("rank"):
        if level.pk not in held:
            certificate_grant(user=user, level=level, by=by, now=now)


@transaction.atomic
def staff_certification_set(
    *, user: User, certified: bool, by: User, signature: str | None = None
) -> StaffMember:
    """The policy page's switch and `POST /api/v1/routing/staff/{id}/certification`: the
    staff flag is kept for display, and a change of it grants or revokes certificates
    (reply rights come only from those)."""
    before = staff_member_for(user_id=user.pk)
    was = bool(before and before.certified)
    member = staff_certify(user=user, certified=certified, by=by, signature=signature)
    if certified != was:
        certified_set(user=user, certified=certified, by=by)
    return member


# -- guidelines -------------------------------------------------------------------------
@transaction.atomic
def guideline_publish(*, body: str, by: User, title: str = "") -> Guideline:
    """A new version: everyone acknowledges it before their next public reply."""
    _require_author(by)
    body = (body or "").strip()
    if not body or len(body) > 50_000:
        raise DomainError("The guidelines need a text.", fields={"body": ["1 to 50,000 chars"]})
    current = guideline_current()
    guideline = Guideline.objects.create(
        version=(current.version + 1) if current else 1,
        title=" ".join((title or "Social media guidelines").split())[:200],
        body=body,
        published_by_id=by.pk,
    )
    audit_record(
        actor=by,
        action="training.guideline_published",
        target_type="guideline",
        target_id=guideline.pk,
        summary=f"Published version {guideline.version} of the social media guidelines",
        after={"version": guideline.version, "chars": len(body)},
    )
    return guideline


@transaction.atomic
def guideline_acknowledge(*, guideline: Guideline, by: User) -> Acknowledgement:
    _require_member(by)
    ack, created = Acknowledgement.objects.get_or_create(guideline=guideline, user_id=by.pk)
    if created:
        audit_record(
            actor=by,
            action="training.guideline_acknowledged",
            target_type="guideline",
            target_id=guideline.pk,
            summary=f"{by.display_name} acknowledged version {guideline.version} of the guidelines",
            after={"version": guideline.version},
        )
    return ack


# -- expiry notices ---------------------------------------------------------------------
def certificates_expiry_notify(*, now: datetime | None = None) -> int:
    """Once per certificate, 14 days before it expires: a notice to the person and to the
    client's managers and admins. Returns how many certificates were announced."""
    now = now or timezone.now()
    due = list(
        Certificate.objects.select_related("level").filter(
            revoked_at__isnull=True,
            expiry_notice_at__isnull=True,
            expires_at__gt=now,
            expires_at__lte=now + timedelta(days=EXPIRY_NOTICE_DAYS),
        )
    )
    if not due:
        return 0
    client = current_client()
    members = {u.pk: u for u in client_members(client=client)}
    managers = [u.pk for u in client_members(client=client, min_role=Role.MANAGER)]
    count = 0
    for cert in due:
        with transaction.atomic():
            claimed = Certificate.objects.filter(pk=cert.pk, expiry_notice_at__isnull=True).update(
                expiry_notice_at=now
            )
            if not claimed:
                continue
            person = members.get(cert.user_id)
            name = person.display_name if person else f"user {cert.user_id}"
            when = f"{cert.expires_at:%Y-%m-%d}"
            notification_create(
                user_id=cert.user_id,
                text=f"Your {cert.level.name} certificate expires on {when}: retake its "
                "modules to renew it.",
                link="/training/",
            )
            for manager_id in managers:
                if manager_id != cert.user_id:
                    notification_create(
                        user_id=manager_id,
                        text=f"{name}'s {cert.level.name} certificate expires on {when}.",
                        link="/training/people/",
                    )
            audit_record(
                actor=None,
                action="training.expiry_notice",
                target_type="certificate",
                target_id=cert.pk,
                summary=f"Expiry notice for {name}'s {cert.level.name} certificate ({when})",
            )
            count += 1
    return count


def quiz_order(*, module: Module, user_id: int, attempt_number: int) -> list[Question]:
    """Questions and choices shuffled per person and attempt (stable while the page is
    reloaded, different on the next attempt)."""
    rng = random.Random(f"{module.pk}:{user_id}:{attempt_number}")  # noqa: S311 -- not secret
    questions = list(module.questions.all())
    rng.shuffle(questions)
    for question in questions:
        choices = list(question.choices.all())
        rng.shuffle(choices)
        question.shuffled_choices = choices  # type: ignore[attr-defined]
    return questions


def library_templates_ensure(*, templates: Sequence[Mapping[str, Any]]) -> int:
    """Store (or refresh) the agency's template modules in the public library; returns how
    many were new. Questions are checked like a client's."""
    created = 0
    for item in templates:
        _, new = LibraryModule.objects.update_or_create(
            slug=item["slug"],
            defaults={
                "title": item["title"],
                "summary": item.get("summary", ""),
                "lesson": item.get("lesson", ""),
                "pass_mark": item.get("pass_mark", 0.8),
                "questions": _questions_clean(item.get("questions", [])),
                "updated_at": timezone.now(),
            },
        )
        created += int(new)
    return created


@transaction.atomic
def training_starter_apply(
    *,
    by: User,
    levels: Mapping[str, Sequence[str]],
    guidelines: str,
    acknowledge_user_ids: Sequence[int] = (),
    due_in_days: int = 14,
) -> bool:
    """Start a client from the library (the demo does this): copy every template, let the
    levels need the named templates, assign the modules to responders, publish the
    guidelines and record who has acknowledged them. Does nothing when the client has
    modules already; returns whether it did something."""
    if Module.objects.exists():
        return False
    copied = {
        template.slug: module_copy_from_library(slug=template.slug, by=by)
        for template in LibraryModule.objects.order_by("title")
    }
    for level in CertificationLevel.objects.all():
        wanted = [copied[slug].pk for slug in levels.get(level.name, []) if slug in copied]
        if wanted:
            level_update(level=level, module_ids=wanted, by=by)
    due = timezone.localdate() + timedelta(days=due_in_days)
    for module in copied.values():
        assignment_create(module=module, role=Role.RESPONDER, due_date=due, by=by)
    guideline = guideline_current() or guideline_publish(body=guidelines, by=by)
    for user_id in acknowledge_user_ids:
        Acknowledgement.objects.get_or_create(guideline=guideline, user_id=user_id)
    return True
