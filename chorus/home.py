"""Where the embedded mode keeps its state: ./var/ unless CHORUS_HOME says otherwise."""

import os
import secrets
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent


def chorus_home() -> Path:
    home = Path(os.environ.get("CHORUS_HOME") or PROJECT_DIR / "var").resolve()
    home.mkdir(parents=True, exist_ok=True)
    return home


def persistent_secret(name: str, generate=lambda: secrets.token_urlsafe(50)) -> str:
    """A secret kept in a file under CHORUS_HOME, created on first use, so restarts keep sessions and keys."""
    path = chorus_home() / name
    if not path.exists():
        path.write_text(generate())
        path.chmod(0o600)
    return path.read_text().strip()
