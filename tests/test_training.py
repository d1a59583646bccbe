"""Training: grading, attempt limits, certificates and their expiry, reply rights from
certificates (the policy's decision table), guidelines, the migration of the old flags,
expiry notices, and isolation between clients and roles."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime, timedelta

import pytest
from django.apps import apps as django_apps
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.audit.models import AuditEntry
from config.errors import DomainError, NotAllowed
from mentions.models import Channel, Kind, Mention
from mentions.responses import response_check, response_create
from routing.models import Notification, StaffMember
from routing.training.grading import (
    QuestionKey,
    attempt_blocked_until,
    certificate_expiry,
    question_points,
    quiz_grade,
)
from routing.training.library.models import LibraryModule
from routing.training.models import Certificate, CertificationLevel
from routing.training.selectors import (
    module_get,
    module_list,
    people_rows,
    question_stats,
    reply_rights_for,
)
from routing.training.services import (
    assignment_create,
    attempt_submit,
    certificate_grant,
    certificates_expiry_notify,
    guideline_acknowledge,
    guideline_publish,
    level_update,
    module_copy_from_library,
    module_create,
)
from sources.services import ingest_batch_process, mentions_submit
from sources.services.polling import source_create_polled
from tests.factories import mention_item

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


# -- grading (pure) ----------------------------------------------------------------------
SINGLE = QuestionKey(id=1, multiple=False, correct=frozenset({11}))
MULTI = QuestionKey(id=2, multiple=True, correct=frozenset({21, 22}))


@pytest.mark.parametrize(
    ("key", "chosen", "points"),
    [
        (SINGLE, {11}, 1.0),
        (SINGLE, {12}, 0.0),
        (SINGLE, set(), 0.0),
        (MULTI, {21, 22}, 1.0),
        (MULTI, {21}, 0.5),  # partial: one of two right choices
        (MULTI, {21, 23}, 0.0),  # a wrong choice takes the share back
        (MULTI, {23, 24}, 0.0),  # never below zero
        (MULTI, {21, 22, 23}, 0.5),
    ],
)
def test_question_points_for_single_and_multiple_choice(key, chosen, points):
    assert question_points(key, chosen) == points


def test_quiz_grade_averages_points_and_compares_with_the_pass_mark():
    grade = quiz_grade(keys=[SINGLE, MULTI], answers={1: [11], 2: [21]}, pass_mark=0.75)
    assert grade.score == 0.75 and grade.passed
    assert grade.results == {1: True, 2: False}
    assert not quiz_grade(keys=[SINGLE, MULTI], answers={1: [11]}, pass_mark=0.75).passed


def test_attempts_are_limited_within_the_cool_down():
    cooldown = timedelta(hours=1)
    two = [T0, T0 + timedelta(minutes=10)]
    assert attempt_blocked_until(failed_at=two, max_attempts=3, cooldown=cooldown, now=T0) is None
    three = [*two, T0 + timedelta(minutes=20)]
    now = T0 + timedelta(minutes=30)
    assert (
        attempt_blocked_until(failed_at=three, max_attempts=3, cooldown=cooldown, now=now)
        == T0 + cooldown
    )
    later = T0 + cooldown + timedelta(seconds=1)  # the oldest left the window
    assert (
        attempt_blocked_until(failed_at=three, max_attempts=3, cooldown=cooldown, now=later) is None
    )
    assert (
        attempt_blocked_until(failed_at=three, max_attempts=0, cooldown=cooldown, now=now) is None
    )


@pytest.mark.parametrize(
    ("issued", "zone", "months", "expires"),
    [
        # 23:30 in Berlin on 31 January is still 31 January there: valid through 28 Feb.
        (
            datetime(2026, 1, 31, 22, 30, tzinfo=UTC),
            "Europe/Berlin",
            1,
            datetime(2026, 2, 28, 23, 0, tzinfo=UTC),
        ),
        # The same instant in New York is 31 January too.
        (
            datetime(2026, 1, 31, 22, 30, tzinfo=UTC),
            "America/New_York",
            1,
            datetime(2026, 3, 1, 5, 0, tzinfo=UTC),
        ),
        # 00:30 in Berlin on 1 February (23:30 UTC the day before): a month later is 1 March.
        (
            datetime(2026, 1, 31, 23, 30, tzinfo=UTC),
            "Europe/Berlin",
            1,
            datetime(2026, 3, 1, 23, 0, tzinfo=UTC),
        ),
        # Across the change to summer time: midnight is 22:00 UTC in summer.
        (
            datetime(2026, 3, 10, 12, 0, tzinfo=UTC),
            "Europe/Berlin",
            12,
            datetime(2027, 3, 10, 23, 0, tzinfo=UTC),
        ),
        (
            datetime(2026, 4, 10, 12, 0, tzinfo=UTC),
            "Europe/Berlin",
            2,
            datetime(2026, 6, 10, 22, 0, tzinfo=UTC),
        ),
    ],
)
def test_certificates_expire_at_the_end_of_the_day_in_the_client_time_zone(
    issued, zone, months, expires
):
    assert certificate_expiry(issued_at=issued, months=months, time_zone=zone) == expires


# -- fixtures ------------------------------------------------------------------------------
QUIZ = [
    {
        "text": "Who signs a public reply?",
        "explanation": "A named employee signs every public reply.",
        "choices": [{"text": "A named employee", "correct": True}, {"text": "Nobody"}],
    },
    {
        "text": "Which belong in a public reply?",
        "explanation": "Empathy and a next step; never personal data.",
        "multiple": True,
        "choices": [
            {"text": "Empathy", "correct": True},
            {"text": "A next step", "correct": True},
            {"text": "The customer's address"},
        ],
    },
]


def answers(module, *, right: bool):
    full = module_get(module_id=module.pk)
    out = {}
    for question in full.questions.all():
        choices = list(question.choices.all())
        picked = [c.pk for c in choices if c.correct == right]
        out[str(question.pk)] = picked[:1] if not question.multiple else picked
    return out


@pytest.fixture
def basics(world, in_acme):
    module = module_create(
        data={"title": "Guidelines basics", "lesson": "# Hi", "pass_mark": 0.8, "questions": QUIZ},
        by=world.alice,
    )
    responder = CertificationLevel.objects.get(name="Responder")
    level_update(level=responder, module_ids=[module.pk], by=world.alice)
    return module


@pytest.fixture
def toot(world, in_acme):
    """A complaint on Mastodon (a source that can post public replies)."""
    source = source_create_polled(
        kind="mastodon",
        name="Fediverse",
        config={"instance": "https://social.example", "hashtags": ["acme"], "search": False},
        credentials={"access_token": "tok"},
    )
    return ingest(
        source, text="Wo bleibt meine Erstattung?", author={"handle": "p", "followers": 5}
    )


def ingest(source, **item):
    data = mention_item(**item)
    result = mentions_submit(source=source, items=[data])
    ingest_batch_process(batch_id=result.batch_ids[0])
    return Mention.objects.select_related("author", "source").get(
        source=source, external_id=data["external_id"]
    )


# -- taking the quiz -------------------------------------------------------------------
def test_failing_then_passing_issues_the_certificate_and_audits_it(world, basics):
    failed = attempt_submit(module=basics, answers=answers(basics, right=False), by=world.rita)
    assert not failed.grade.passed and failed.grade.score == 0 and failed.certificates == []
    passed = attempt_submit(module=basics, answers=answers(basics, right=True), by=world.rita)
    assert passed.grade.passed and passed.grade.score == 1.0
    [cert] = passed.certificates
    assert cert.level.name == "Responder" and cert.source == "passed"
    assert cert.expires_at > timezone.now() + timedelta(days=360)
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"training.attempt", "training.certificate_issued"} <= actions
    # Passing again does not pile up certificates while the current one lasts.
    again = attempt_submit(module=basics, answers=answers(basics, right=True), by=world.rita)
    assert again.certificates == []


def test_partial_answers_score_a_share(world, basics):
    full = module_get(module_id=basics.pk)
    single, multi = list(full.questions.all())
    right_multi = [c.pk for c in multi.choices.all() if c.correct]
    outcome = attempt_submit(
        module=basics,
        answers={
            str(single.pk): [c.pk for c in single.choices.all() if c.correct],
            str(multi.pk): right_multi[:1],
        },
        by=world.rita,
    )
    assert outcome.grade.score == 0.75 and not outcome.grade.passed  # pass mark 0.8


def test_attempts_run_out_and_come_back_after_the_cool_down(world, basics):
    wrong = answers(basics, right=False)
    for minute in range(3):
        attempt_submit(
            module=basics, answers=wrong, by=world.rita, now=T0 + timedelta(minutes=minute)
        )
    with pytest.raises(DomainError, match="No attempts left"):
        attempt_submit(module=basics, answers=wrong, by=world.rita, now=T0 + timedelta(minutes=5))
    ok = attempt_submit(
        module=basics,
        answers=answers(basics, right=True),
        by=world.rita,
        now=T0 + timedelta(hours=2),
    )
    assert ok.grade.passed


@pytest.mark.parametrize(
    "bad",
    [
        {"999999": []},
        {"x": []},
        "not an object",
    ],
)
def test_answers_naming_other_questions_are_refused(world, basics, bad):
    with pytest.raises(DomainError):
        attempt_submit(module=basics, answers=bad, by=world.rita)


def test_a_choice_of_another_question_or_two_choices_on_single_choice_are_refused(world, basics):
    full = module_get(module_id=basics.pk)
    single, multi = list(full.questions.all())
    with pytest.raises(DomainError, match="another question"):
        attempt_submit(
            module=basics, answers={str(single.pk): [multi.choices.first().pk]}, by=world.rita
        )
    with pytest.raises(DomainError, match="one choice"):
        attempt_submit(
            module=basics,
            answers={str(single.pk): [c.pk for c in single.choices.all()]},
            by=world.rita,
        )


# -- reply rights: the decision table ---------------------------------------------------
@pytest.mark.parametrize(
    ("held", "kind", "segment", "level", "certified"),
    [
        ((), Kind.COMPLAINT, "regular", "Responder", False),
        (("Responder",), Kind.COMPLAINT, "regular", "Responder", True),
        (("Responder",), Kind.CRISIS, "regular", "Crisis responder", False),
        (("Responder",), Kind.COMPLAINT, "mass_connector", "Crisis responder", False),
        (("Responder",), Kind.COMPLAINT, "mass_maven", "Responder", True),
        (("Crisis responder",), Kind.CRISIS, "regular", "Crisis responder", True),
        (("Crisis responder",), Kind.QUESTION, "regular", "Responder", True),  # higher covers lower
        (("Crisis responder",), Kind.COMPLAINT, "mass_connector", "Crisis responder", True),
        (("expired",), Kind.COMPLAINT, "regular", "Responder", False),
        (("revoked",), Kind.COMPLAINT, "regular", "Responder", False),
    ],
)
def test_reply_rights_by_level_kind_segment_and_certificate_state(
    world, in_acme, held, kind, segment, level, certified
):
    responder = CertificationLevel.objects.get(name="Responder")
    now = timezone.now()
    for name in held:
        if name in ("expired", "revoked"):
            Certificate.objects.create(
                level=responder,
                user_id=world.rita.pk,
                source="manual",
                issued_at=now - timedelta(days=400),
                expires_at=now - timedelta(days=1)
                if name == "expired"
                else now + timedelta(days=9),
                revoked_at=now if name == "revoked" else None,
            )
        else:
            certificate_grant(
                user=world.rita, level=CertificationLevel.objects.get(name=name), by=world.alice
            )
    rights = reply_rights_for(user_id=world.rita.pk, mention_kind=kind, author_segment=segment)
    assert (rights.level, rights.certified) == (level, certified)


def test_segments_need_the_higher_level_only_where_the_level_says_so(world, in_acme):
    crisis = CertificationLevel.objects.get(name="Crisis responder")
    certificate_grant(
        user=world.rita, level=CertificationLevel.objects.get(name="Responder"), by=world.alice
    )
    level_update(level=crisis, for_segments=[], by=world.alice)
    try:
        rights = reply_rights_for(
            user_id=world.rita.pk, mention_kind=Kind.COMPLAINT, author_segment="mass_connector"
        )
        assert rights.certified and rights.level == "Responder"
    finally:
        level_update(level=crisis, for_segments=["mass_connector"], by=world.alice)


def test_uncertified_public_reply_waits_and_names_the_module_then_goes_out_after_passing(
    world, basics, toot
):
    mention = toot
    check = response_check(
        mention=mention, text="Wir melden uns", channel=Channel.PUBLIC, by=world.rita
    )
    assert check.approval_reasons == [
        "you need the Responder certificate (take “Guidelines basics” on /training/)"
    ]
    attempt_submit(module=basics, answers=answers(basics, right=True), by=world.rita)
    check = response_check(
        mention=mention, text="Wir melden uns", channel=Channel.PUBLIC, by=world.rita
    )
    assert check.approval_reasons == []


def test_public_replies_are_blocked_until_the_current_guidelines_are_acknowledged(world, toot):
    mention = toot
    first = guideline_publish(body="Be kind.", by=world.alice)
    check = response_check(mention=mention, text="Hallo", channel=Channel.PUBLIC, by=world.alice)
    assert check.blocked and "/training/guidelines/" in check.findings[-1].message
    # Other channels are not blocked.
    assert not response_check(
        mention=mention, text="Hallo", channel=Channel.PHONE, by=world.alice
    ).blocked
    guideline_acknowledge(guideline=first, by=world.alice)
    assert not response_check(
        mention=mention, text="Hallo", channel=Channel.PUBLIC, by=world.alice
    ).blocked
    guideline_publish(body="Be kind. Version 2.", by=world.alice)  # a change: acknowledge again
    with pytest.raises(DomainError):
        response_create(mention=mention, text="Hallo", channel=Channel.PUBLIC, by=world.alice)


# -- the migration of the old flags --------------------------------------------------------
def test_the_migration_turns_certified_flags_into_certificates_at_every_level(world, in_acme):
    StaffMember.objects.create(user_id=world.rita.pk, name="Rita", certified=True)
    StaffMember.objects.create(user_id=world.alice.pk, name="Alice", certified=False)
    migration = importlib.import_module(
        "routing.training.migrations.0002_levels_and_certified_flags"
    )
    migration.forwards(django_apps, None)
    levels = set(
        Certificate.objects.filter(user_id=world.rita.pk).values_list("level__name", "source")
    )
    assert levels == {("Responder", "migrated"), ("Crisis responder", "migrated")}
    assert not Certificate.objects.filter(user_id=world.alice.pk).exists()
    assert CertificationLevel.objects.count() == 2  # the defaults are not made twice
    for kind in (Kind.COMPLAINT, Kind.CRISIS):
        assert reply_rights_for(
            user_id=world.rita.pk, mention_kind=kind, author_segment=""
        ).certified


# -- expiry notices --------------------------------------------------------------------
def test_person_and_managers_are_told_once_14_days_before_expiry(world, in_acme):
    responder = CertificationLevel.objects.get(name="Responder")
    now = timezone.now()
    soon = Certificate.objects.create(
        level=responder,
        user_id=world.rita.pk,
        source="manual",
        issued_at=now,
        expires_at=now + timedelta(days=13),
    )
    Certificate.objects.create(
        level=responder,
        user_id=world.alice.pk,
        source="manual",
        issued_at=now,
        expires_at=now + timedelta(days=30),
    )
    assert certificates_expiry_notify(now=now) == 1
    assert certificates_expiry_notify(now=now) == 0
    texts = dict(Notification.objects.values_list("user_id", "text"))
    assert "Your Responder certificate expires" in texts[world.rita.pk]
    assert "Rita Responder's Responder certificate" in texts[world.alice.pk]
    soon.refresh_from_db()
    assert soon.expiry_notice_at is not None


# -- authoring, library, isolation ---------------------------------------------------------
def test_viewers_and_responders_cannot_author(world, in_acme):
    for person in (world.vera, world.rita):
        with pytest.raises(NotAllowed):
            module_create(data={"title": "Mine"}, by=person)


def test_questions_need_a_right_choice(world, in_acme):
    with pytest.raises(DomainError, match="right choice"):
        module_create(
            data={
                "title": "X",
                "questions": [{"text": "Q", "choices": [{"text": "a"}, {"text": "b"}]}],
            },
            by=world.alice,
        )


def test_a_library_template_is_copied_with_one_click(world, in_acme):
    LibraryModule.objects.update_or_create(
        slug="tone",
        defaults={"title": "Tone and signature", "lesson": "Be warm.", "questions": QUIZ},
    )
    module = module_copy_from_library(slug="tone", by=world.alice)
    assert module.library_slug == "tone" and module.questions.count() == 2
    assert AuditEntry.objects.filter(action="training.module_created", target_id=module.pk).exists()


def test_modules_and_results_of_one_client_are_invisible_to_another(world, basics):
    attempt_submit(module=basics, answers=answers(basics, right=True), by=world.rita)
    with tenant_context(world.globex.client):
        assert module_get(module_id=basics.pk) is None
        assert list(module_list()) == []
        assert Certificate.objects.filter(user_id=world.rita.pk).count() == 0
        assert question_stats() == []
        assert all(row.user_id != world.rita.pk for row in people_rows())
        with pytest.raises(NotAllowed):
            attempt_submit(module=basics, answers={}, by=world.rita)


def test_people_rows_show_assignments_progress_certificates_and_stats(world, basics):
    assignment_create(
        module=basics, role="responder", due_date=timezone.localdate(), by=world.alice
    )
    attempt_submit(module=basics, answers=answers(basics, right=False), by=world.rita)
    attempt_submit(module=basics, answers=answers(basics, right=True), by=world.rita)
    rows = {row.user_id: row for row in people_rows()}
    rita = rows[world.rita.pk]
    assert rita.progress == "1/1" and rita.attempts == 2
    assert [c.level.name for c in rita.certificates] == ["Responder"]
    assert rows[world.alice.pk].assigned == []  # assigned to responders only
    stats = question_stats()
    assert [s.wrong for s in stats] == [1, 1] and all(s.answered == 2 for s in stats)
