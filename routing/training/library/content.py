"""The agency's starter library: four template modules every client can copy (pure data;
`routing.training.services.library_templates_ensure` stores them)."""

from __future__ import annotations

from typing import Any


def _q(text: str, right: list[str], wrong: list[str], why: str) -> dict[str, Any]:
    return {
        "text": text,
        "multiple": len(right) > 1,
        "explanation": why,
        "choices": [{"text": t, "correct": True} for t in right]
        + [{"text": t, "correct": False} for t in wrong],
    }


LIBRARY: list[dict[str, Any]] = [
    {
        "slug": "guidelines-basics",
        "title": "Social media guidelines basics",
        "summary": "Who may answer in public, and how: the ten-minute policy class.",
        "pass_mark": 0.8,
        "lesson": """## Why we answer in public

People talk about us whether we listen or not. A good public answer helps the person who
asked **and** everyone who reads along later.

## The rules

1. **Answer as yourself.** Every public reply is signed by a real, named employee.
2. **Be quick, not hasty.** Acknowledge first, then solve. Never guess facts.
3. **Stay calm.** Do not argue in public; offer a private channel when details are needed.
4. **Never share personal data** (order numbers, addresses, phone numbers) in a public reply.
5. **When in doubt, ask.** Crisis topics and very influential authors go to PR first.

Read the client's social media guidelines and acknowledge them before your first reply.
""",
        "questions": [
            _q(
                "Who signs a public reply?",
                ["The employee who wrote it, by name"],
                ["Nobody: replies come from the brand", "The manager on duty"],
                "Every public reply is signed by a real, named employee.",
            ),
            _q(
                "A customer is angry and insults the brand. What do you do?",
                ["Stay calm, acknowledge the problem and offer help"],
                ["Correct them firmly in public", "Ignore the post"],
                "Do not argue in public: acknowledge, then solve or move to a private channel.",
            ),
            _q(
                "Which of these belong in a good public reply?",
                ["Empathy", "A concrete next step"],
                ["The customer's order number", "A guess about the cause"],
                "Empathy and a next step, yes; personal data and guesses, never.",
            ),
        ],
    },
    {
        "slug": "tone-and-signature",
        "title": "Tone and signature",
        "summary": "Sound like a person, sign like one.",
        "pass_mark": 0.75,
        "lesson": """## Tone

Write as you would speak to a customer at the counter: friendly, clear, short. Use the
person's name. Avoid jargon, irony and copy-pasted phrases.

## Signature

Lotse adds your signature to public replies (e.g. `\u2013 Kai` or `^KL`). Keep it; it shows
a real person answered and lets colleagues see who is following up.
""",
        "questions": [
            _q(
                "What does the signature on a public reply show?",
                ["That a named person answered and follows up"],
                ["The brand's legal entity", "Nothing; it is decoration"],
                "The signature names the employee who answered.",
            ),
            _q(
                "Which tone fits a public reply?",
                ["Friendly, clear and short"],
                ["Formal legal language", "Ironic, to show personality"],
                "Talk as at the counter: friendly, clear, short.",
            ),
        ],
    },
    {
        "slug": "escalation-and-crisis",
        "title": "Escalation and crisis",
        "summary": "Spot a crisis early and hand it to PR (the crisis responder level).",
        "pass_mark": 0.8,
        "lesson": """## What is a crisis?

Many people report the same serious problem, safety is at stake, or a post spreads fast
(a "shitstorm"). Lotse shows a spike alert and marks crisis mentions.

## What to do

- **Do not improvise.** Crisis replies need the crisis responder certificate or approval.
- **Escalate** the mention to PR and link the problem cluster.
- **Answer once, consistently**: one agreed statement for everyone who reports the problem.
""",
        "questions": [
            _q(
                "Volume and negative share spike about one topic. What first?",
                ["Escalate to PR and agree one statement"],
                ["Answer each post individually at once", "Wait until it calms down"],
                "A crisis gets one agreed answer, coordinated by PR.",
            ),
            _q(
                "Which signs point to a crisis?",
                ["Many reports of the same serious problem", "A safety risk"],
                ["A single question about opening hours", "A compliment"],
                "Volume, severity and speed make a crisis; single questions do not.",
            ),
        ],
    },
    {
        "slug": "data-protection",
        "title": "Data protection in public replies",
        "summary": "What never goes into a public reply, and how to move to a private channel.",
        "pass_mark": 0.8,
        "lesson": """## Personal data stays private

Never write names of third parties, addresses, phone numbers, e-mail addresses, order,
contract or ticket numbers in a public reply, even if the customer posted them.

## Move to a private channel

Ask the person to send a direct message, or record that you answered by phone or e-mail.
If a customer posted their own data, suggest they delete the post.
""",
        "questions": [
            _q(
                "A customer posts their contract number. What do you write?",
                ["Ask them to send it by direct message and suggest deleting the post"],
                ["Repeat the number to confirm it", "Look it up and post the result"],
                "Personal data never goes into a public reply; move to a private channel.",
            ),
            _q(
                "Which of these may appear in a public reply?",
                ["Your own first name"],
                ["The customer's address", "A ticket number", "A colleague's phone number"],
                "Only your signature; everything personal stays private.",
            ),
        ],
    },
]

# Which library modules a client's levels need when it starts from the library.
STARTER_LEVELS: dict[str, list[str]] = {
    "Responder": ["guidelines-basics"],
    "Crisis responder": ["guidelines-basics", "escalation-and-crisis"],
}

STARTER_GUIDELINES = """## Our social media guidelines

1. **We answer as people.** Every public reply carries the name of the employee who wrote it.
2. **We listen first.** Acknowledge the problem before explaining anything.
3. **We keep personal data private.** No order, contract or phone numbers in public.
4. **We do not argue in public.** Offer a direct message or a call instead.
5. **Crisis topics go to PR.** Escalate; answer only with the agreed statement.
6. **We correct our mistakes openly** and say what we changed.
"""
