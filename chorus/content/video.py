"""What a video file is, read from its own headers: container, length, picture size. Pure Python, no ffprobe.

MP4 and MOV (ISO base media / QuickTime): the `ftyp` box names the brand; `moov/mvhd` holds the length, the video
track's `tkhd` its picture size and rotation. WebM (Matroska): the EBML header names the doc type; `Segment/Info`
holds the length, `Segment/Tracks` the video track's pixel size. Only headers are read, never the frames, so a
file of any size is read in a few small reads.
"""

import struct
from dataclasses import dataclass
from typing import BinaryIO


class VideoUnreadable(ValueError):
    """Not a video Chorus can read; the message says why, in a person's words (without the file's name)."""


@dataclass(frozen=True)
class VideoFacts:
    mime: str
    extension: str
    seconds: float
    width: int
    height: int


MP4, MOV, WEBM = ("video/mp4", "mp4"), ("video/quicktime", "mov"), ("video/webm", "webm")
EBML_MAGIC = b"\x1a\x45\xdf\xa3"


def read_video(file: BinaryIO) -> VideoFacts:
    """The facts of an MP4, MOV or WebM file, or VideoUnreadable. The file is left at its start."""
    file.seek(0)
    head = file.read(12)
    file.seek(0, 2)
    end = file.tell()
    try:
        if head[4:8] == b"ftyp":
            return _read_iso(file, end)
        if head[:4] == EBML_MAGIC:
            return _read_webm(file, end)
    except struct.error as exc:  # a box or element cut short
        raise VideoUnreadable("the file is cut short or damaged") from exc
    finally:
        file.seek(0)
    raise VideoUnreadable("it is not an MP4, MOV or WebM video")


# MP4 / MOV ------------------------------------------------------------------------------------------------------

def _boxes(file: BinaryIO, start: int, end: int):
    """(type, payload start, box end) of each box between start and end."""
    position = start
    while position + 8 <= end:
        file.seek(position)
        size, kind = struct.unpack(">I4s", file.read(8))
        header = 8
        if size == 1:  # a 64-bit size follows
            size, header = struct.unpack(">Q", file.read(8))[0], 16
        elif size == 0:  # the box runs to the end of the file
            size = end - position
        if size < header or position + size > end:
            raise VideoUnreadable("the file is cut short or damaged")
        yield kind, position + header, position + size
        position += size


def _child(file: BinaryIO, start: int, end: int, kind: bytes) -> tuple[int, int] | None:
    return next(((s, e) for k, s, e in _boxes(file, start, end) if k == kind), None)


def _read_iso(file: BinaryIO, end: int) -> VideoFacts:
    file.seek(8)
    container = MOV if file.read(4) == b"qt  " else MP4
    top = {kind: (start, stop) for kind, start, stop in _boxes(file, 0, end)}  # every box whole: none cut off
    moov = top.get(b"moov")
    if moov is None:
        raise VideoUnreadable("it has no movie header (moov); the upload may be incomplete")
    mvhd = _child(file, *moov, b"mvhd")
    if mvhd is None:
        raise VideoUnreadable("its movie header has no length (mvhd)")
    file.seek(mvhd[0])
    version = file.read(4)[0]
    timescale, duration = (struct.unpack(">8x8xIQ", file.read(28)) if version == 1
                           else struct.unpack(">4x4xII", file.read(16)))
    if not timescale:
        raise VideoUnreadable("its length is not readable (time scale 0)")
    for kind, start, stop in _boxes(file, *moov):
        if kind == b"trak" and _handler(file, start, stop) == b"vide":
            width, height = _picture(file, start, stop)
            return VideoFacts(*container, round(duration / timescale, 3), width, height)
    raise VideoUnreadable("it has no video track (sound only?)")


def _handler(file: BinaryIO, start: int, end: int) -> bytes:
    mdia = _child(file, start, end, b"mdia")
    hdlr = mdia and _child(file, *mdia, b"hdlr")
    if not hdlr:
        return b""
    file.seek(hdlr[0] + 8)  # version and flags, pre_defined
    return file.read(4)


def _picture(file: BinaryIO, start: int, end: int) -> tuple[int, int]:
    """The track's display size (16.16 fixed point), turned upright when its matrix rotates it a quarter turn."""
    tkhd = _child(file, start, end, b"tkhd")
    if tkhd is None:
        raise VideoUnreadable("its video track has no header (tkhd)")
    file.seek(tkhd[0])
    version = file.read(4)[0]
    file.seek(tkhd[0] + 4 + (32 if version == 1 else 20) + 16)  # times, ids, duration; layer, volume, reserved
    a, b = struct.unpack(">ii28x", file.read(36))[:2]
    width, height = (value >> 16 for value in struct.unpack(">II", file.read(8)))
    quarter_turn = a == 0 and abs(b) == 1 << 16
    return (height, width) if quarter_turn else (width, height)


# WebM -----------------------------------------------------------------------------------------------------------

def _vint(file: BinaryIO, keep_marker: bool) -> tuple[int, bool]:
    """An EBML variable-size integer: its value, and whether it is the reserved "unknown size"."""
    first = file.read(1)[0]
    length = 8 - first.bit_length() + 1
    if length > 8:
        raise VideoUnreadable("the file is cut short or damaged")
    value = first if keep_marker else first & (0xFF >> length)
    rest = file.read(length - 1)
    if len(rest) != length - 1:
        raise VideoUnreadable("the file is cut short or damaged")
    for byte in rest:
        value = value << 8 | byte
    return value, value == (1 << (7 * length)) - 1 and not keep_marker


def _elements(file: BinaryIO, start: int, end: int):
    """(id, payload start, element end) of each element; an element of unknown size runs to `end`."""
    position = start
    while position < end:
        file.seek(position)
        element, _unknown = _vint(file, keep_marker=True)
        size, unknown = _vint(file, keep_marker=False)
        payload = file.tell()
        stop = end if unknown else payload + size
        if stop > end:
            raise VideoUnreadable("the file is cut short or damaged")
        yield element, payload, stop
        position = stop


def _bytes(file: BinaryIO, start: int, end: int) -> bytes:
    file.seek(start)
    return file.read(end - start)


def _number(file: BinaryIO, start: int, end: int, floating: bool = False) -> float:
    raw = _bytes(file, start, end)
    if floating:
        return struct.unpack(">f" if len(raw) == 4 else ">d", raw)[0]
    return int.from_bytes(raw, "big")


def _read_webm(file: BinaryIO, end: int) -> VideoFacts:
    header = next(_elements(file, 0, end))
    fields = {element: (start, stop) for element, start, stop in _elements(file, header[1], header[2])}
    if _bytes(file, *fields.get(0x4282, (0, 0))) != b"webm":  # DocType
        raise VideoUnreadable("it is a Matroska file, not WebM")
    segment = next(((s, e) for i, s, e in _elements(file, header[2], end) if i == 0x18538067), None)
    if segment is None:
        raise VideoUnreadable("it has no segment")
    scale, duration, picture = 1_000_000, None, None
    for element, start, stop in _elements(file, *segment):
        if element == 0x1549A966:  # Info
            for child, s, e in _elements(file, start, stop):
                if child == 0x2AD7B1:
                    scale = int(_number(file, s, e))
                elif child == 0x4489:
                    duration = _number(file, s, e, floating=True)
        elif element == 0x1654AE6B:  # Tracks
            picture = _webm_picture(file, start, stop)
        if duration is not None and picture is not None:
            return VideoFacts(*WEBM, round(duration * scale / 1e9, 3), *picture)
        if element == 0x1F43B675:  # a Cluster: the frames have begun, the headers are over
            break
    if picture is None:
        raise VideoUnreadable("it has no video track")
    raise VideoUnreadable("its length is not written in the file (a live recording?)")


def _webm_picture(file: BinaryIO, start: int, end: int) -> tuple[int, int] | None:
    for entry, s, e in _elements(file, start, end):
        if entry != 0xAE:  # TrackEntry
            continue
        children = {child: (cs, ce) for child, cs, ce in _elements(file, s, e)}
        if 0x83 in children and _number(file, *children[0x83]) == 1 and 0xE0 in children:
            sizes = {child: int(_number(file, cs, ce)) for child, cs, ce in _elements(file, *children[0xE0])}
            return sizes.get(0xB0, 0), sizes.get(0xBA, 0)
    return None
