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

from mentions.triage.text import Cues


def _cues(*groups: str) -> Cues:
    """The cue words of some languages (`-` joins the words of a phrase) as one pattern."""
    return Cues.of_keywords(word for group in groups for word in group.split())


class LanguageCues:
    """Cue words kept per language, because a word of one language is often a plain word of
    another: German and Dutch "brand" (fire) is the English "brand", French and Dutch
    "stage" (internship) the English "stage", Italian "come" (how) the English "come".

    A post is searched with the words of its own language and the English ones (posts in
    every language borrow English: "Shitstorm", "Giveaway"); an English post with the
    English words only; a post whose language has no list, or was not detected, with every
    list, as before languages were told apart.
    """

    def __init__(self, en: str, **others: str) -> None:
        self.everywhere = _cues(en, *others.values())
        self._by_language = {"en": _cues(en)} | {
            language: _cues(en, words) for language, words in others.items()
        }

    def of(self, language: str | None) -> Cues:
        return self._by_language.get(language or "", self.everywhere)


CRISIS = LanguageCues(
    en="fire explosion exploded injured injuries injury accident poisoning poisoned recall "
    "boycott* #boycott* shitstorm dangerous unsafe evacuated evacuation derailed derailment "
    "collapsed lawsuit outage* data-breach breach hacked leak leaked smoke burns burned "
    "fainted unconscious knife gun shooting stabbed ambulance air-ambulance paramedics "
    "police-are-investigating police-investigating police-on-scene level-crossing "
    "going-viral gone-viral hacker* racist racism assaulted assault faked falsified fraudsters "
    "between-train-and-platform left-alone alone-on-the-platform doors-opened",
    de="feuer brand brennt rauch explosion verletzt verletzte verletzungen verbrennung* unfall "
    "vergiftung vergiftet rückruf* boykott* gefährlich evakuiert entgleist datenleck gehackt "
    "notarzt schwerverletzt* kollabiert ohnmächtig bewusstlos messer waffe schüsse "
    "krankenwagen rettungswagen rettungshubschrauber sanitäter polizei-ermittelt "
    "polizeieinsatz ermittlungen bahnübergang geht-viral geht-gerade-viral rassistisch* "
    "todesangst lebensgefahr lebensgefährlich gefälscht* betrüger "
    "zwischen-zug-und-bahnsteig allein-zurückgelassen während-der-fahrt droht-umzustürzen "
    "geräumt",
    fr="incendie blessé* accident rappel boycott dangereux évacué*",
    es="incendio herido* accidente retirada boicot peligroso evacuad*",
    it="incendio ferit* incidente richiamo boicottaggio pericoloso evacuat*",
    nl="brand gewond* ongeluk terugroep* boycot gevaarlijk geëvacueerd",
    pl="pożar rann* wypadek wycofanie bojkot niebezpieczn*",
    tr="yangın yaralı kaza geri-çağırma boykot tehlikeli",
)
# "Application" and "applied" alone are software and discounts as often as jobs ("the
# application keeps crashing", "I applied the code"), and "Stelle" is a place as often as a
# post ("an dieser Stelle", "an einer Stelle im Wald"): only the job phrases count.
JOB = LanguageCues(
    en="job jobs hiring career careers internship apprenticeship vacancy vacancies recruiter "
    "recruiting applied-for-a-job applied-for-the-job applied-for-a-position "
    "applied-for-the-position applied-for-a-role applied-for-the-role applied-to-work "
    "application-for-the-position application-for-the-role my-job-application "
    "salary retires retired retirement career-changers "
    "underpaid overtime shift-plans call-centre call-center working-student starting-as",
    de="freie-stelle freie-stellen offene-stelle offene-stellen neue-stelle stelle-als "
    "stelle-ausgeschrieben stellen-ausgeschrieben stellenausschreibung* stellenanzeige* "
    "stellenangebot* bewerbung* bewerben beworben ausbildung* praktikum karriere "
    "jobangebot* gehalt azubi personalabteilung werkstudent* quereinsteiger* "
    "vorstellungsgespräch* rente ruhestand überstunden unterbezahlt schichtplan* "
    "bildet sucht quereinstieg*",
    fr="emploi candidature stage recrutement carrière salaire",
    es="empleo candidatura prácticas contratación salario",
    it="lavoro candidatura tirocinio assunzion* stipendio",
    nl="vacature sollicitatie stage salaris",
    pl="praca rekrutacja staż wynagrodzenie",
    tr="iş başvuru staj maaş",
)
# Adverts, and off-topic homonyms: science and history texts that share a brand's word. A
# promo code alone is a customer's as often as an advert's ("I applied the promo code").
SPAM = LanguageCues(
    en="crypto bitcoin giveaway casino use-promo-code use-my-code promocode onlyfans forex "
    "airdrop nft follow-back followback free-followers click-here link-in-bio dm-me "
    "buy-followers followers-for f4f like4like follow4follow make-money message-me-privately "
    "this-week-only win-a-free coin visit-my-profile enter-now enter-to-win limited-time "
    "free-iphone microscope tissue retina carcinoma* cohort phenotype yeast 19th-century "
    "steam-railway our-paper",
    de="gewinnspiel gratis-follower hier-klicken klicken follower-kaufen follower-für "
    "verdiene folge-für-folge gewinne-jetzt schreibt-mir-privat nur-diese-woche krypto* "
    "link-in-der-bio gutschein-sichern besuch-mein-profil jetzt-teilnehmen "
    "teilnehmen-und-gewinnen nur-für-kurze-zeit gratis-iphone "
    "mikroskop gewebe* gewebeschnitt netzhaut tumor* tumoren kohorte phänotyp "
    "jahrhundert dampfeisenbahn im-paper",
)
IDEA = LanguageCues(
    en="suggestion suggest idea wish would-be-great please-add feature-request why-not "
    "it-would-be-nice could-you-add i'd-love-it-if would-love what-about how-about "
    "please-offer my-wish should-offer should-add",
    de="vorschlag idee wunsch wäre-toll wäre-schön wäre-super bitte-einführen warum-nicht "
    "könntet-ihr wäre-ein-traum fände-es-gut wie-wäre-es anregung bitte-bietet führt-doch "
    "baut-doch macht-doch würde-mich-freuen",
    fr="suggestion idée souhait serait-bien",
    es="sugerencia idea ojalá estaría-bien",
    it="suggerimento idea sarebbe-bello",
    nl="suggestie idee zou-fijn-zijn",
    pl="sugestia pomysł",
    tr="öneri fikir",
)
# Praise words said in scorn ("Danke für nichts", "great, another delay"): a negative cue
# that also cancels the praise word inside it. Every phrase starts a word with one of the
# prefixes (a test reads the pattern to hold that), so other texts skip the pattern.
SARCASM_FIRST_WORDS = (
    "danke vielen na ganz echt super toll klasse prima großartig herrlich thanks thank great "
    "brilliant perfect wonderful fantastic awesome lovely nice just yeah love wie as der die "
    "das best"
)
_SARCASM = re.compile(
    r"(?<!\w)(?:"
    r"danke für nichts|danke auch|vielen dank auch|na danke|na toll|na super|na prima|"
    r"ganz toll|echt toll(?:,| gemacht)|super gemacht|toll gemacht|klasse gemacht|"
    r"(?:super|toll|klasse|prima|großartig|herrlich)[,!.]* (?:schon wieder|wieder mal|"
    r"mal wieder|wieder einmal|noch eine?r?n?|der nächste|die nächste)|"
    r"thanks for nothing|thank you for nothing|thanks a lot for nothing|"
    r"(?:great|brilliant|perfect|wonderful|fantastic|awesome|lovely|nice)[,!.]* "
    r"(?:another|again|yet another|just what i needed)|just great|just brilliant|"
    r"yeah right|love (?:it|that) when|love being|love waiting|"
    r"thanks for (?:the|another) (?:delay|wait|cancell?ation)|"
    r"wie immer pünktlich|as always on time|ganz großes kino|echt spitze|"
    r"(?:der|die|das) hammer\W+nicht|"
    r"best (?:customer )?(?:experience|service) ever"
    r")(?!\w)"
)
SARCASM = Cues(_SARCASM, prefixes=SARCASM_FIRST_WORDS.split())
# Praise that opens a post and is taken back by what follows ("Toll, Nordbahn. Schon wieder
# Zugausfall", "Oh wonderful, charged me twice again"): sarcasm when a problem follows.
_SARCASTIC_OPENING = re.compile(
    r"^(?:@user\s*)*(?:toll|genial|super|klasse|prima|großartig|herrlich|wow|"
    r"oh (?:wonderful|great|brilliant|perfect|lovely)|wonderful|brilliant job|great job|"
    r"well done|love how|i love how)\b(?:[^.!?,:]{0,25}[,.!:])?"
)
_BUT_ONLY = re.compile(r"\b(?:aber nur|but only|nur halt|only to)\b")
# Praise taken back at the end ("Amazing speed. Not.", "ihr seid der Hammer... nicht.").
_TAKEN_BACK = re.compile(r"(?:\.\.\.|…|[.!]) ?(?:nicht|not)[.!]*$")
# Thanks for something bad ("Vielen Dank für die doppelte Abbuchung").
_THANKS_FOR = re.compile(r"(?:danke|dank|thanks|thank you)\b[^.!?]{0,30}\b(?:für|for)\b([^.!?]*)")
# A report that the client is not affected ("Autobahn gesperrt … Nordbahn nicht betroffen")
# is no crisis and no complaint.
UNAFFECTED = _cues(
    "nicht-betroffen nicht-beeinträchtigt keine-auswirkungen verkehren-normal "
    "fahren-planmäßig fahren-normal ohne-einschränkungen "
    "not-affected unaffected no-impact no-disruption not-impacted run-normally "
    "run-to-schedule running-normally without-restrictions",
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
# The split reporting verb: "Die Bahn teilte am Montag mit, dass …", "…, teilt das Unternehmen
# mit." The particle "mit" closes the clause (punctuation or the end follows), which tells it
# from the preposition ("teilt Daten mit Facebook"); at most six words sit between, none a
# punctuation mark, and a customer told something ("teilte uns mit") is no press report.
_SPLIT_REPORTING = re.compile(
    r"\bteilt(?:e|en)?((?:\s+[\w\-]+){1,6}?)\s+mit(?=\s*(?:[,.;:!?\-–—)\"“”]|$))"
)
_TOLD_US = re.compile(r"\b(?:mir|mich|uns|dir|dich|euch)\b")


def _reports(text: str) -> bool:
    """Reported speech or a source, as the press words it."""
    if _REPORTING.search(text):
        return True
    return any(not _TOLD_US.search(m.group(1)) for m in _SPLIT_REPORTING.finditer(text))


# Press wording clear enough at any length (a headline, a one-line report), when the post
# has no first or second person and asks nothing.
_HEADLINE = _cues(
    "berichtet berichtete meldet laut bericht umfrage interview im-interview veröffentlicht "
    "stellt zeitung abendblatt kreiszeitung ndr dpa marktstart",
    "reports announced announces according-to report survey interview unveils to-acquire "
    "paper-says reuters kicker",
)
# What reports are about (business, politics, numbers) and how headlines say it. A short
# post with one of these, no person speaking ("ich", "you"), no question, exclamation or
# sentiment cue, reads as a report.
_NEWSY = _cues(
    "erhöht senkt schließt eröffnet startet gestartet unterzeichnen unterzeichnet plant "
    "investiert kündigt bestätigt bestätigte aktie aktien prozent quartal* umsatz gewinn "
    "millionen milliarden vertrag landesregierung regierung ministerium minister* kreistag "
    "bürgermeister* gewerkschaft tarifverhandlung* fahrplanwechsel kündigte vorstand",
    "raise raises cut cuts close closes opens launch launches begin begins sign signs "
    "signed plans invest invests confirmed shares percent quarter quarterly revenue profit "
    "million billion deal government ministry minister council mayor union fares expands "
    "board",
)
_PERSONAL = _cues(
    "ich mich mir mein meine meinen meinem meiner du dich dir dein deine euch ihr eure "
    "wir uns unser unsere",
    "i i'm i've i'd me my mine you your you're we us our",
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


# Italian "come" and French "comment" open English posts that ask nothing ("Come and see").
_QUESTION_START = LanguageCues(
    en="how what when where why which who can could is are do does did will would should",
    de="wie was wann wo warum wieso weshalb welche welcher welches wer kann könnt können ist "
    "sind gibt habt hat wird",
    fr="comment quand pourquoi où quel",
    es="cómo cuándo dónde por-qué",
    it="come quando dove perché",
    nl="hoe wanneer waarom waar",
    pl="jak kiedy dlaczego gdzie",
    tr="nasıl neden",
)


# Every check below takes text as `text.normalize` gives it: lower-cased, links as "url",
# handles as "@user"; `language` (ISO 639-1, as detected) picks the cue lists of
# `LanguageCues` (None or one without a list: all of them).


def is_crisis(text: str, language: str | None = None) -> bool:
    return bool(CRISIS.of(language).search(text))


# "Great job, Nordbahn" is praise (or scorn), not a job.
_JOB_IDIOM = re.compile(r"\b(?:good|great|brilliant|nice|excellent|fantastic|amazing|super) job\b")


def is_job(text: str, language: str | None = None) -> bool:
    return bool(JOB.of(language).search(_JOB_IDIOM.sub(" ", text) if "job" in text else text))


_FOLLOWERS_FOR_SALE = re.compile(r"\b\d[\d.,]*k? (?:new |free |real )?followers?\b")


def is_spam(text: str, language: str | None = None) -> bool:
    return (
        bool(SPAM.of(language).search(text))
        or ("follower" in text and bool(_FOLLOWERS_FOR_SALE.search(text)))
        or (text.count("#") >= 6 and "url" in text)
    )


# "Es wäre praktisch, wenn …", "it would be handy to …".
_WOULD_BE_NICE = re.compile(
    r"\b(?:wäre|fände ich) (?:\w+ )?(?:schön|toll|super|praktisch|gut|klasse|hilfreich|cool|"
    r"genial|prima|sinnvoll)\b|\bwould be (?:\w+ )?(?:great|nice|handy|helpful|good|cool|"
    r"useful|lovely)\b"
)


def is_idea(text: str, language: str | None = None) -> bool:
    return bool(IDEA.of(language).search(text)) or (
        ("wäre" in text or "fände ich" in text or "would be" in text)
        and bool(_WOULD_BE_NICE.search(text))
    )


# A weaker sign of a wish, read only when nothing else decided ("X sollte …", "should …").
WISH = _cues("should would-save", "sollte sollten würde-sparen")


def wishes(text: str) -> bool:
    return bool(WISH.search(text))


def is_sarcastic(text: str) -> bool:
    if SARCASM.search(text) or (("not" in text or "nicht" in text) and _TAKEN_BACK.search(text)):
        return True
    opening = _SARCASTIC_OPENING.match(text)
    if opening:
        rest = text[opening.end() :]
        if _negative_cues(rest) > 0 or _BUT_ONLY.search(rest):
            return True
    # The pattern needs "dank" or "thank" somewhere (not only at a word start).
    thanks = _THANKS_FOR.search(text) if "dank" in text or "thank" in text else None
    return bool(thanks and _negative_cues(thanks.group(1)) > 0)


def reports_problem(text: str) -> bool:
    return bool(PROBLEM.search(text))


def says_unaffected(text: str) -> bool:
    return bool(UNAFFECTED.search(text))


def is_news(text: str) -> bool:
    """A press report: the way the press words it (sources, reported speech) at article
    length, or a shorter report with no first or second person ("ich", "you"), no question
    or exclamation and no sentiment cue, worded as a headline or about what the press
    reports on (business, politics, numbers)."""
    if len(text) < NEWS_MIN_CHARS:
        if "?" in text or "!" in text or text.startswith("@user") or _PERSONAL.search(text):
            return False
        if _HEADLINE.search(text) or _reports(text):
            return True
        return bool(_NEWSY.search(text)) and cue_counts(text) == (0, 0)
    reporting = _reports(text)
    if len(text) >= NEWS_ARTICLE_CHARS and reporting:
        return True
    if "?" in text or _PERSONAL.search(text):
        return False
    return reporting or len(text) >= NEWS_ARTICLE_CHARS


_LEADING_HANDLES = re.compile(r"^(?:@user\s*)+")
_NEGATED_START = re.compile(r"^\w+n['’]t\b")


def is_question(text: str, language: str | None = None) -> bool:
    if "?" in text:
        return True
    stripped = _LEADING_HANDLES.sub("", text)
    if _NEGATED_START.match(stripped):  # "can't complain", "don't …": no question
        return False
    return len(stripped) < 200 and bool(_QUESTION_START.of(language).match(stripped))


_POSITIVE = _cues(
    "good great love thanks thank awesome excellent amazing perfect helpful friendly best happy "
    "lovely brilliant nice fair credit-where shout-out shoutout sorted refunded on-time "
    "punctual smooth impressed recommend",
    "gut super toll danke klasse prima hervorragend perfekt hilfreich freundlich zufrieden "
    "top spitze kompetent* nett fair pünktlich läuft empfehlung erstattet hilfsbereit "
    "so-muss-das begeistert lob empfehlen dankbar",
    "merci bien génial parfait excellent super content",
    "gracias bueno genial perfecto excelente encanta",
    "grazie buono ottimo perfetto eccellente fantastico",
    "bedankt goed geweldig perfect uitstekend fijn",
    "dzięki dziękuję dobrze świetnie super doskonale",
    "teşekkürler teşekkür harika mükemmel güzel süper",
)
_NEGATIVE = _cues(
    "bad worst terrible awful broken delayed cancelled rude useless scam horrible delay delays "
    "late stuck problem problems issue issues drops dropped lie complain complaint failed "
    "unacceptable ridiculous disappointed charged-me-twice charged-twice hung-up disgusting "
    "out-of-order outrageous pathetic shocking appalling nightmare fed-up sick-of annoying "
    "barely",
    "schlecht* schlimm furchtbar kaputt verspätung verspätet verpasst ausgefallen unfreundlich "
    "frechheit katastrophe "
    "falsch nervt nervig ärgerlich mies ätzend unmöglich enttäuscht enttäuschend abzocke "
    "schon-wieder unzumutbar problem probleme störung ausfall zugausfall funkloch funklöcher "
    "bricht abgebrochen warteschleife aufgelegt kündige angeschrien nachzahlung "
    "doppelte-abbuchung übel verstopft ekelhaft defekt unverschämt lächerlich zumutung "
    "überfüllt dreist peinlich genervt wütend sauer skandal hält-keine hält-nicht",
    "mauvais nul horrible retard annulé cassé arnaque honte",
    "malo peor horrible retraso cancelado roto estafa vergüenza",
    "pessimo terribile ritardo cancellato rotto truffa vergogna schifo",
    "slecht vreselijk vertraging geannuleerd kapot oplichting schande",
    "źle okropny opóźnienie odwołany zepsuty oszustwo skandal",
    "kötü berbat rezalet gecikme iptal bozuk dolandırıcı",
)
# Negative as they stand, negation included ("antwortet nicht", "not even").
_NEGATIVE_PHRASES = _cues(
    "antwortet-nicht reagiert-nicht nicht-erreichbar nicht-mal ohne-grund keiner-sagt-was "
    "sagt-keiner-was niemand-sagt-was nicht-zurücknehmen geht-nicht funktioniert-nicht",
    "not-even not-working doesn't-work does-not-work didn't-work won't-work no-one-tells "
    "nobody-tells no-answer no-reply",
)
# Things whose absence is a problem ("keine Heizung", "kein Netz", "no signal").
_MISSING = _cues(
    "heizung netz internet wlan strom wasser klimaanlage antwort hinweis hinweise info infos "
    "information informationen durchsage empfang karten ersatz reaktion rückmeldung techniker",
    "heating signal water power wifi answer reply response information announcement update "
    "technician",
)
# German puts "nicht" at the end of the clause ("WLAN funktioniert auf der Strecke nicht").
_NOT_WORKING = re.compile(
    r"\b(?:funktioniert|funktionieren|geht|gehen|klappt|lädt|reagiert|antwortet|kommt)\b"
    r"[^.!?,;]{0,40}\bnicht\b"
)
_NEGATOR = re.compile(
    r"(?:nicht|kein|keine|keinen|keiner|keinem|keines|nie|niemals|ohne|not|no|never|without|"
    r"cannot|can't|cant|don't|didn't|isn't|wasn't|won't|trotz|despite)"
)
_CLAUSE_END = re.compile(r"[.,!?;:]")
_POSITIVE_EMOJI = frozenset("😀😃😄😁😊🙂😍🥰❤👍🙏🎉👏💯✨")
_NEGATIVE_EMOJI = frozenset("😠😡🤬😤😢😭😞😩😫👎💩🙄😒")


def _negated(text: str, start: int) -> bool:
    """Whether one of the three words before `start`, in the same clause, negates."""
    clause = _CLAUSE_END.split(text[max(0, start - 40) : start])[-1]
    return any(_NEGATOR.fullmatch(word) for word in clause.split()[-3:])


def cue_counts(text: str) -> tuple[int, int]:
    """Positive and negative cues in normalised text, with negation turning a cue round
    ("nicht gut" is negative, "nicht schlecht", "kein Problem mehr" and "can't complain"
    positive, "keine Heizung" negative)."""
    negative = len(_NEGATIVE_PHRASES.findall(text))
    if "nicht" in text:  # `_NOT_WORKING` needs it (and replacing phrases makes none)
        negative += len(_NOT_WORKING.findall(text))
        text = _NOT_WORKING.sub(" ", _NEGATIVE_PHRASES.sub(" ", text))
    else:
        text = _NEGATIVE_PHRASES.sub(" ", text)
    positive = 0
    for match in _POSITIVE.finditer(text):
        if _negated(text, match.start()):
            negative += 1
        else:
            positive += 1
    for match in _NEGATIVE.finditer(text):
        if _negated(text, match.start()):
            positive += 1
        else:
            negative += 1
    for match in _MISSING.finditer(text):
        following = text[match.end() : match.end() + 20]
        if _negated(text, match.start()) and not _NEGATIVE.match(following.strip()):
            negative += 1
    if not text.isascii():  # emoji are not ASCII; map() counts them without a Python loop
        positive += sum(map(_POSITIVE_EMOJI.__contains__, text))
        negative += sum(map(_NEGATIVE_EMOJI.__contains__, text))
    return positive, negative


def _negative_cues(text: str) -> int:
    return cue_counts(text)[1]


def lexicon_sentiment(text: str) -> float:
    """A score in [-1, 1] from cue words and emoji (of normalised text); praise said in
    scorn ("danke für nichts") counts as a strong negative cue."""
    sarcastic = len(SARCASM.findall(text))
    if sarcastic:
        text = SARCASM.sub(" ", text)
    elif is_sarcastic(text):
        sarcastic = 1
    positive, negative = cue_counts(text)
    if sarcastic:
        positive = 0
    score = positive - negative - 2 * sarcastic
    return max(-1.0, min(1.0, score / 2))
