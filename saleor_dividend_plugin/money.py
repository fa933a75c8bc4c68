"""Money and points arithmetic: Decimal only, and every split rounds down so no money is created."""

from decimal import ROUND_DOWN, Decimal

# ISO 4217 minor units that differ from 2. Saleor stores amounts with 3 decimal places, so no
# currency needs more than that.
_MINOR_UNITS = {
    "BHD": 3,
    "IQD": 3,
    "JOD": 3,
    "KWD": 3,
    "LYD": 3,
    "OMR": 3,
    "TND": 3,
    "BIF": 0,
    "CLP": 0,
    "DJF": 0,
    "GNF": 0,
    "ISK": 0,
    "JPY": 0,
    "KMF": 0,
    "KRW": 0,
    "PYG": 0,
    "RWF": 0,
    "UGX": 0,
    "UYI": 0,
    "VND": 0,
    "VUV": 0,
    "XAF": 0,
    "XOF": 0,
    "XPF": 0,
}

POINTS = "PTS"
ENERGY = "ENERGY"
CONTRIBUTION = "CONTRIB"
ZERO = Decimal(0)


def minor_units(currency: str) -> int:
    return _MINOR_UNITS.get(currency.upper(), 2)


def quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_units(currency))


def round_down(amount: Decimal, currency: str) -> Decimal:
    """Round toward zero to the currency's minor unit (the only rounding money ever gets)."""
    return Decimal(amount).quantize(quantum(currency), rounding=ROUND_DOWN)


def whole(amount: Decimal) -> Decimal:
    """Round toward zero to a whole number of points."""
    return Decimal(amount).quantize(Decimal(1), rounding=ROUND_DOWN)


def is_money_unit(unit: str) -> bool:
    return unit not in {POINTS, ENERGY, CONTRIBUTION}
