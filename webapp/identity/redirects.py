"""Where a redirect may go: local paths only."""

from urllib.parse import urlsplit


def safe_next(target: str | None) -> str:
    """A local path to return to; anything off-site (or odd) becomes the home page."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    if "\\" in target or any(ord(ch) < 32 for ch in target):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/"
    return target
