"""CSV downloads of statistics that a spreadsheet opens safely and in the right encoding."""
import csv
import io

# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection): such text
# cells get a leading apostrophe, which shows the text as typed.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_bytes(rows) -> bytes:
    """UTF-8 with a byte-order mark, so Excel opens the Chinese names correctly."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
