"""Ready-made matrices for onboarding: departments and rules per industry.

Each preset is plain data; `routing.services.routing_apply_preset` turns it into rows.
Keywords are matched as whole words or phrases, case-insensitively.
"""

from __future__ import annotations

from typing import Any

DEPARTMENTS: dict[str, str] = {
    "customer-care": "Customer care",
    "tech-support": "Tech support",
    "press": "Press / PR",
    "hr": "HR / Recruiting",
    "sales": "Sales",
    "legal": "Legal",
    "product": "Product / Innovation",
}

_COMMON_HEAD: list[dict[str, Any]] = [
    {
        "name": "Crisis and safety → Press / PR",
        "kinds": ["crisis"],
        "department": "press",
        "priority": 4,
        "escalate": True,
    },
    {
        "name": "Press enquiries → Press / PR",
        "department": "press",
        "priority": 3,
        "keywords": [
            "journalist",
            "press",
            "Presse",
            "Redaktion",
            "interview",
            "Anfrage der Presse",
            "reporter",
        ],
    },
    {"name": "News and press reports → Press / PR", "kinds": ["news"], "department": "press"},
    {"name": "Jobs → HR", "kinds": ["job"], "department": "hr"},
    {
        "name": "Legal threats → Legal",
        "department": "legal",
        "priority": 3,
        "keywords": [
            "lawyer",
            "lawsuit",
            "Anwalt",
            "Klage",
            "Datenschutz",
            "GDPR",
            "DSGVO",
            "Verbraucherzentrale",
            "sue",
        ],
    },
    {
        "name": "Spam → ignored",
        "kinds": ["spam"],
        "department": "customer-care",
        "priority": 1,
        "ignore": True,
    },
    {
        "name": "Influencer complaints → Customer care, copy to PR",
        "kinds": ["complaint"],
        "min_followers": 50_000,
        "department": "customer-care",
        "priority": 3,
        "copy_to": "press",
        "require_approval": True,
    },
]

_COMMON_TAIL: list[dict[str, Any]] = [
    {"name": "Ideas → Product", "kinds": ["idea"], "department": "product"},
    {"name": "Everything else → Customer care", "department": "customer-care", "is_default": True},
]

PRESETS: dict[str, dict[str, Any]] = {
    "general": {
        "label": "General",
        "rules": [
            *_COMMON_HEAD,
            {
                "name": "App and website → Tech support",
                "department": "tech-support",
                "priority": 3,
                "keywords": [
                    "app",
                    "website",
                    "login",
                    "Anmeldung",
                    "Passwort",
                    "password",
                    "crash",
                    "Absturz",
                    "Fehlermeldung",
                    "error",
                    "WLAN",
                    "wifi",
                ],
            },
            {
                "name": "Buying → Sales",
                "department": "sales",
                "keywords": [
                    "price",
                    "offer",
                    "quote",
                    "Angebot",
                    "Preis",
                    "Tarif",
                    "Firmenkunden",
                    "business plan",
                ],
            },
            *_COMMON_TAIL,
        ],
    },
    "retail": {
        "label": "Retail",
        "rules": [
            *_COMMON_HEAD,
            {
                "name": "Orders and delivery → Customer care",
                "department": "customer-care",
                "priority": 3,
                "keywords": [
                    "delivery",
                    "parcel",
                    "order",
                    "Lieferung",
                    "Paket",
                    "Bestellung",
                    "Retoure",
                    "return",
                    "refund",
                    "Erstattung",
                ],
            },
            {
                "name": "Shop and app → Tech support",
                "department": "tech-support",
                "keywords": ["app", "website", "checkout", "Kasse", "login", "Passwort"],
            },
            {
                "name": "Wholesale → Sales",
                "department": "sales",
                "keywords": ["wholesale", "Großhandel", "B2B", "Firmenkunden"],
            },
            *_COMMON_TAIL,
        ],
    },
    "telecom": {
        "label": "Telecom",
        "rules": [
            *_COMMON_HEAD,
            {
                "name": "Outages → Tech support",
                "department": "tech-support",
                "priority": 4,
                "keywords": [
                    "outage",
                    "no signal",
                    "kein Netz",
                    "Störung",
                    "Netzausfall",
                    "Funkloch",
                    "down",
                    "LTE",
                    "5G",
                    "Internet",
                ],
            },
            {
                "name": "Billing → Customer care",
                "department": "customer-care",
                "priority": 3,
                "keywords": ["bill", "invoice", "Rechnung", "abgebucht", "Vertrag", "contract"],
            },
            {
                "name": "Plans → Sales",
                "department": "sales",
                "keywords": ["Tarif", "plan", "upgrade", "Vertragsverlängerung", "Angebot"],
            },
            *_COMMON_TAIL,
        ],
    },
    "transport": {
        "label": "Transport (rail, bus)",
        "rules": [
            *_COMMON_HEAD,
            {
                "name": "Delays and cancellations → Customer care",
                "department": "customer-care",
                "priority": 3,
                "keywords": [
                    "delay",
                    "delayed",
                    "cancelled",
                    "Verspätung",
                    "verspätet",
                    "Ausfall",
                    "ausgefallen",
                    "Zugausfall",
                    "SEV",
                    "Schienenersatzverkehr",
                ],
            },
            {
                "name": "Tickets and app → Tech support",
                "department": "tech-support",
                "keywords": [
                    "app",
                    "Ticket",
                    "Fahrkarte",
                    "Deutschlandticket",
                    "Ticketkauf",
                    "login",
                    "Automat",
                ],
            },
            *_COMMON_TAIL,
        ],
    },
    "airline": {
        "label": "Airline",
        "rules": [
            *_COMMON_HEAD,
            {
                "name": "Baggage → Customer care",
                "department": "customer-care",
                "priority": 3,
                "keywords": ["baggage", "luggage", "bag", "Gepäck", "Koffer"],
            },
            {
                "name": "Delays and cancellations → Customer care",
                "department": "customer-care",
                "priority": 3,
                "keywords": [
                    "delayed",
                    "delay",
                    "cancelled",
                    "verspätet",
                    "annulliert",
                    "missed connection",
                ],
            },
            {
                "name": "Booking and check-in → Tech support",
                "department": "tech-support",
                "keywords": ["booking", "check-in", "app", "website", "Buchung", "boarding pass"],
            },
            *_COMMON_TAIL,
        ],
    },
}
