"""Made-up mentions for the two demo clients, in the documented mention format.

Everything here is invented: short social-media style posts in German and English built from
templates and small word lists, written so the simple triage (`mentions.triage`) and the
default routing matrix (`routing.services.DEFAULT_RULES`) send them to different kinds and
departments. Used by the `demo_stream` command; no external data, no network.
"""

from __future__ import annotations

import math
import random
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import uuid4

DEMO_CLIENTS: dict[str, str] = {
    "nordbahn": "Nordbahn",
    "brightcell": "Brightcell",
}

GERMAN_SHARE = 0.6

# A demo client's day: about this many mentions on an average weekday by now (the back
# history grows towards it, and the live demo stream keeps it, so the spike detector sees
# the stream as the usual traffic, not as a crisis).
DEMO_DAILY_VOLUME = 300

# Share of a day's mentions in each local hour (sums to 1): quiet nights, a morning and an
# evening commute peak.
_HOUR_SHARES = (
    4,
    2,
    1,
    1,
    2,
    6,
    18,
    34,
    40,
    34,
    30,
    30,
    30,
    30,
    32,
    36,
    42,
    46,
    40,
    32,
    26,
    20,
    14,
    8,
)
HOUR_SHARE: tuple[float, ...] = tuple(share / sum(_HOUR_SHARES) for share in _HOUR_SHARES)
# Weekends are quieter (Monday = 0).
WEEKDAY_FACTOR: tuple[float, ...] = (1.08, 1.08, 1.08, 1.08, 1.08, 0.85, 0.75)


def demo_hourly_rate(local: datetime) -> float:
    """Expected demo mentions per hour for one client at this local time, today's level."""
    return DEMO_DAILY_VOLUME * WEEKDAY_FACTOR[local.weekday()] * HOUR_SHARE[local.hour]


# How often each category is drawn: complaints dominate real inboxes, crises are rare.
CATEGORY_WEIGHTS: dict[str, int] = {
    "complaint": 30,
    "tech": 12,
    "question": 14,
    "praise": 10,
    "idea": 6,
    "sales": 6,
    "job": 5,
    "press": 3,
    "news": 3,
    "legal": 3,
    "crisis": 2,
    "spam": 4,
}

_EMOJI: dict[str, tuple[str, ...]] = {
    "complaint": ("😡", "🙄", "😤", "😩", "🤬", "👎"),
    "tech": ("🙄", "😩", "📱", "🤦"),
    "question": ("🤔", "🙏"),
    "praise": ("👍", "🙏", "😊", "❤️", "🎉", "💚"),
    "idea": ("💡", "🙏", "😊"),
    "crisis": ("⚠️", "🚨", "😱"),
    "job": ("🙂", "🤞"),
    "sales": ("🙂",),
    "press": (),
    "news": (),
    "legal": (),
    "spam": ("🚀", "💰", "🔥", "💎"),
}


@dataclass(frozen=True, slots=True)
class DemoProfile:
    """One demo client's templates by category and language, and the words they are filled
    with (`{line}`, `{station}`, `{city}`, …; every template's placeholders have a list)."""

    de: dict[str, tuple[str, ...]]
    en: dict[str, tuple[str, ...]]
    fills_de: dict[str, tuple[str, ...]]
    fills_en: dict[str, tuple[str, ...]]


# --- Nordbahn: a regional rail operator in northern Germany -------------------------------

_NORDBAHN_COMMON: dict[str, tuple[str, ...]] = {
    "line": ("RE 1", "RE 4", "RE 70", "RB 31", "RB 33", "RB 61", "S 3"),
    "station": (
        "Hamburg Hbf",
        "Hamburg-Harburg",
        "Lüneburg",
        "Uelzen",
        "Bremen Hbf",
        "Buxtehude",
        "Stade",
        "Kiel Hbf",
        "Neumünster",
        "Elmshorn",
        "Pinneberg",
        "Itzehoe",
    ),
    "city": ("Hamburg", "Bremen", "Kiel", "Lübeck", "Lüneburg", "Cuxhaven", "Flensburg"),
    "minutes": ("12", "15", "20", "25", "30", "40", "45", "60", "75"),
}

NORDBAHN = DemoProfile(
    de={
        "complaint": (
            "{line} ab {station} schon wieder {minutes} Minuten Verspätung. Jeden Morgen das "
            "gleiche Spiel, {brand}",
            "Zug nach {city} ausgefallen, keine Durchsage, nichts. Wir stehen hier in {station} "
            "in der Kälte. Unzumutbar!",
            "{brand} warum fällt der {line} heute komplett aus? Ich komme schon wieder zu spät "
            "zur Arbeit.",
            "Anschluss in {station} verpasst, weil der {line} {minutes} Minuten verspätet war. "
            "Nächster Zug in einer Stunde. Danke für nichts.",
            "Klimaanlage im {line} kaputt, gefühlt 35 Grad im Wagen. Das ist eine Frechheit.",
            "Toiletten im {line} seit Tagen verschlossen und dreckig. Wann wird das endlich "
            "repariert?",
            "Schienenersatzverkehr zwischen {station} und {city} ohne Ankündigung. Der Bus ist "
            "voll, die Hälfte bleibt stehen. Katastrophe.",
            "Mir wurde für das {product} doppelt abgebucht und niemand meldet sich. Ärgerlich. "
            "{brand}",
            "Nur zwei Wagen statt vier im {line} zur Rushhour. Stehen bis {city}, wie jeden Tag. "
            "Ich bin so enttäuscht.",
        ),
        "tech": (
            "Die Nordbahn-App zeigt beim Login nur noch eine Fehlermeldung. Mein {product} kann "
            "ich so nicht vorzeigen. Ärgerlich!",
            "Passwort zurückgesetzt, Anmeldung geht trotzdem nicht. Die App stürzt einfach ab. "
            "Nervig, {brand}",
            "WLAN im {line} funktioniert mal wieder nicht. Arbeiten im Zug kann man vergessen.",
            "Auf der Website kann ich kein {product} kaufen, da kommt immer nur error 500.",
        ),
        "question": (
            "{brand} fährt der {line} am Wochenende wegen der Bauarbeiten bei {station}?",
            "Darf ich mit dem {product} mein Fahrrad im {line} mitnehmen?",
            "Gilt das {product} auch im Bus in {city}? Finde dazu nichts.",
            "Wie bekomme ich Geld zurück, wenn mein Zug über {minutes} Minuten Verspätung hat?",
            "Gibt es in {station} einen Aufzug zum Gleis? Bin mit Kinderwagen unterwegs.",
        ),
        "praise": (
            "Großes Lob an die Zugbegleiterin im {line} heute, super freundlich und hilfsbereit! "
            "{brand}",
            "Heute alles pünktlich von {station} nach {city}. Danke, so macht Pendeln Spaß.",
            "Danke an den Lokführer, der in {station} auf den Anschluss gewartet hat. Klasse!",
        ),
        "idea": (
            "Vorschlag: Könntet ihr im {line} mehr Fahrradplätze einführen? Morgens ist alles "
            "voll.",
            "Idee für die App: Eine Push-Nachricht, wenn sich das Gleis in {station} ändert, wäre "
            "toll.",
            "Wäre schön, wenn der {line} abends noch eine Stunde länger nach {city} fahren würde.",
        ),
        "crisis": (
            "Rauch im hinteren Wagen vom {line} kurz vor {station}!! Zug steht, alle wurden "
            "evakuiert. Was ist da los?",
            "Frau im {line} gestürzt und verletzt, kein Personal zu finden. Bitte dringend "
            "jemanden nach {station} schicken!",
            "Gefährlich: Bahnsteig in {station} völlig vereist, niemand streut. Da passiert noch "
            "ein Unfall.",
        ),
        "job": (
            "Hallo {brand}, ich habe meine Bewerbung für die Ausbildung zum Lokführer vor vier "
            "Wochen geschickt und noch nichts gehört.",
            "Sucht ihr noch Zugbegleiter in {city}? Würde mich gern bewerben.",
        ),
        "press": (
            "Redaktion {outlet}: Wir recherchieren zu den Zugausfällen auf dem {line}. Wer ist "
            "bei Nordbahn Ansprechpartner für die Presse?",
            "Journalist beim {outlet} hier. Hätten Sie morgen Zeit für ein kurzes Interview zum "
            "neuen Fahrplan?",
        ),
        "news": (
            "{outlet}: Nordbahn bestellt zwölf neue Triebzüge für den {line}. Die ersten "
            "Fahrzeuge sollen ab 2028 zwischen {station} und {city} fahren, wie das "
            "Unternehmen mitteilte. https://presse.example/nordbahn-triebzuege",
            "Bauarbeiten bei {station}: Auf dem {line} fahren vom 3. bis 14. März Busse statt "
            "Züge, wie die Nordbahn mitteilte. Fahrgäste sollen bis zu {minutes} Minuten mehr "
            "einplanen. ({outlet})",
            "Laut {outlet} hat die Nordbahn im vergangenen Jahr 94 Prozent ihrer Züge pünktlich "
            "ins Ziel gebracht. Auf dem {line} lag die Quote nach Angaben des Unternehmens "
            "deutlich darunter.",
            "Landesregierung und Nordbahn unterzeichnen Vertrag: Der {line} fährt ab Dezember "
            "auch abends im Halbstundentakt nach {city}. https://presse.example/takt",
        ),
        "sales": (
            "Gibt es ein Angebot für Firmenkunden? Wir haben 40 Mitarbeitende, die täglich nach "
            "{city} pendeln.",
            "Was kostet das {product} im Jahresabo? Der Preis steht nirgends.",
        ),
        "legal": (
            "Mein Anwalt prüft jetzt eine Klage wegen der ständigen Ausfälle auf dem {line}. Ich "
            "will mein Geld zurück.",
            "Warum fragt euer Ticketshop meine Ausweisnummer ab? Datenschutz scheint euch egal zu "
            "sein. Ich verlange Auskunft nach Art. 15 DSGVO.",
        ),
        "spam": (
            "🚀 Mit Bitcoin 5000 € pro Woche verdienen! Infos im Profil",
            "Gewinnspiel!!! Folgt uns und gewinnt 10 Freifahrten, Link in Bio",
        ),
    },
    en={
        "complaint": (
            "{line} from {station} delayed by {minutes} minutes again. Third time this week "
            "{brand}",
            "Train to {city} cancelled with zero announcement. Stuck at {station} with a suitcase "
            "and no clue what to do.",
            "Missed my connection at {station} because the {line} was late. Next train in an "
            "hour. Brilliant.",
            "Got charged twice for my {product}. Who do I talk to about a refund? {brand}",
            "Heating broken on the {line}, freezing in here. Unacceptable.",
        ),
        "tech": (
            "The Nordbahn app keeps throwing an error on login. Can't show my {product} to the "
            "conductor.",
            "Password reset link never arrives. The app is useless right now.",
            "Wifi on the {line} is useless again. Any plans to fix this?",
        ),
        "question": (
            "{brand} does the {line} run on Sunday during the works near {station}?",
            "Is the {product} valid on buses in {city} too?",
            "Can I take my bike on the {line} with a {product}?",
            "Where do I find the platform for the {line} at {station}? Signs are only in German.",
        ),
        "praise": (
            "Shoutout to the conductor on the {line} who helped me find my connection at "
            "{station}. So friendly!",
            "On time from {station} to {city} today, great work {brand}",
        ),
        "idea": (
            "Suggestion: announcements in English too would help a lot of visitors in {city}.",
            "Would be great if the app showed how full each carriage is.",
        ),
        "crisis": (
            "Smoke coming out of the last carriage of the {line} near {station}, everyone "
            "evacuated. What's going on?",
            "Someone collapsed and got injured on the {line}, no staff anywhere. Please send help "
            "to {station}!",
        ),
        "job": (
            "Are you hiring train drivers? Looking to apply after moving to {city}.",
            "How long does the application process for your apprenticeship usually take?",
        ),
        "press": (
            "Journalist with {outlet} here, working on a story about rail delays in northern "
            "Germany. Who handles press enquiries?",
        ),
        "news": (
            "Regional operator Nordbahn orders twelve new trains for the {line}, the company "
            "said on Tuesday. The first units are due between {station} and {city} in 2028. "
            "({outlet})",
            "Nordbahn to run the {line} every 30 minutes from December under a new deal with "
            "the state government, according to {outlet}. https://news.example/nordbahn",
        ),
        "sales": (
            "Do you offer a group price for a school trip to {city}? 30 pupils.",
            "Looking for a quote for corporate travel passes, about 50 employees.",
        ),
        "legal": (
            "My lawyer says I'm entitled to compensation under EU rail passenger rights. Expect a "
            "letter.",
            "Your ticket shop asks for my passport number. Is that even GDPR compliant?",
        ),
        "spam": (
            "Earn $$$ with crypto, DM me for the secret 🚀",
            "Free followers giveaway! Click the link in bio",
        ),
    },
    fills_de={
        **_NORDBAHN_COMMON,
        "brand": ("@nordbahn", "@nordbahn", "@Nordbahn_Service"),
        "product": ("Deutschlandticket", "Monatsticket", "Semesterticket", "Jobticket"),
        "outlet": ("NDR", "Hamburger Abendblatt", "Kieler Nachrichten", "Weser-Kurier"),
    },
    fills_en={
        **_NORDBAHN_COMMON,
        "brand": ("@nordbahn", "@Nordbahn_Service"),
        "product": ("Deutschlandticket", "monthly pass", "student ticket", "day ticket"),
        "outlet": ("Reuters", "The Local Germany", "Deutsche Welle", "Railway Gazette"),
    },
)


# --- Brightcell: a mobile network in Germany and the UK -----------------------------------

_BRIGHTCELL_COMMON: dict[str, tuple[str, ...]] = {
    "device": ("iPhone 15", "iPhone 13", "Pixel 8", "Galaxy S24", "Fairphone 5"),
    "minutes": ("20", "35", "45", "50", "60", "90"),
    "hours": ("2", "3", "5", "6", "12"),
}

BRIGHTCELL = DemoProfile(
    de={
        "complaint": (
            "Seit heute Morgen kein Netz in {city}. {brand} was ist da los? Ich kann nicht mal "
            "telefonieren. Ärgerlich!",
            "Netzausfall in {city} jetzt seit {hours} Stunden. Mobile Daten gehen gar nicht, "
            "eine Katastrophe.",
            "Schon wieder falsche Rechnung: {amount} statt dem vereinbarten Betrag. Ich bin so "
            "enttäuscht.",
            "{minutes} Minuten in der Warteschleife der Hotline und dann aufgelegt. Unverschämt, "
            "{brand}.",
            "Meine neue SIM ist seit einer Woche nicht aktiviert. Wie lange soll ich noch warten? "
            "Ärgerlich.",
            "Roaming in Österreich hat mich {amount} gekostet, obwohl es in {product} inklusive "
            "ist. Frechheit!",
            "5G in {city}? Ich habe nicht mal stabiles LTE. Das Netz ist schlecht für "
            "so viel Geld.",
        ),
        "tech": (
            "Die Brightcell-App zeigt beim Login nur eine Fehlermeldung. Ich komme nicht an meine "
            "Rechnung. Nervig.",
            "Passwort vergessen, aber die SMS mit dem Code kommt nie an. {brand} Hilfe?",
            'eSIM auf dem {device} lässt sich nicht einrichten, immer error "Profil ungültig".',
            "WLAN-Call funktioniert seit dem Update auf dem {device} nicht mehr. Total nervig.",
        ),
        "question": (
            "{brand} kann ich {product} auch in der EU ohne Aufpreis nutzen?",
            "Wie lange dauert die Rufnummernmitnahme zu euch ungefähr?",
            "Gibt es eine Störung in {city}? Bei mir geht seit einer Stunde nichts.",
            "Wann wird die Drosselung bei {product} zum Monatsende aufgehoben?",
        ),
        "praise": (
            "Danke an den Support-Chat, Problem mit meinem {device} in 5 Minuten gelöst. Super!",
            "Endlich schnelles 5G in {city}. Wirklich toll, {brand}!",
            "Der Mitarbeiter im Shop in {city} war sehr freundlich und hilfreich. Großes Lob.",
        ),
        "idea": (
            "Vorschlag: Ein Widget fürs restliche Datenvolumen wäre echt praktisch.",
            "Idee: Ungenutztes Datenvolumen in den nächsten Monat mitnehmen. Das sollte Standard "
            "sein.",
            "Wäre schön, wenn man die Familienkarten selbst verwalten könnte.",
        ),
        "crisis": (
            "Mein {device} wurde mit dem Ladegerät aus eurem Shop extrem heiß und hat gequalmt. "
            "Das ist gefährlich!",
            "Datenleck bei Brightcell? Ich bekomme Phishing-SMS mit meinem Namen und meiner "
            "Kundennummer. Eine Gefahr für alle Kunden!",
            "Notruf 112 ging gerade über euer Netz in {city} nicht durch. Bei einem Unfall! Das "
            "darf nicht passieren.",
        ),
        "job": (
            "Hallo {brand}, wie ist der Stand meiner Bewerbung als Shop-Mitarbeiterin in {city}?",
            "Bietet ihr auch eine Ausbildung zum Fachinformatiker an?",
        ),
        "press": (
            "Redaktion {outlet}: Wir berichten über den Netzausfall in {city}. Gibt es ein "
            "Statement für die Presse?",
            "Journalist bei {outlet}, ich hätte Fragen zum mutmaßlichen Datenleck. Bitte um "
            "Rückruf.",
        ),
        "news": (
            "{outlet}: Brightcell baut das 5G-Netz in {city} aus. Bis Jahresende sollen 120 "
            "neue Standorte in Betrieb gehen, wie ein Sprecher mitteilte. "
            "https://presse.example/brightcell-5g",
            "Brightcell erhöht den Umsatz im dritten Quartal um 4 Prozent auf 1,2 Milliarden "
            "Euro. Der Vorstand bestätigte die Prognose für das Gesamtjahr, berichtet {outlet}.",
            "Nach der Störung in {city} am Montag: Laut einem Sprecher von Brightcell war ein "
            "defekter Netzknoten die Ursache, betroffen waren rund 40.000 Kunden. ({outlet})",
        ),
        "sales": (
            "Habt ihr ein Angebot für Firmenkunden mit 25 Leitungen?",
            "Was kostet der Tarif {product}, wenn ich zwei Zusatzkarten nehme?",
            "Gibt es das {device} gerade im Angebot mit Vertrag?",
        ),
        "legal": (
            "Ich habe der Werbung widersprochen und bekomme trotzdem Anrufe. Datenschutz? Mein "
            "Anwalt ist informiert.",
            "Antrag auf Auskunft nach Art. 15 DSGVO: Welche Daten speichert ihr über mich?",
        ),
        "spam": (
            "Gratis iPhone beim Gewinnspiel! Nur heute, Link in Bio 🎁",
            "Bitcoin Trading ohne Risiko, schreib mir eine DM 💰",
        ),
    },
    en={
        "complaint": (
            "No signal in {city} since this morning. {brand} what's going on? Can't even make "
            "calls.",
            "Network outage in {city} for {hours} hours now and no updates. Terrible.",
            "Bill says {amount} again, I'm on a fixed plan. Third wrong bill this year, really "
            "disappointed.",
            "{minutes} minutes on hold and then cut off. Awful service {brand}",
            "Ported my number a week ago and still no service. Still waiting.",
            "Roaming charges of {amount} after a weekend in Spain?! Was supposed to be included "
            "in {product}. Unacceptable.",
        ),
        "tech": (
            "Brightcell app crashed on login again on my {device}. Useless.",
            "Password reset code never arrives by text. How am I supposed to log in?",
            "eSIM setup on the {device} fails with an error. Tried three times.",
        ),
        "question": (
            "{brand} does {product} include EU roaming?",
            "How long does a number transfer with a PAC code take with you?",
            "Anything going on with 5G in {city} today?",
        ),
        "praise": (
            "Support chat sorted my {device} issue in five minutes. Great service, thanks!",
            "Finally decent 5G in {city}. Love it {brand}",
        ),
        "idea": (
            "Suggestion: let unused data roll over to next month. Would make switching a "
            "no-brainer.",
            "Would be nice to manage family SIMs from one account.",
        ),
        "crisis": (
            "Data leak? I'm getting scam texts quoting my Brightcell account number. This is "
            "dangerous.",
            "Couldn't get through to 999 on your network in {city} after an accident. This is "
            "serious.",
        ),
        "job": (
            "Are you hiring in {city}? Would love to apply for a retail role.",
            "Any graduate internship openings in network engineering?",
        ),
        "press": (
            "Journalist at {outlet} here, writing about today's outage in {city}. Who can I speak "
            "to from your press team?",
        ),
        "news": (
            "Brightcell expands 5G to 40 more towns including {city}, the company said on "
            "Monday. Rollout is due to finish by the end of the year. ({outlet})",
            "Brightcell reports quarterly revenue up 4 percent to £1.1 billion and confirmed its "
            "outlook for the year, according to {outlet}. https://news.example/brightcell-q3",
            "Brightcell signs a deal to share masts with a rival network in rural Wales, a "
            "spokesperson said. The company plans to invest £300 million over five years. "
            "({outlet})",
        ),
        "sales": (
            "Can I get a quote for a business plan with 15 lines?",
            "What's your best offer on the {device} with unlimited data?",
        ),
        "legal": (
            "Under GDPR I'm requesting a copy of all data you hold on me. Please confirm.",
            "Speaking to my lawyer about the early termination fee. This is not what I signed.",
        ),
        "spam": (
            "🔥 Crypto giveaway, 10x your money, DM now",
            "Get 10k followers today, link in bio",
        ),
    },
    fills_de={
        **_BRIGHTCELL_COMMON,
        "brand": ("@brightcell_de", "@brightcell"),
        "city": ("Berlin", "Hamburg", "München", "Köln", "Leipzig", "Dortmund", "Stuttgart"),
        "amount": ("89,90 €", "54,99 €", "127,40 €", "39,99 €"),
        "product": ("Brightcell Unlimited", "5G Max", "Smart 20 GB", "Family Plus"),
        "outlet": ("heise online", "Spiegel", "Tagesspiegel", "t3n", "Handelsblatt"),
    },
    fills_en={
        **_BRIGHTCELL_COMMON,
        "brand": ("@brightcell_uk", "@brightcell"),
        "city": ("London", "Manchester", "Leeds", "Bristol", "Glasgow", "Birmingham", "Cardiff"),
        "amount": ("£87.50", "£54.99", "£126.40", "£39.99"),
        "product": ("Brightcell Unlimited", "5G Max", "SIM-only 30GB", "Family Plus"),
        "outlet": ("BBC News", "The Guardian", "TechRadar", "Sky News"),
    },
)

PROFILES: dict[str, DemoProfile] = {"nordbahn": NORDBAHN, "brightcell": BRIGHTCELL}


# --- Authors ----------------------------------------------------------------------------

_FIRST_NAMES: dict[str, tuple[str, ...]] = {
    "de": (
        "Anna",
        "Lena",
        "Julia",
        "Sophie",
        "Marie",
        "Laura",
        "Hannah",
        "Lea",
        "Katrin",
        "Sabine",
        "Özlem",
        "Ayşe",
        "Jonas",
        "Lukas",
        "Felix",
        "Paul",
        "Tim",
        "Jan",
        "Max",
        "Niklas",
        "Thomas",
        "Stefan",
        "Michael",
        "Jürgen",
        "Björn",
        "Murat",
        "Malte",
        "Jens",
    ),
    "en": (
        "Oliver",
        "Jack",
        "Harry",
        "George",
        "Noah",
        "Charlie",
        "James",
        "Liam",
        "Ethan",
        "Mohammed",
        "Emily",
        "Olivia",
        "Amelia",
        "Isla",
        "Ava",
        "Sophie",
        "Grace",
        "Chloe",
        "Priya",
        "Aisha",
        "Megan",
        "Niamh",
    ),
}
_LAST_NAMES: dict[str, tuple[str, ...]] = {
    "de": (
        "Müller",
        "Schmidt",
        "Schneider",
        "Fischer",
        "Weber",
        "Meyer",
        "Wagner",
        "Becker",
        "Schulz",
        "Hoffmann",
        "Koch",
        "Richter",
        "Klein",
        "Wolf",
        "Neumann",
        "Schwarz",
        "Krüger",
        "Hansen",
        "Petersen",
        "Jensen",
        "Yilmaz",
        "Kaya",
        "Nowak",
        "Voß",
    ),
    "en": (
        "Smith",
        "Jones",
        "Taylor",
        "Brown",
        "Williams",
        "Wilson",
        "Johnson",
        "Davies",
        "Evans",
        "Thomas",
        "Roberts",
        "Walker",
        "Wright",
        "Patel",
        "Khan",
        "Clarke",
        "Hughes",
        "O'Brien",
        "Murphy",
        "Campbell",
    ),
}
_SPAM_WORDS = ("crypto", "profit", "lucky", "win", "free", "moon", "bonus", "cash")
_SPAM_NAMES = ("Crypto Queen 💎", "Lucky Deals", "Gewinn-Profi", "Moon Signals 🚀", "Free Stuff")


def _ascii_slug(value: str) -> str:
    """`Jürgen O'Brien` → `juergenobrien`: handles are plain ASCII."""
    value = value.lower()
    for umlaut, replacement in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        value = value.replace(umlaut, replacement)
    value = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")
    return "".join(char for char in value if char.isalnum())


def _followers(rng: random.Random, category: str) -> int:
    """Mostly 20 to 2,000 followers, log-normally spread; now and then a big account."""
    if category == "spam":
        return rng.randint(0, 80)
    if rng.random() < 0.02:
        return round(math.exp(rng.uniform(math.log(50_000), math.log(500_000))))
    median = 3_000 if category in ("press", "news") else 250
    return max(3, min(40_000, round(rng.lognormvariate(math.log(median), 1.0))))


def _author(rng: random.Random, language: str, category: str) -> dict[str, Any]:
    followers = _followers(rng, category)
    if category == "spam":
        handle = f"{rng.choice(_SPAM_WORDS)}_{rng.choice(_SPAM_WORDS)}{rng.randint(10, 9999)}"
        return {"handle": handle, "name": rng.choice(_SPAM_NAMES), "followers": followers}
    first = rng.choice(_FIRST_NAMES[language])
    last = rng.choice(_LAST_NAMES[language])
    f, l_ = _ascii_slug(first), _ascii_slug(last)
    handle = rng.choice(
        (
            f"{f}{l_}",
            f"{f}_{l_}",
            f"{f}{l_[0]}{rng.randint(1, 99)}",
            f"{f}_{rng.randint(1960, 2006)}",
            f"{l_}{f[0]}",
            f"the_{f}_{l_[0]}",
            f"{l_}_{f}{rng.randint(1, 9)}",
        )
    )
    style = rng.random()
    if style < 0.6:
        name = f"{first} {last}"
    elif style < 0.8:
        name = first
    else:
        name = f"{first} {last[0]}."
    return {"handle": handle, "name": name, "followers": followers}


# --- Mentions ---------------------------------------------------------------------------


def _pick_template(
    rng: random.Random,
    templates: dict[str, tuple[str, ...]],
    category_weights: dict[str, float] | None = None,
) -> tuple[str, str]:
    categories = sorted(templates)
    chosen = CATEGORY_WEIGHTS if category_weights is None else category_weights
    weights = [chosen.get(category, 1) for category in categories]
    category = rng.choices(categories, weights=weights)[0]
    return category, rng.choice(templates[category])


def demo_text(
    *,
    client_slug: str,
    language: str,
    rng: random.Random,
    category_weights: dict[str, float] | None = None,
) -> tuple[str, str]:
    """A filled-in post for one client and language. Returns (category, text).

    `category_weights` replaces CATEGORY_WEIGHTS (the back history shifts the mix)."""
    profile = PROFILES[client_slug]
    templates, fills = (
        (profile.de, profile.fills_de) if language == "de" else (profile.en, profile.fills_en)
    )
    category, template = _pick_template(rng, templates, category_weights)
    values = {key: rng.choice(options) for key, options in fills.items()}
    text = template.format(**values)
    emoji = _EMOJI.get(category, ())
    if emoji and rng.random() < 0.3:
        text = f"{text} {rng.choice(emoji)}"
    return category, text


def demo_mention(
    *,
    client_slug: str,
    rng: random.Random,
    now: datetime,
    category_weights: dict[str, float] | None = None,
) -> dict[str, Any]:
    """One made-up mention for a demo client, in the documented mention format.

    About 60 % are German. `now` becomes `published_at`; the external id is always unique,
    so pushing the same seed twice still stores new mentions.
    """
    if client_slug not in PROFILES:
        raise ValueError(f"No demo content for {client_slug!r}; choose one of {sorted(PROFILES)}")
    language = "de" if rng.random() < GERMAN_SHARE else "en"
    category, text = demo_text(
        client_slug=client_slug, language=language, rng=rng, category_weights=category_weights
    )
    author = _author(rng, language, category)
    post_id = uuid4().hex
    return {
        "external_id": f"demo-{post_id}",
        "url": f"https://social.example/{author['handle']}/status/{post_id}",
        "text": text,
        "published_at": now.isoformat(),
        "author": author,
        "language": language,
        "raw": {"demo": True},
    }
