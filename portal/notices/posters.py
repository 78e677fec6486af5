"""Printable posters: the QR code leads back to the live notice page."""
import segno


def qr_data_uri(url: str) -> str:
    # Error correction "q" survives a poster that is folded, rained on or partly torn.
    return segno.make(url, error="q").svg_data_uri(scale=6, border=2)
