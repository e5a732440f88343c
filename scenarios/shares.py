"""How a share reads: a percent with at most one decimal that never claims a round
number it did not reach."""

from __future__ import annotations


def format_share(share: float | None) -> str:
    """``0.7551`` -> ``75.5%``, ``0.9`` -> ``90%``, None -> ``—``: one decimal at most,
    so a share just below a required 90% never reads as 90%; a share below 1 never reads
    as 100%, nor one above 0 as 0%."""
    if share is None:
        return "—"
    p = share * 100
    text = f"{p:.1f}"
    if text == "100.0" and p < 100:
        text = "99.9"
    elif text == "0.0" and p > 0:
        text = "0.1"
    return (text[:-2] if text.endswith(".0") else text) + "%"
