"""Small real video files for tests, written box by box (MP4/MOV) and element by element (WebM).

The headers are the ones a camera or an encoder writes: `ftyp`, `moov/mvhd`, a video `trak` with its `tkhd` and
`mdia/hdlr`, a sound track where asked, and an `mdat` of frames. No encoder is needed to read a file's facts.
"""

import struct

from django.core.files.uploadedfile import SimpleUploadedFile


def box(kind: bytes, *payload: bytes) -> bytes:
    body = b"".join(payload)
    return struct.pack(">I4s", 8 + len(body), kind) + body


def _track(handler: bytes, width: int, height: int, seconds: float, quarter_turn: bool) -> bytes:
    one = 1 << 16
    matrix = (0, one, 0, -one, 0, 0, 0, 0, 1 << 30) if quarter_turn else (one, 0, 0, 0, one, 0, 0, 0, 1 << 30)
    tkhd = box(b"tkhd", struct.pack(">B3xIIIIIQhhhH9iII", 0, 0, 0, 1, 0, int(seconds * 1000), 0, 0, 0, 0, 0,
                                    *matrix, width << 16, height << 16))
    hdlr = box(b"hdlr", struct.pack(">4x4x4s12x", handler), b"VideoHandler\0")
    return box(b"trak", tkhd, box(b"mdia", box(b"mdhd", bytes(24)), hdlr))


def mp4_bytes(seconds: float = 12.5, width: int = 1280, height: int = 720, *, brand: bytes = b"isom",
              quarter_turn: bool = False, with_video: bool = True, frames: int = 4096, moov_last: bool = False,
              version: int = 0) -> bytes:
    ftyp = box(b"ftyp", brand, struct.pack(">I", 0x200), brand, b"mp41")
    timescale = 90_000
    times = (struct.pack(">BxxxQQIQ", 1, 0, 0, timescale, int(seconds * timescale)) if version == 1
             else struct.pack(">BxxxIIII", 0, 0, 0, timescale, int(seconds * timescale)))
    mvhd = box(b"mvhd", times, bytes(80))
    tracks = [_track(b"soun", 0, 0, seconds, False)]
    if with_video:
        tracks.append(_track(b"vide", width, height, seconds, quarter_turn))
    moov = box(b"moov", mvhd, *tracks)
    mdat = box(b"mdat", bytes(range(256)) * (frames // 256))
    return ftyp + (mdat + moov if moov_last else moov + mdat)


def _ebml_size(size: int) -> bytes:
    return (size | 1 << 56).to_bytes(8, "big")  # the 8-byte form, as many muxers write it


def element(element_id: int, payload: bytes) -> bytes:
    return element_id.to_bytes((element_id.bit_length() + 7) // 8, "big") + _ebml_size(len(payload)) + payload


def webm_bytes(seconds: float | None = 8.0, width: int = 640, height: int = 360, doc_type: bytes = b"webm") -> bytes:
    header = element(0x1A45DFA3, element(0x4286, b"\x01") + element(0x4282, doc_type))
    info = element(0x2AD7B1, (1_000_000).to_bytes(3, "big"))
    if seconds is not None:
        info += element(0x4489, struct.pack(">d", seconds * 1000))
    video = element(0xE0, element(0xB0, width.to_bytes(2, "big")) + element(0xBA, height.to_bytes(2, "big")))
    tracks = element(0x1654AE6B, element(0xAE, element(0xD7, b"\x01") + element(0x83, b"\x01") + video))
    cluster = element(0x1F43B675, element(0xE7, b"\x00") + bytes(512))
    return header + element(0x18538067, element(0x1549A966, info) + tracks + cluster)


def upload(content: bytes, name: str = "clip.mp4", content_type: str = "video/mp4") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)
