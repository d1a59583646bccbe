"""Training pages: My training (everyone), a module's lesson and quiz, the guidelines,
authoring (managers and client admins: modules, the agency's library, levels,
assignments) and the people page with its CSV export. Every change goes through
`routing.training.services`, validated and audited as in the API."""

from __future__ import annotations

import csv
from datetime import date
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from accounts.models import Role, User
from accounts.selectors import client_members, role_at_least
from config.errors import DomainError
from frontend.access import client_member_required
from frontend.params import form_int
from reports.exports import csv_safe
from routing.selectors import department_get, department_list
from routing.training.library.selectors import library_list
from routing.training.markdown import markdown_render
from routing.training.models import Module
from routing.training.quiztext import questions_format, questions_parse
from routing.training.selectors import (
    acknowledgements_for,
    assignment_get,
    assignment_list,
    assignments_for,
    attempts_for,
    certificates_for,
    department_ids_for,
    guideline_acknowledged,
    guideline_current,
    level_get,
    level_list,
    module_get,
    module_list,
    modules_passed,
    people_rows,
    question_stats,
)
from routing.training.services import (
    assignment_create,
    assignment_delete,
    attempt_blocked,
    attempt_submit,
    guideline_acknowledge,
    guideline_publish,
    level_update,
    module_copy_from_library,
    module_create,
    module_delete,
    module_update,
    quiz_order,
)


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _role(request: HttpRequest) -> str | None:
    return getattr(request, "lotse_role", None)


def _error_text(exc: DomainError) -> str:
    details = "; ".join(f"{field}: {', '.join(problems)}" for field, problems in exc.fields.items())
    return f"{exc.message} {details}".strip()


def _can_author(request: HttpRequest) -> bool:
    return role_at_least(_role(request), Role.MANAGER)


@client_member_required(Role.VIEWER)
def my_training(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    now = timezone.now()
    assigned = assignments_for(
        user_id=user.pk,
        role=_role(request),
        department_ids=department_ids_for(user_id=user.pk),
        today=timezone.localdate(),
    )
    assigned_ids = {row.module.pk for row in assigned}
    passed = modules_passed(user_id=user.pk)
    guideline = guideline_current()
    levels = [
        {
            "level": level,
            "modules": [{"module": m, "passed": m.pk in passed} for m in level.modules.all()],
        }
        for level in level_list()
    ]
    return render(
        request,
        "frontend/training.html",
        {
            "assigned": assigned,
            "others": [m for m in module_list() if m.pk not in assigned_ids],
            "passed": passed,
            "certificates": list(certificates_for(user_ids=[user.pk])),
            "now": now,
            "guideline": guideline,
            "acknowledged": bool(
                guideline and guideline_acknowledged(user_id=user.pk, guideline=guideline)
            ),
            "levels": levels,
            "can_author": _can_author(request),
        },
    )


def _module_or_404(module_id: int) -> Module:
    module = module_get(module_id=module_id)
    if module is None:
        raise Http404
    return module


@client_member_required(Role.VIEWER)
def module_take(request: HttpRequest, pk: int) -> HttpResponse:
    """The lesson and its quiz (questions and choices shuffled; nothing tells which choice
    is right until the attempt is submitted), then the result with explanations."""
    user = _user(request)
    module = _module_or_404(pk)
    result = None
    error = ""
    if request.method == "POST":
        answers = {
            str(q.pk): [c for c in request.POST.getlist(f"q{q.pk}") if c.isdigit()]
            for q in module.questions.all()
        }
        try:
            outcome = attempt_submit(module=module, answers=answers, by=user)
        except DomainError as exc:
            error = _error_text(exc)
        else:
            chosen = {int(k): {int(c) for c in v} for k, v in answers.items()}
            result = {
                "outcome": outcome,
                "percent": round(outcome.grade.score * 100),
                "questions": [
                    {
                        "question": q,
                        "right": outcome.grade.results.get(q.pk, False),
                        "choices": [
                            {
                                "choice": c,
                                "picked": c.pk in chosen.get(q.pk, set()),
                                "correct": c.correct,
                            }
                            for c in q.choices.all()
                        ],
                    }
                    for q in module.questions.all()
                ],
            }
    previous = attempts_for(user_id=user.pk, module_id=module.pk)
    blocked = attempt_blocked(module=module, user_id=user.pk, now=timezone.now())
    return render(
        request,
        "frontend/training_module.html",
        {
            "module": module,
            "lesson": markdown_render(module.lesson),
            "questions": quiz_order(module=module, user_id=user.pk, attempt_number=len(previous)),
            "previous": previous,
            "blocked": blocked,
            "result": result,
            "error": error,
            "can_author": _can_author(request),
        },
        status=400 if error else 200,
    )


@client_member_required(Role.VIEWER)
def guidelines_page(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    can_author = _can_author(request)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "publish":
                if not can_author:
                    return render(
                        request, "frontend/forbidden.html", {"needs": Role.MANAGER}, status=403
                    )
                published = guideline_publish(
                    body=request.POST.get("body", ""), title=request.POST.get("title", ""), by=user
                )
                messages.success(request, f"Published version {published.version}.")
            else:
                current = guideline_current()
                if current is None or str(current.version) != request.POST.get("version"):
                    raise DomainError("The guidelines changed meanwhile: read the new version.")
                guideline_acknowledge(guideline=current, by=user)
                messages.success(request, f"Thank you: version {current.version} acknowledged.")
        except DomainError as exc:
            messages.error(request, _error_text(exc))
        return redirect("training-guidelines")
    guideline = guideline_current()
    acks: list[dict[str, Any]] = []
    if can_author and guideline is not None:
        when = acknowledgements_for(guideline=guideline)
        acks = [
            {"user": member, "at": when.get(member.pk)}
            for member in client_members(client=request.tenant, min_role=Role.RESPONDER)  # type: ignore[attr-defined]
        ]
    return render(
        request,
        "frontend/training_guidelines.html",
        {
            "guideline": guideline,
            "body": markdown_render(guideline.body) if guideline else "",
            "acknowledged": bool(
                guideline and guideline_acknowledged(user_id=user.pk, guideline=guideline)
            ),
            "can_author": can_author,
            "acks": acks,
        },
    )


@client_member_required(Role.MANAGER)
def training_manage(request: HttpRequest) -> HttpResponse:
    """Authoring: modules, copies from the library, levels and assignments."""
    user = _user(request)
    if request.method == "POST":
        form = request.POST.get("form")
        try:
            if form == "module":
                module = module_create(
                    data={
                        "title": request.POST.get("title", ""),
                        "summary": request.POST.get("summary", ""),
                    },
                    by=user,
                )
                messages.success(request, f"Created {module.title!r}: write its lesson and quiz.")
                return redirect("training-module-edit", pk=module.pk)
            if form == "copy":
                module = module_copy_from_library(slug=request.POST.get("slug", ""), by=user)
                messages.success(request, f"Copied {module.title!r} from the library.")
            elif form == "level":
                level = level_get(level_id=form_int(request.POST.get("level_id")) or 0)
                if level is None:
                    raise DomainError("No such level.")
                level_update(
                    level=level,
                    module_ids=[int(v) for v in request.POST.getlist("modules") if v.isdigit()],
                    validity_months=form_int(request.POST.get("validity_months")) or 0,
                    for_crisis=request.POST.get("for_crisis") == "on",
                    for_segments=request.POST.getlist("for_segments"),
                    by=user,
                )
                messages.success(request, f"Saved the level {level.name}.")
            elif form == "assign":
                module = _module_or_404(form_int(request.POST.get("module_id")) or 0)
                department = form_int(request.POST.get("department_id"))
                due = request.POST.get("due_date", "").strip() or None
                try:
                    due_date = date.fromisoformat(due) if due else None
                except ValueError as exc:
                    raise DomainError("The due date is a date like 2026-12-31.") from exc
                assignment_create(
                    module=module,
                    role=request.POST.get("role", ""),
                    department_id=department,
                    due_date=due_date,
                    by=user,
                )
                messages.success(request, f"Assigned {module.title!r}.")
            elif form == "unassign":
                row = assignment_get(assignment_id=form_int(request.POST.get("assignment_id")) or 0)
                if row is not None:
                    assignment_delete(assignment=row, by=user)
                    messages.success(request, "Removed the assignment.")
        except DomainError as exc:
            messages.error(request, _error_text(exc))
        return redirect("training-manage")
    modules = list(module_list())
    return render(
        request,
        "frontend/training_manage.html",
        {
            "modules": modules,
            "library": library_list(),
            "copied": {m.library_slug for m in modules if m.library_slug},
            "levels": list(level_list()),
            "assignments": list(assignment_list()),
            "departments": list(department_list()),
            "roles": [(v, label) for v, label in Role.choices if v != Role.AGENCY_ADMIN],
            "segments": ("mass_connector", "mass_maven", "regular"),
        },
    )


@client_member_required(Role.MANAGER)
def module_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    module = _module_or_404(pk)
    quiz_text = questions_format(
        {
            "text": q.text,
            "multiple": q.multiple,
            "explanation": q.explanation,
            "choices": [{"text": c.text, "correct": c.correct} for c in q.choices.all()],
        }
        for q in module.questions.all()
    )
    error = ""
    if request.method == "POST":
        if request.POST.get("action") == "delete":
            module_delete(module=module, by=user)
            messages.success(request, f"Deleted {module.title!r}.")
            return redirect("training-manage")
        quiz_text = request.POST.get("quiz", "")
        try:
            module_update(
                module=module,
                data={
                    "title": request.POST.get("title", ""),
                    "summary": request.POST.get("summary", ""),
                    "lesson": request.POST.get("lesson", ""),
                    "pass_mark": (form_int(request.POST.get("pass_percent")) or 0) / 100,
                    "max_attempts": request.POST.get("max_attempts", ""),
                    "cooldown_minutes": request.POST.get("cooldown_minutes", ""),
                    "questions": questions_parse(quiz_text),
                },
                by=user,
            )
        except DomainError as exc:
            error = _error_text(exc)
        else:
            messages.success(request, f"Saved {module.title!r}.")
            return redirect("training-module-edit", pk=module.pk)
    return render(
        request,
        "frontend/training_module_edit.html",
        {
            "module": module,
            "pass_percent": round(module.pass_mark * 100),
            "quiz_text": quiz_text,
            "error": error,
        },
        status=400 if error else 200,
    )


PEOPLE_CSV_HEADER = [
    "name",
    "email",
    "role",
    "departments",
    "assigned",
    "passed",
    "overdue",
    "attempts",
    "certificates",
    "next expiry",
    "guidelines version",
]


@client_member_required(Role.MANAGER)
def people_training(request: HttpRequest) -> HttpResponse:
    """Each person's assigned modules, progress, certificates and expiry, attempts and
    guideline acknowledgement; question statistics; by department; CSV."""
    department_id = form_int(request.GET.get("department"))
    department = department_get(department_id=department_id) if department_id else None
    rows = people_rows(department_id=department.pk if department else None)
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="training-people.csv"'
        writer = csv.writer(response)
        writer.writerow(PEOPLE_CSV_HEADER)
        for row in rows:
            writer.writerow(
                csv_safe(value)
                for value in (
                    row.name,
                    row.email,
                    row.role,
                    "; ".join(row.departments),
                    len(row.assigned),
                    sum(1 for a in row.assigned if a.passed),
                    sum(1 for a in row.assigned if a.overdue),
                    row.attempts,
                    "; ".join(
                        f"{c.level.name} until {c.expires_at:%Y-%m-%d}" for c in row.certificates
                    ),
                    f"{row.next_expiry:%Y-%m-%d}" if row.next_expiry else "",
                    row.acknowledged_version or "",
                )
            )
        return response
    guideline = guideline_current()
    return render(
        request,
        "frontend/training_people.html",
        {
            "rows": rows,
            "departments": list(department_list()),
            "department": department,
            "stats": [s for s in question_stats() if s.answered][:30],
            "guideline": guideline,
        },
    )
