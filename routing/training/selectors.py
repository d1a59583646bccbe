"""Reads for training: modules, what a person must take, certificates, reply rights, the
people page and question statistics. Every read is in the current client's schema."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from accounts.models import Role, User
from accounts.selectors import client_memberships, role_at_least
from config.tenancy import current_client
from routing.models import Department
from routing.selectors import staff_list
from routing.training.models import (
    Acknowledgement,
    Assignment,
    Attempt,
    Certificate,
    CertificationLevel,
    Choice,
    Guideline,
    Module,
    Question,
)


def module_list() -> QuerySet[Module]:
    return Module.objects.annotate(question_count=Count("questions")).order_by("title", "id")


def module_get(*, module_id: int) -> Module | None:
    """A module with its questions and choices (two prefetches)."""
    return (
        Module.objects.filter(pk=module_id)
        .prefetch_related(
            Prefetch(
                "questions",
                queryset=Question.objects.prefetch_related(
                    Prefetch("choices", queryset=Choice.objects.order_by("position", "id"))
                ).order_by("position", "id"),
            )
        )
        .first()
    )


def level_list() -> QuerySet[CertificationLevel]:
    return CertificationLevel.objects.prefetch_related("modules").order_by("rank", "id")


def guideline_current() -> Guideline | None:
    return Guideline.objects.order_by("-version").first()


def guideline_acknowledged(*, user_id: int, guideline: Guideline) -> bool:
    return Acknowledgement.objects.filter(guideline=guideline, user_id=user_id).exists()


def certificates_valid(*, user_id: int, now: datetime | None = None) -> list[Certificate]:
    now = now or timezone.now()
    return list(
        Certificate.objects.filter(user_id=user_id, revoked_at__isnull=True, expires_at__gt=now)
        .select_related("level")
        .order_by("-level__rank", "-expires_at")
    )


def certificates_for(*, user_ids: Iterable[int] | None = None) -> QuerySet[Certificate]:
    """Certificates (the whole history), newest first."""
    rows = Certificate.objects.select_related("level").order_by("-issued_at", "-id")
    return rows if user_ids is None else rows.filter(user_id__in=list(user_ids))


def modules_passed(*, user_id: int) -> set[int]:
    return set(
        Attempt.objects.filter(user_id=user_id, passed=True).values_list("module_id", flat=True)
    )


@dataclass(frozen=True)
class ReplyRights:
    """What a public reply by one person to one mention needs, and whether they have it."""

    level: str  # the level needed ('' when the client has no levels)
    certified: bool  # holds a valid certificate at that level or higher
    modules_to_take: list[str] = field(default_factory=list)
    guideline_version: int | None = None  # current version, when not yet acknowledged


def level_required(
    *, levels: list[CertificationLevel], mention_kind: str, author_segment: str
) -> CertificationLevel | None:
    """The lowest level is needed for every public reply; crisis mentions and authors in a
    level's segments need that level (the highest that applies)."""
    if not levels:
        return None
    needed = levels[0]
    for level in levels:
        applies = (level.for_crisis and mention_kind == "crisis") or (
            bool(author_segment) and author_segment in level.for_segments
        )
        if applies and level.rank > needed.rank:
            needed = level
    return needed


def reply_rights_for(
    *, user_id: int, mention_kind: str, author_segment: str, now: datetime | None = None
) -> ReplyRights:
    levels = list(level_list())
    guideline = guideline_current()
    pending = (
        guideline.version
        if guideline and not guideline_acknowledged(user_id=user_id, guideline=guideline)
        else None
    )
    needed = level_required(levels=levels, mention_kind=mention_kind, author_segment=author_segment)
    if needed is None:
        return ReplyRights(level="", certified=False, guideline_version=pending)
    held = certificates_valid(user_id=user_id, now=now)
    if any(cert.level.rank >= needed.rank for cert in held):
        return ReplyRights(level=needed.name, certified=True, guideline_version=pending)
    passed = modules_passed(user_id=user_id)
    to_take = [module.title for module in needed.modules.all() if module.pk not in passed]
    return ReplyRights(
        level=needed.name, certified=False, modules_to_take=to_take, guideline_version=pending
    )


# -- assignments -----------------------------------------------------------------------
@dataclass(frozen=True)
class AssignedModule:
    module: Module
    due_date: date | None
    passed: bool
    overdue: bool
    attempts: int


def _assignments_matching(*, role: str | None, department_ids: set[int]) -> list[Assignment]:
    rows = Assignment.objects.select_related("module").filter(
        Q(role="") | Q(role=role or "-"),
        Q(department__isnull=True) | Q(department_id__in=department_ids),
    )
    return list(rows.order_by("due_date", "id"))


def assignments_for(
    *, user_id: int, role: str | None, department_ids: set[int], today: date
) -> list[AssignedModule]:
    """The person's assigned modules (one row per module, earliest due date), passed or not."""
    passed = modules_passed(user_id=user_id)
    tries: dict[int, int] = dict(
        Attempt.objects.filter(user_id=user_id)
        .values_list("module_id")
        .annotate(n=Count("id"))
        .values_list("module_id", "n")
    )
    seen: dict[int, AssignedModule] = {}
    for row in _assignments_matching(role=role, department_ids=department_ids):
        if row.module_id in seen:
            continue
        done = row.module_id in passed
        seen[row.module_id] = AssignedModule(
            module=row.module,
            due_date=row.due_date,
            passed=done,
            overdue=bool(row.due_date and row.due_date < today and not done),
            attempts=tries.get(row.module_id, 0),
        )
    return list(seen.values())


def department_ids_for(*, user_id: int) -> set[int]:
    member = staff_list().filter(user_id=user_id).first()
    return {d.pk for d in member.departments.all()} if member else set()


@dataclass(frozen=True)
class TrainingDueReads:
    """What the header's training badge counts, as querysets (the header reads them with
    its other counts in one statement, `config.reads`): assigned modules not passed yet,
    and, for responders and up, whether the current guideline is acknowledged."""

    modules: QuerySet[Assignment, Any]
    guideline: QuerySet[Guideline, Any] | None


def training_due_reads(*, user: User, role: str | None) -> TrainingDueReads:
    # The person's departments as a subquery: no read of their own for the badge.
    departments = Department.objects.filter(staff__user_id=user.pk).values("pk")
    modules = (
        Assignment.objects.filter(
            Q(role="") | Q(role=role or "-"),
            Q(department__isnull=True) | Q(department_id__in=departments),
        )
        .exclude(
            module_id__in=Attempt.objects.filter(user_id=user.pk, passed=True).values("module_id")
        )
        .values("module_id")
        .distinct()
    )
    guideline = None
    if role_at_least(role, Role.RESPONDER):
        guideline = (
            Guideline.objects.order_by("-version")
            .annotate(
                acknowledged=Exists(
                    Acknowledgement.objects.filter(guideline=OuterRef("pk"), user_id=user.pk)
                )
            )
            .values_list("acknowledged", flat=True)
        )
    return TrainingDueReads(modules=modules, guideline=guideline)


def training_due_total(*, modules: int, acknowledged: bool | None) -> int:
    """The badge: modules to do, plus one for a guideline not acknowledged (None: there is
    no guideline, or the person need not acknowledge it)."""
    return modules + (1 if acknowledged is False else 0)


# -- people page and statistics -------------------------------------------------------
@dataclass
class PersonRow:
    user_id: int
    name: str
    email: str
    role: str
    departments: list[str]
    assigned: list[AssignedModule]
    certificates: list[Certificate]  # valid ones
    attempts: int
    acknowledged_version: int | None

    @property
    def progress(self) -> str:
        done = sum(1 for row in self.assigned if row.passed)
        return f"{done}/{len(self.assigned)}"

    @property
    def next_expiry(self) -> datetime | None:
        return min((cert.expires_at for cert in self.certificates), default=None)


def people_rows(*, department_id: int | None = None) -> list[PersonRow]:
    """One row per active member of the client (agency staff left out), optionally only those
    in one department. A fixed number of queries, whatever the number of people."""
    client = current_client()
    now = timezone.now()
    today = timezone.localdate()
    staff = {member.user_id: member for member in staff_list()}
    memberships = [m for m in client_memberships(client=client) if m.deactivated_at is None]
    user_ids = [m.user_id for m in memberships]
    passed: dict[int, set[int]] = defaultdict(set)
    tries: dict[int, int] = defaultdict(int)
    for user_id, module_id, ok in Attempt.objects.filter(user_id__in=user_ids).values_list(
        "user_id", "module_id", "passed"
    ):
        tries[user_id] += 1
        if ok:
            passed[user_id].add(module_id)
    valid: dict[int, list[Certificate]] = defaultdict(list)
    for cert in certificates_for(user_ids=user_ids).filter(
        revoked_at__isnull=True, expires_at__gt=now
    ):
        valid[cert.user_id].append(cert)
    acked: dict[int, int] = {}
    for user_id, version in Acknowledgement.objects.filter(user_id__in=user_ids).values_list(
        "user_id", "guideline__version"
    ):
        acked[user_id] = max(version, acked.get(user_id, 0))
    assignments = list(Assignment.objects.select_related("module").order_by("due_date", "id"))
    rows = []
    for membership in memberships:
        member = staff.get(membership.user_id)
        departments = list(member.departments.all()) if member else []
        if department_id is not None and department_id not in {d.pk for d in departments}:
            continue
        dept_ids = {d.pk for d in departments}
        seen: dict[int, AssignedModule] = {}
        for row in assignments:
            if row.role and row.role != membership.role:
                continue
            if row.department_id is not None and row.department_id not in dept_ids:
                continue
            if row.module_id in seen:
                continue
            done = row.module_id in passed[membership.user_id]
            seen[row.module_id] = AssignedModule(
                module=row.module,
                due_date=row.due_date,
                passed=done,
                overdue=bool(row.due_date and row.due_date < today and not done),
                attempts=0,
            )
        rows.append(
            PersonRow(
                user_id=membership.user_id,
                name=membership.user.display_name,
                email=membership.user.email,
                role=membership.role,
                departments=[d.name for d in departments],
                assigned=list(seen.values()),
                certificates=valid[membership.user_id],
                attempts=tries[membership.user_id],
                acknowledged_version=acked.get(membership.user_id),
            )
        )
    return rows


@dataclass(frozen=True)
class QuestionStat:
    module: str
    question_id: int
    text: str
    answered: int
    wrong: int

    @property
    def wrong_share(self) -> float:
        return self.wrong / self.answered if self.answered else 0.0


def question_stats() -> list[QuestionStat]:
    """How often each question was answered wrong, the most failed first."""
    questions = {q.pk: q for q in Question.objects.select_related("module")}
    answered: dict[int, int] = defaultdict(int)
    wrong: dict[int, int] = defaultdict(int)
    for results in Attempt.objects.values_list("results", flat=True).iterator():
        for key, ok in (results or {}).items():
            qid = int(key)
            answered[qid] += 1
            wrong[qid] += 0 if ok else 1
    stats = [
        QuestionStat(
            module=q.module.title,
            question_id=q.pk,
            text=q.text,
            answered=answered[q.pk],
            wrong=wrong[q.pk],
        )
        for q in questions.values()
    ]
    return sorted(stats, key=lambda s: (-s.wrong_share, -s.wrong, s.module, s.question_id))


def attempts_for(*, user_id: int, module_id: int) -> list[Attempt]:
    return list(Attempt.objects.filter(user_id=user_id, module_id=module_id))


def acknowledgements_for(*, guideline: Guideline) -> dict[int, datetime]:
    return dict(
        Acknowledgement.objects.filter(guideline=guideline).values_list(
            "user_id", "acknowledged_at"
        )
    )


def guideline_list() -> QuerySet[Guideline]:
    return Guideline.objects.order_by("-version")


def acknowledgement_list() -> QuerySet[Acknowledgement]:
    return Acknowledgement.objects.select_related("guideline").order_by("-id")


def assignment_list() -> QuerySet[Assignment]:
    return Assignment.objects.select_related("module", "department").order_by("due_date", "id")


def assignment_get(*, assignment_id: int) -> Assignment | None:
    return assignment_list().filter(pk=assignment_id).first()


def level_get(*, level_id: int) -> CertificationLevel | None:
    return level_list().filter(pk=level_id).first()
