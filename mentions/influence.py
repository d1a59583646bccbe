"""Author influence (interim: reach only; the influence work replaces this module)."""

from __future__ import annotations

import math
from typing import Any


def influence_of_author(author: dict[str, Any]) -> dict[str, Any]:
    try:
        followers = max(0, int(author.get("followers") or 0))
    except (TypeError, ValueError):
        followers = 0
    score = min(1.0, math.log10(1 + followers) / 7)
    return {
        "score": round(score, 4),
        "segment": "mass_connector" if followers >= 10_000 else "regular",
    }
