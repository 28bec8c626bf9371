"""What every file import (posts in bulk, metric history) checks before reading rows: size and encoding."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class FileUnreadable(ValidationError):
    """The file as a whole cannot be read (encoding, size, syntax, header); `line` says where it went wrong."""

    def __init__(self, message: str, line: int = 1):
        super().__init__(message)
        self.line = line


def check_size(raw: bytes, max_bytes: int) -> None:
    if len(raw) > max_bytes:
        raise FileUnreadable(_("The file is %(mb).1f MB; at most %(max)d MB can be imported at once: split it.")
                             % {"mb": len(raw) / 2**20, "max": max_bytes // 2**20})


def utf8_text(source: str | bytes, max_bytes: int) -> str:
    """The file's text, without a byte-order mark; an error names the line of the first unreadable character."""
    # A str read with surrogateescape turns back into its original bytes, so both kinds go through one check.
    raw = source if isinstance(source, bytes) else source.encode("utf-8", "surrogateescape")
    check_size(raw, max_bytes)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise FileUnreadable(_("The file is not UTF-8 text (the first unreadable character is on line %(line)d). "
                               "Save it as \"CSV UTF-8\" in Excel, or choose UTF-8 in your editor.")
                             % {"line": line}, line=line) from exc
