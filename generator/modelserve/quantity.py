"""Kubernetes quantities (``512Ki``, ``2Gi``, ``500m``, ``1e3``) as exact numbers.

The grammar is apimachinery's ``resource.Quantity`` (``pkg/api/resource/quantity.go``): a signed
decimal with a binary (Ki..Ei) or decimal (n, u, m, k..E) suffix, or an exponent.
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any

_QUANTITY = re.compile(
    r"^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))"
    r"(?:([KMGTPE]i)|([numkMGTPE])|[eE]([+-]?[0-9]+))?$"
)
_BINARY = {p: 1024 ** (i + 1) for i, p in enumerate(("Ki", "Mi", "Gi", "Ti", "Pi", "Ei"))}
_DECIMAL = {"n": -9, "u": -6, "m": -3, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}


def parse_quantity(value: Any) -> Fraction | None:
    """The amount a Kubernetes quantity (``512Ki``, ``2Gi``, ``10``) stands for; None when it
    is not one (the API server refuses to decode such an object)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return Fraction(value)
    match = _QUANTITY.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        return None
    number, binary, decimal, exponent = match.groups()
    amount = Fraction(number)
    if binary:
        return amount * Fraction(_BINARY[binary])
    if decimal:
        scale: Fraction = Fraction(10) ** _DECIMAL[decimal]
        return amount * scale
    # The exponent is clamped so a hostile "1e999999999" cannot make the power take forever.
    if not exponent:
        return amount
    scaled: Fraction = amount * Fraction(10) ** max(-1000, min(1000, int(exponent)))
    return scaled
