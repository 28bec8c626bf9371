"""Reading a video's facts from its headers: how long it takes and how much of the file it reads.

    .venv/bin/python bench/video_headers.py

Writes a 512 MB MP4 (the library's limit) as a sparse file with its `moov` box at the end, as a camera that does
not "fast start" leaves it, and a WebM; reads each 200 times through chorus.content.video.read_video and prints
the median time and the bytes read per file.
"""

import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from chorus.content.tests.clips import mp4_bytes, webm_bytes  # noqa: E402
from chorus.content.video import read_video  # noqa: E402

SIZE, RUNS = 512 * 2**20, 200


class CountingFile(io.FileIO):
    bytes_read = 0

    def read(self, size=-1):
        data = super().read(size)
        self.bytes_read += len(data)
        return data


def big_mp4(folder: Path) -> Path:
    """ftyp, then an mdat of zeros filling the file (sparse: no disk used), then the moov."""
    small = mp4_bytes(seconds=95, moov_last=True, frames=0)
    ftyp_end = int.from_bytes(small[:4], "big")
    moov = small[ftyp_end + 8:]  # the empty mdat's 8-byte header is dropped; a big one takes its place
    frames = SIZE - ftyp_end - len(moov) - 16
    path = folder / "big.mp4"
    with path.open("wb") as file:
        file.write(small[:ftyp_end] + (1).to_bytes(4, "big") + b"mdat" + (frames + 16).to_bytes(8, "big"))
        file.seek(frames, 1)
        file.write(moov)
    return path


def measure(path: Path) -> tuple[float, int, object]:
    times, facts, bytes_read = [], None, 0
    for _run in range(RUNS):
        with CountingFile(path, "r") as file:
            started = time.perf_counter()
            facts = read_video(file)
            times.append(time.perf_counter() - started)
            bytes_read = file.bytes_read
    return statistics.median(times) * 1000, bytes_read, facts


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        clips = [big_mp4(Path(folder)), Path(folder) / "clip.webm"]
        clips[1].write_bytes(webm_bytes(seconds=42))
        for path in clips:
            median_ms, bytes_read, facts = measure(path)
            print(f"{path.name}: {path.stat().st_size / 2**20:.0f} MB, median {median_ms:.3f} ms, "
                  f"{bytes_read} bytes read -> {facts}")


if __name__ == "__main__":
    main()
