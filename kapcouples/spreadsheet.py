"""CSV cells that a spreadsheet opens as text: the one function every CSV writer of the product goes through."""

from decimal import Decimal

# A cell starting with one of these runs as a formula in Excel, LibreOffice and Google Sheets (CSV injection);
# names, notes and the usernames of failed sign-ins are typed by anyone.
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value) -> str:
    """The value as CSV text, with a leading apostrophe where a spreadsheet would read typed text as a formula.
    Numbers stay numbers: a count adjustment of -1.00 mg is a value, not a formula."""
    if value is None:
        return ""
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return str(value)
    text = str(value)
    return "'" + text if text[:1] in FORMULA_LEADS else text


def csv_row(values) -> list[str]:
    """csv_cell of every value of a row."""
    return [csv_cell(v) for v in values]
