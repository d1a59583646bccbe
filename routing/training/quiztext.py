"""The quiz as plain text, for the authoring page (pure; the services validate the result).

? Who signs a public reply?          a single-choice question
* A named employee                   a right choice
- Nobody                             a wrong choice
> Every public reply is signed.      the explanation shown after the attempt
?? Which belong in a reply?          a multiple-choice question
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def questions_parse(text: str) -> list[dict[str, Any]]:
    questions: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    for raw in (text or "").splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("??") or line.startswith("?"):
            multiple = line.startswith("??")
            current = {
                "text": line[2 if multiple else 1 :].strip(),
                "multiple": multiple,
                "explanation": "",
                "choices": [],
            }
            questions.append(current)
        elif current is None:
            questions.append({"text": "", "choices": [], "line": line})
            current = questions[-1]
        elif line[0] in "*-":
            current["choices"].append({"text": line[1:].strip(), "correct": line[0] == "*"})
        elif line.startswith(">"):
            addition = line[1:].strip()
            current["explanation"] = f"{current['explanation']} {addition}".strip()
        else:  # a continuation of the question's text
            current["text"] = f"{current['text']} {line}".strip()
    return questions


def questions_format(questions: Iterable[Mapping[str, Any]]) -> str:
    blocks = []
    for question in questions:
        lines = [("?? " if question.get("multiple") else "? ") + str(question.get("text", ""))]
        for choice in question.get("choices", []):
            lines.append(("* " if choice.get("correct") else "- ") + str(choice.get("text", "")))
        if question.get("explanation"):
            lines.append("> " + str(question["explanation"]))
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)
