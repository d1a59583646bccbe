# ruff: noqa: RUF001 - the Turkish cue words are spelled with a dotless i
"""Small, transparent cue lists: the kinds no public data set labels, and the sentiment
fallback for languages without a trained model.

Crisis, job/HR, spam and idea cues are precise words in the languages we detect; a client's
own labels train a kind model that takes over (see `learn.py`). The sentiment fallback is a
word and emoji list; results from it say `method: "lexicon"` so nobody mistakes it for a
measured model.
"""

from __future__ import annotations

import re

from mentions.triage.text import keyword_pattern


def _cues(*groups: str) -> re.Pattern[str]:
    """The cue words of some languages (`-` joins the words of a phrase) as one pattern."""
    pattern = keyword_pattern(word for group in groups for word in group.split())
    return pattern or re.compile(r"(?!)")


CRISIS = _cues(
    "fire explosion exploded injured injuries injury accident poisoning poisoned recall "
    "boycott shitstorm dangerous unsafe evacuated evacuation derailed derailment collapsed "
    "lawsuit outage* data-breach breach hacked leak leaked",
    "feuer brand explosion verletzt verletzte unfall vergiftung vergiftet rückruf* boykott* "
    "gefährlich evakuiert entgleist datenleck gehackt notarzt schwerverletzt*",
    "incendie blessé* accident rappel boycott dangereux évacué*",
    "incendio herido* accidente retirada boicot peligroso evacuad*",
    "incendio ferit* incidente richiamo boicottaggio pericoloso evacuat*",
    "brand gewond* ongeluk terugroep* boycot gevaarlijk geëvacueerd",
    "pożar rann* wypadek wycofanie bojkot niebezpieczn*",
    "yangın yaralı kaza geri-çağırma boykot tehlikeli",
)
JOB = _cues(
    "job jobs hiring career careers internship apprenticeship vacancy vacancies recruiter "
    "recruiting applied application salary",
    "stelle stellenangebot* bewerbung* bewerben beworben ausbildung* praktikum karriere "
    "jobangebot* gehalt azubi personalabteilung",
    "emploi candidature stage recrutement carrière salaire",
    "empleo candidatura prácticas contratación salario",
    "lavoro candidatura tirocinio assunzion* stipendio",
    "vacature sollicitatie stage salaris",
    "praca rekrutacja staż wynagrodzenie",
    "iş başvuru staj maaş",
)
SPAM = _cues(
    "crypto bitcoin giveaway casino promo-code promocode onlyfans forex airdrop nft "
    "follow-back followback free-followers",
    "gewinnspiel gratis-follower",
)
IDEA = _cues(
    "suggestion suggest idea wish would-be-great please-add feature-request why-not "
    "it-would-be-nice could-you-add",
    "vorschlag idee wunsch wäre-toll wäre-schön wäre-super bitte-einführen warum-nicht könntet-ihr",
    "suggestion idée souhait serait-bien",
    "sugerencia idea ojalá estaría-bien",
    "suggerimento idea sarebbe-bello",
    "suggestie idee zou-fijn-zijn",
    "sugestia pomysł",
    "öneri fikir",
)
# Praise words said in scorn ("Danke für nichts", "great, another delay"): a negative cue
# that also cancels the praise word inside it.
SARCASM = re.compile(
    r"(?<!\w)(?:"
    r"danke für nichts|danke auch|vielen dank auch|na danke|na toll|na super|na prima|"
    r"ganz toll|echt toll(?:,| gemacht)|super gemacht|toll gemacht|klasse gemacht|"
    r"(?:super|toll|klasse|prima|großartig|herrlich)[,!.]* (?:schon wieder|wieder mal|"
    r"mal wieder|wieder einmal|noch eine?r?n?|der nächste|die nächste)|"
    r"thanks for nothing|thank you for nothing|thanks a lot for nothing|"
    r"(?:great|brilliant|perfect|wonderful|fantastic|awesome|lovely|nice)[,!.]* "
    r"(?:another|again|yet another|just what i needed)|just great|just brilliant|"
    r"yeah right|love (?:it|how|that) when|love being|love waiting|"
    r"thanks for (?:the|another) (?:delay|wait|cancell?ation)"
    r")(?!\w)"
)
# A report that the client is not affected ("Autobahn gesperrt … Nordbahn nicht betroffen")
# is no crisis and no complaint.
UNAFFECTED = _cues(
    "nicht-betroffen nicht-beeinträchtigt keine-auswirkungen nicht-beeinträchtigt "
    "not-affected unaffected no-impact no-disruption not-impacted",
)
# How the press reports: sources, agencies and reported speech. With no first or second
# person ("ich", "you") and some length, a post is read as a press report ("news").
_REPORTING = _cues(
    "teilte-mit teilten-mit mitgeteilt mitteilte mitteilten sagte-ein-sprecher "
    "sagte-eine-sprecherin ein-sprecher eine-sprecherin sprecher sprecherin "
    "nach-angaben laut-polizei laut-einem-bericht berichtet berichtete berichten "
    "pressemitteilung dpa afp epd agenturen",
    "said-on according-to the-company-said a-spokesperson spokesperson spokesman "
    "spokeswoman press-release reported reports-say reuters",
)
_PERSONAL = _cues(
    "ich mich mir mein meine meinen meinem meiner du dich dir dein deine euch",
    "i i'm i've me my mine you your you're",
)
# A customer reporting that something of theirs failed: with negative sentiment this is a
# complaint even when the complaint model is unsure ("my card payment failed twice").
PROBLEM = _cues(
    "failed fails failing not-working doesn't-work does-not-work didn't-work won't-work "
    "broken error crashed crashes crashing still-waiting never-arrived never-received "
    "charged-twice double-charged",
    "funktioniert-nicht geht-nicht kaputt fehler fehlermeldung abgestürzt stürzt-ab "
    "ausgefallen fällt-aus verspätet verpasst",
)
NEWS_MIN_CHARS = 160
NEWS_ARTICLE_CHARS = 400


_QUESTION_START = _cues(
    "how what when where why which who can could is are do does did will would should "
    "wie was wann wo warum wieso weshalb welche welcher welches wer kann könnt können ist "
    "sind gibt habt hat wird comment quand pourquoi où quel cómo cuándo dónde por-qué "
    "come quando dove perché hoe wanneer waarom waar jak kiedy dlaczego gdzie nasıl neden",
)


# Every check below takes text as `text.normalize` gives it: lower-cased, links as "url",
# handles as "@user".


def is_crisis(text: str) -> bool:
    return bool(CRISIS.search(text))


def is_job(text: str) -> bool:
    return bool(JOB.search(text))


def is_spam(text: str) -> bool:
    return bool(SPAM.search(text)) or (text.count("#") >= 6 and "url" in text)


def is_idea(text: str) -> bool:
    return bool(IDEA.search(text))


def is_sarcastic(text: str) -> bool:
    return bool(SARCASM.search(text))


def reports_problem(text: str) -> bool:
    return bool(PROBLEM.search(text))


def says_unaffected(text: str) -> bool:
    return bool(UNAFFECTED.search(text))


def is_news(text: str) -> bool:
    """A press report: the way the press words it (sources, reported speech) at article
    length, or a shorter report with no first or second person ("ich", "you")."""
    if len(text) < NEWS_MIN_CHARS:
        return False
    reporting = bool(_REPORTING.search(text))
    if len(text) >= NEWS_ARTICLE_CHARS and reporting:
        return True
    if "?" in text or _PERSONAL.search(text):
        return False
    return reporting or len(text) >= NEWS_ARTICLE_CHARS


_LEADING_HANDLES = re.compile(r"^(?:@user\s*)+")


def is_question(text: str) -> bool:
    if "?" in text:
        return True
    stripped = _LEADING_HANDLES.sub("", text)
    return len(stripped) < 200 and bool(_QUESTION_START.match(stripped))


_POSITIVE = _cues(
    "good great love thanks thank awesome excellent amazing perfect helpful friendly best happy",
    "gut super toll danke klasse prima hervorragend perfekt hilfreich freundlich zufrieden",
    "merci bien génial parfait excellent super content",
    "gracias bueno genial perfecto excelente encanta",
    "grazie buono ottimo perfetto eccellente fantastico",
    "bedankt goed geweldig perfect uitstekend fijn",
    "dzięki dziękuję dobrze świetnie super doskonale",
    "teşekkürler teşekkür harika mükemmel güzel süper",
)
_NEGATIVE = _cues(
    "bad worst terrible awful broken delayed cancelled rude useless scam horrible",
    "schlecht schlimm furchtbar kaputt verspätung verspätet verpasst ausgefallen unfreundlich "
    "frechheit katastrophe "
    "falsch nervt nervig ärgerlich mies ätzend unmöglich enttäuscht enttäuschend abzocke "
    "schon-wieder unzumutbar",
    "mauvais nul horrible retard annulé cassé arnaque honte",
    "malo peor horrible retraso cancelado roto estafa vergüenza",
    "pessimo terribile ritardo cancellato rotto truffa vergogna schifo",
    "slecht vreselijk vertraging geannuleerd kapot oplichting schande",
    "źle okropny opóźnienie odwołany zepsuty oszustwo skandal",
    "kötü berbat rezalet gecikme iptal bozuk dolandırıcı",
)
_POSITIVE_EMOJI = frozenset("😀😃😄😁😊🙂😍🥰❤👍🙏🎉👏💯✨")
_NEGATIVE_EMOJI = frozenset("😠😡🤬😤😢😭😞😩😫👎💩🙄😒")


def lexicon_sentiment(text: str) -> float:
    """A score in [-1, 1] from cue words and emoji (of normalised text); praise said in
    scorn ("danke für nichts") counts as a strong negative cue."""
    sarcastic = len(SARCASM.findall(text))
    if sarcastic:
        text = SARCASM.sub(" ", text)
    score = len(_POSITIVE.findall(text)) - len(_NEGATIVE.findall(text)) - 2 * sarcastic
    score += sum(ch in _POSITIVE_EMOJI for ch in text) - sum(ch in _NEGATIVE_EMOJI for ch in text)
    return max(-1.0, min(1.0, score / 2))
