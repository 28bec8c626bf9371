"""Byte ranges for the media library's files (RFC 9110, section 14): a browser's <video> asks for a part of the
file and seeks by asking again; Safari plays nothing from a server that answers only with the whole file.

One range per request is honoured; a request for several ranges gets the whole file, which the RFC allows.
"""

import re

from django.http import FileResponse, HttpResponse, StreamingHttpResponse

CHUNK = 64 * 1024
UNSATISFIABLE = "unsatisfiable"  # what `requested_range` says when no byte of the asked range exists
_SINGLE_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def file_response(request, opened, size: int, content_type: str) -> HttpResponse:
    """The whole file (200), the part the Range header asks for (206), or 416 when no byte of it exists."""
    wanted = requested_range(request.headers.get("Range", ""), size)
    if wanted is None:
        response = FileResponse(opened, content_type=content_type)
    elif wanted == UNSATISFIABLE:
        opened.close()
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
    else:
        start, end = wanted
        response = StreamingHttpResponse(_part(opened, start, end), status=206, content_type=content_type)
        response["Content-Length"] = str(end - start + 1)
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Accept-Ranges"] = "bytes"
    return response


def requested_range(header: str, size: int):
    """(first byte, last byte) of a single satisfiable range, UNSATISFIABLE, or None for the whole file
    (no header, several ranges, or one this server does not read)."""
    found = _SINGLE_RANGE.match(header.strip())
    if not found or found.groups() == ("", ""):
        return None
    first, last = found.groups()
    if first == "":  # "bytes=-500": the last 500 bytes
        length = int(last)
        if length == 0:
            return UNSATISFIABLE
        return max(size - length, 0), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if last and int(last) < start:
        return None  # syntactically invalid: ignored, as the RFC says
    if start >= size:
        return UNSATISFIABLE
    return start, end


def _part(opened, start: int, end: int):
    with opened:
        opened.seek(start)
        remaining = end - start + 1
        while remaining > 0:
            chunk = opened.read(min(CHUNK, remaining))
            if not chunk:
                return
            remaining -= len(chunk)
            yield chunk
