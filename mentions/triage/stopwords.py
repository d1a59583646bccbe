"""Stop words: the filler words of a language (articles, pronouns, prepositions, auxiliaries,
particles), which say nothing about what a post is about.

Problem cases are matched and titled by their content words; a case title such as
"aus · zur · komme" is what happens when filler words are left in. Lists are lower case
and cover the inflected forms that posts use. German and English are complete lists; Dutch
is a short one. `stopwords_for(languages=...)` gives the union for a client's languages
(every list when none is known).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

GERMAN = frozenset(
    """
    aber alle allem allen aller alles als also am an ander andere anderem anderen anderer
    anderes anders auch auf aus bei beide beiden beim bereits bin bis bisher bist bitte bloß
    da dabei dadurch dafür dagegen daher dahin damals damit danach daneben dann daran darauf
    daraus darf darfst darin darum darunter darüber das dass davon davor dazu dein deine
    deinem deinen deiner deines dem demnach den denen denn dennoch der deren derer des
    deshalb dessen dich die dies diese diesem diesen dieser dieses dir doch dort du durch
    eben ebenfalls ebenso eh ein eine einem einen einer eines einfach einige einigem einigen
    einiger einiges einmal einzig endlich er es etwa etwas euch euer eure eurem euren eurer
    eures für gab gar gegen gehabt gehen geht gemacht gerade gewesen gibt ging gleich grad
    gut hab habe haben habt hallo hat hatte hatten hättest hätte hätten heute hier hin hinter
    hoi ich ihm ihn ihnen ihr ihre ihrem ihren ihrer ihres im immer in indem ins irgendwie
    irgendwo ist ja jede jedem jeden jeder jedes jedoch jemand jemanden jetzt kam kann kannst
    kaum komme kommen kommt konnte konnten könnt könnte könnten lass lasst leider los mach
    mache machen macht mal man manche manchem manchen mancher manches mehr mein meine meinem
    meinen meiner meines meist mich mir mit muss musst musste mussten muß möchte möchten
    müssen müsst nach nachdem neben nein nicht nichts noch nun nur ob oder oft ohne schon
    sehr sein seine seinem seinen seiner seines seit seitdem selbst sich sie sind so sogar
    solch solche solchem solchen solcher solches soll sollen sollst sollte sollten somit
    sondern sonst soweit sowie statt tun tut um und uns unser unsere unserem unseren unserer
    unseres unter viel viele vielen vielleicht vom von vor wann war waren warst wart warum
    was weg weil weiter weitere weiteren welche welchem welchen welcher welches wem wen wenn
    wer werde werden werdet weshalb wie wieder wieso will wir wird wirst wo woher wohin
    wollen wollte wollten worden wurde wurden wäre wären während würde würden zu zum zur
    zwar zwischen über überhaupt eigentlich echt ganz genau halt eher mag magst mögen okay
    ok dank danke bzw usw zb ca
    """.split()
)

ENGLISH = frozenset(
    """
    a about above after again against all almost also am an and another any anyone anything
    are aren't as at back be because been before being below between both but by can can't
    cannot could couldn't did didn't do does doesn't doing don't done down during each even
    ever every everyone everything few first for from further get gets getting got guys had
    hadn't has hasn't have haven't having he he'd he'll he's hello her here here's hers
    herself hey hi him himself his how how's however i i'd i'll i'm i've id if ill im in into
    is isn't it it's its itself ive just keep keeps kept know last let let's like lot lots
    made make many may me might more most much must mustn't my myself need needs never
    no nor not now of off often oh ok okay on once one only or other others ought our ours
    ourselves out over own please pls plz quite rather really right same say says see seem
    seems shall shan't she she'd she'll she's should shouldn't since so some someone
    something still such than thank thanks that that's the their theirs them themselves
    then there there's these they they'd they'll they're they've thing things this those
    though through thx till to today too tried try trying u under until up upon ur us very
    via want wants was wasn't way we we'd we'll we're we've well were weren't what what's
    when when's where where's whether which while who who's whom whose why why's will with
    won't would wouldn't yes yesterday yet you you'd you'll you're you've your yours
    yourself yourselves already anyway again always around because got gonna wanna lol
    time times day days work works working goes go going went come comes came
    """.split()
)

DUTCH = frozenset(
    """
    aan al als bij dat de den der deze die dit doch door een en er had heb hebben het hij hoe
    ik in is je jij kan maar me men met mij mijn na naar niet nog nu of om omdat ons ook op
    over te tegen toch tot u uit van voor waarom wat we wel werd wie wij wordt zal ze zich
    zij zijn zo zou
    """.split()
)

BY_LANGUAGE: dict[str, frozenset[str]] = {"de": GERMAN, "en": ENGLISH, "nl": DUTCH}
ALL = frozenset().union(*BY_LANGUAGE.values())


@lru_cache(maxsize=64)
def _union(languages: tuple[str, ...]) -> frozenset[str]:
    known = [BY_LANGUAGE[lang] for lang in languages if lang in BY_LANGUAGE]
    return frozenset().union(*known) if known else ALL


def stopwords_for(*, languages: Iterable[str]) -> frozenset[str]:
    """The stop words of these languages (codes such as "de", "en"); every list when none
    of them is known. English is always included: it is mixed into posts everywhere."""
    codes = {lang.lower()[:2] for lang in languages if lang}
    if codes & BY_LANGUAGE.keys():
        codes.add("en")
    return _union(tuple(sorted(codes)))


def is_stopword(word: str, *, languages: Iterable[str] = ()) -> bool:
    return word.lower() in (stopwords_for(languages=languages) if languages else ALL)
