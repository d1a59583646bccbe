"""The routing matrix, compiled: which rule a mention falls under, and why.

Pure and fast: rules are compiled once per batch; each decision prepares the text once
(only if some candidate rule looks at the text) and checks the cheap conditions first.
Rules are indexed by kind, so a complaint never looks at rules that only take praise.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sources.query import (
    CompiledQuery,
    PreparedDocument,
    QueryDocument,
    compile_query,
    phrase_word,
    prepare_document,
)


@dataclass(frozen=True, slots=True)
class RoutingInput:
    """What routing looks at; built from a triaged mention or a "try it" request."""

    text: str
    kind: str = "other"
    language: str = ""
    sentiment: str = ""
    aspects: tuple[str, ...] = ()
    country: str = ""
    source_id: int | None = None
    source_kind: str = ""
    source_name: str = ""
    author_handle: str = ""
    author_followers: int = 0
    influence: float | None = None
    segment: str = ""
    cluster_size: int = 1


@dataclass(frozen=True, slots=True)
class RoutingDecision:
    department_id: int | None
    rule_id: int | None
    priority: int
    reason: str
    team_id: int | None = None
    assignee_id: int | None = None
    ignore: bool = False
    escalate: bool = False
    require_approval: bool = False
    copy_to_id: int | None = None
    sla_policy_id: int | None = None
    skill_tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RuleSpec:
    """A rule as data (from the database, a template or a benchmark)."""

    id: int | None
    name: str
    department_id: int
    department_name: str
    priority: int = 2
    kinds: Sequence[str] = ()
    aspects: Sequence[str] = ()
    languages: Sequence[str] = ()
    countries: Sequence[str] = ()
    sentiments: Sequence[str] = ()
    source_kinds: Sequence[str] = ()
    source_ids: Sequence[int] = ()
    segments: Sequence[str] = ()
    min_followers: int | None = None
    min_influence: float | None = None
    min_cluster_size: int | None = None
    keywords: Sequence[str] = ()
    query: str = ""
    team_id: int | None = None
    assignee_id: int | None = None
    ignore: bool = False
    escalate: bool = False
    require_approval: bool = False
    copy_to_id: int | None = None
    is_default: bool = False
    sla_policy_id: int | None = None
    skill_tags: Sequence[str] = ()


def _set(values: Iterable[str]) -> frozenset[str] | None:
    return frozenset(v.lower() for v in values if v) or None


def _keyword_query(keyword: str) -> str:
    escaped = keyword.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


@dataclass(slots=True)
class CompiledRule:
    spec: RuleSpec
    kinds: frozenset[str] | None
    aspects: frozenset[str] | None
    languages: frozenset[str] | None
    countries: frozenset[str] | None
    sentiments: frozenset[str] | None
    source_kinds: frozenset[str] | None
    source_ids: frozenset[int] | None
    segments: frozenset[str] | None
    keyword_queries: tuple[tuple[str, CompiledQuery], ...]
    query: CompiledQuery | None
    needs_text: bool = field(init=False)
    # When every keyword is one word: those words, so a text that has none of them is
    # ruled out with one set intersection instead of a match per keyword.
    keyword_words: frozenset[str] | None = field(init=False)

    def __post_init__(self) -> None:
        self.needs_text = bool(self.keyword_queries) or self.query is not None
        words = [phrase_word(keyword) for keyword, _ in self.keyword_queries]
        self.keyword_words = frozenset(w for w in words if w) if words and all(words) else None


def compile_rule(spec: RuleSpec) -> CompiledRule:
    keywords = tuple(
        (keyword, compile_query(_keyword_query(keyword)))
        for keyword in (k.strip() for k in spec.keywords)
        if keyword
    )
    return CompiledRule(
        spec=spec,
        kinds=_set(spec.kinds),
        aspects=_set(spec.aspects),
        languages=_set(spec.languages),
        countries=frozenset(c.upper() for c in spec.countries if c) or None,
        sentiments=_set(spec.sentiments),
        source_kinds=_set(spec.source_kinds),
        source_ids=frozenset(spec.source_ids) or None,
        segments=_set(spec.segments),
        keyword_queries=keywords,
        query=compile_query(spec.query) if spec.query.strip() else None,
    )


class _Text:
    """The mention's text, prepared at most once per decision."""

    __slots__ = ("doc", "prepared")

    def __init__(self, doc: QueryDocument) -> None:
        self.doc = doc
        self.prepared: PreparedDocument | None = None

    def get(self) -> PreparedDocument:
        if self.prepared is None:
            self.prepared = prepare_document(self.doc)
        return self.prepared


def _explain(rule: CompiledRule, item: RoutingInput, keyword: str | None) -> str:
    spec = rule.spec
    parts: list[str] = []
    if rule.kinds:
        parts.append(f"kind is {item.kind}")
    if rule.sentiments:
        parts.append(f"sentiment {item.sentiment}")
    if rule.languages:
        parts.append(f"language {item.language}")
    if rule.countries:
        parts.append(f"country {item.country}")
    if rule.aspects:
        matched = sorted(rule.aspects & {a.lower() for a in item.aspects})
        parts.append(f"about {', '.join(matched)}")
    if rule.source_kinds or rule.source_ids:
        parts.append(f"from {item.source_name or item.source_kind}")
    if spec.min_followers is not None:
        parts.append(f"{item.author_followers:,} followers ≥ {spec.min_followers:,}")
    if spec.min_influence is not None and item.influence is not None:
        parts.append(f"influence {item.influence:.2f} ≥ {spec.min_influence:.2f}")
    if rule.segments:
        parts.append(f"author is a {item.segment.replace('_', ' ')}")
    if spec.min_cluster_size is not None:
        parts.append(f"{item.cluster_size} reports of the same problem ≥ {spec.min_cluster_size}")
    if keyword is not None:
        parts.append(f'text contains "{keyword}"')
    if rule.query is not None:
        shown = spec.query if len(spec.query) <= 60 else spec.query[:57] + "…"
        parts.append(f"text matches {shown}")
    target = spec.department_name
    why = ", ".join(parts) if parts else "catches everything else"
    return f'Rule "{spec.name}": {why} → {target}'[:500]


class Matrix:
    """A compiled matrix; `decide` is the hot path."""

    def __init__(
        self,
        rules: Sequence[RuleSpec],
        *,
        fallback_department_id: int | None = None,
        fallback_department_name: str = "",
    ) -> None:
        ordered = [compile_rule(spec) for spec in rules if not spec.is_default]
        defaults = [compile_rule(spec) for spec in rules if spec.is_default]
        self.default = defaults[0] if defaults else None
        self.fallback_department_id = fallback_department_id
        self.fallback_department_name = fallback_department_name
        self._any_kind = tuple(rule for rule in ordered if rule.kinds is None)
        kinds = {kind for rule in ordered if rule.kinds for kind in rule.kinds}
        self._by_kind = {
            kind: tuple(r for r in ordered if r.kinds is None or kind in r.kinds) for kind in kinds
        }
        self.size = len(ordered) + len(defaults)
        every = [*ordered, *defaults]
        # Whether any rule looks at the problem-cluster size: then a batch's clusters must be
        # planned before it is routed (`mentions.pipeline.mentions_store`).
        self.reads_cluster_size = any(rule.spec.min_cluster_size is not None for rule in every)
        self._rule_names = {rule.spec.id: rule.spec.name for rule in every}
        self._department_names = {
            rule.spec.department_id: rule.spec.department_name for rule in every
        }
        if fallback_department_id is not None:
            self._department_names[fallback_department_id] = fallback_department_name

    def is_catch_all(self, decision: RoutingDecision) -> bool:
        """Did no explicit rule claim the mention (default rule or fallback department)?"""
        return decision.rule_id is None or (
            self.default is not None and decision.rule_id == self.default.spec.id
        )

    def rule_name(self, rule_id: int | None) -> str:
        return self._rule_names.get(rule_id, "") if rule_id is not None else ""

    def department_name(self, department_id: int | None) -> str:
        if department_id is None:
            return ""
        return self._department_names.get(department_id, "")

    def candidates(self, kind: str) -> tuple[CompiledRule, ...]:
        return self._by_kind.get(kind.lower(), self._any_kind)

    def decide(self, item: RoutingInput) -> RoutingDecision:
        text = _Text(
            QueryDocument(
                text=item.text,
                language=item.language,
                author=item.author_handle,
                source=item.source_name,
                source_kind=item.source_kind,
                country=item.country,
            )
        )
        seen = _Seen(
            language=item.language.lower().split("-")[0],
            sentiment=item.sentiment.lower(),
            country=item.country.upper(),
            source_kind=item.source_kind.lower(),
            segment=item.segment.lower(),
            aspects=frozenset(a.lower() for a in item.aspects),
        )
        for rule in self.candidates(item.kind):
            keyword = _matches(rule, item, seen, text)
            if keyword is not False:
                return _decision(rule, item, keyword if isinstance(keyword, str) else None)
        if self.default is not None:
            return _decision(self.default, item, None)
        if self.fallback_department_id is None:
            return RoutingDecision(None, None, 2, "No rule matched and there is no default.")
        return RoutingDecision(
            department_id=self.fallback_department_id,
            rule_id=None,
            priority=2,
            reason=f"No rule matched → default department {self.fallback_department_name}",
        )


@dataclass(frozen=True, slots=True)
class _Seen:
    """The input's fields in the form rules compare them, worked out once per decision."""

    language: str
    sentiment: str
    country: str
    source_kind: str
    segment: str
    aspects: frozenset[str]


def _matches(rule: CompiledRule, item: RoutingInput, seen: _Seen, text: _Text) -> str | bool:
    """False if the rule does not apply; else True, or the keyword that made it apply."""
    spec = rule.spec
    if rule.languages is not None and seen.language not in rule.languages:
        return False
    if rule.sentiments is not None and seen.sentiment not in rule.sentiments:
        return False
    if rule.countries is not None and seen.country not in rule.countries:
        return False
    if rule.source_ids is not None and item.source_id not in rule.source_ids:
        return False
    if rule.source_kinds is not None and seen.source_kind not in rule.source_kinds:
        return False
    if spec.min_followers is not None and item.author_followers < spec.min_followers:
        return False
    if spec.min_influence is not None and (item.influence or 0.0) < spec.min_influence:
        return False
    if rule.segments is not None and seen.segment not in rule.segments:
        return False
    if spec.min_cluster_size is not None and item.cluster_size < spec.min_cluster_size:
        return False
    if rule.aspects is not None and rule.aspects.isdisjoint(seen.aspects):
        return False
    if not rule.needs_text:
        return True
    prepared = text.get()
    if rule.query is not None and not rule.query.matches_prepared(prepared):
        return False
    if rule.keyword_queries:
        if rule.keyword_words is not None and rule.keyword_words.isdisjoint(prepared.words):
            return False
        for keyword, compiled in rule.keyword_queries:
            if compiled.matches_prepared(prepared):
                return keyword
        return False
    return True


def _decision(rule: CompiledRule, item: RoutingInput, keyword: str | None) -> RoutingDecision:
    spec = rule.spec
    return RoutingDecision(
        department_id=spec.department_id,
        rule_id=spec.id,
        priority=spec.priority,
        reason=_explain(rule, item, keyword),
        team_id=spec.team_id,
        assignee_id=spec.assignee_id,
        ignore=spec.ignore,
        escalate=spec.escalate,
        require_approval=spec.require_approval,
        copy_to_id=spec.copy_to_id,
        sla_policy_id=spec.sla_policy_id,
        skill_tags=tuple(spec.skill_tags),
    )
