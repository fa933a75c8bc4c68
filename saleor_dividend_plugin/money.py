"""Money and points arithmetic: Decimal only, and every split rounds down so no money is created."""

from decimal import ROUND_DOWN, Decimal, InvalidOperation

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
# Amounts and points that anyone sends stay below this: larger ones are typing mistakes or probes,
# and every sum of them still fits the ledger's Decimal(20, 3) columns (17 integer digits).
MAX_AMOUNT = Decimal(10) ** 12


class InvalidAmount(ValueError):
    """An amount or a number of points that means nothing; the message says why."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


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


def _decimal(value, what: str) -> Decimal:
    # Floats are refused: 0.1 + 0.2 is not an amount of money.
    if isinstance(value, bool | float):
        raise InvalidAmount(f"Give {what} as a decimal number, not {type(value).__name__}.")
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise InvalidAmount(f"{str(value)[:40]!r} is not a number.") from None
    if not number.is_finite():
        raise InvalidAmount(f"Give {what} as a finite number.")
    return number


def parse_amount(value, currency: str, *, signed: bool = False) -> Decimal:
    """The one check of a money amount anyone sends: a decimal (never a float), not zero,
    above zero unless `signed` (a correction), below MAX_AMOUNT, and no finer than the
    currency's minor unit. Raises InvalidAmount."""
    amount = _decimal(value, "amounts")
    if amount == 0:
        raise InvalidAmount("The amount must not be zero.")
    if amount < 0 and not signed:
        raise InvalidAmount("The amount must be above zero.")
    if abs(amount) >= MAX_AMOUNT:
        raise InvalidAmount("The amount is too large.")
    if round_down(amount, currency) != amount:
        raise InvalidAmount(
            f"{currency} amounts have at most {minor_units(currency)} decimal places."
        )
    return round_down(amount, currency)


def parse_points(value, *, signed: bool = False) -> Decimal:
    """The one check of a number of points anyone sends: a whole number, not zero, above zero
    unless `signed`, below MAX_AMOUNT. Raises InvalidAmount."""
    points = _decimal(value, "points")
    if points != points.to_integral_value():
        raise InvalidAmount("Points are whole numbers.")
    if points == 0:
        raise InvalidAmount("The number of points must not be zero.")
    if points < 0 and not signed:
        raise InvalidAmount("The number of points must be above zero.")
    if abs(points) >= MAX_AMOUNT:
        raise InvalidAmount("The number of points is too large.")
    return points.quantize(Decimal(1))
