"""The JSON Lines files people hand the classifier: comments to label, and a workspace's corrections.

A bad line is reported with its number and what to change; the good lines are still read, and the caller
decides what a bad line costs (labelling writes the good ones, retraining refuses the whole file).
"""

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext as _

from chorus.classify.corpus import Example, check_labels

BATCH = 512


@dataclass(frozen=True)
class BadLine:
    number: int
    problem: str

    def __str__(self) -> str:
        return _("line %(number)d: %(problem)s") % {"number": self.number, "problem": self.problem}


def read_comments(path: Path) -> tuple[list[tuple[int, dict]], list[BadLine]]:
    """(line number, object) for each comment line: an object with a string "text" and, optionally, a
    string "lang_hint"."""
    return _read(path, _comment)


def read_corrections(path: Path) -> tuple[list[Example], list[BadLine]]:
    """Corrections: {"text": "...", "lang": "ru", "labels": {"spam": 1}} per line."""
    rows, bad = _read(path, _correction)
    return [example for _number, example in rows], bad


def write_jsonl(path: Path, rows: list[dict]) -> None:
    """All or nothing: a reader of `path` never sees half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _read(path: Path, parse) -> tuple[list, list[BadLine]]:
    rows, bad = [], []
    with path.open(encoding="utf-8", errors="replace") as file:
        for number, line in enumerate(file, 1):
            if not line.strip():
                continue
            try:
                rows.append((number, parse(_object(line))))
            except ValueError as exc:
                bad.append(BadLine(number, str(exc)))
    return rows, bad


def _object(line: str) -> dict:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(_("not valid JSON (%(error)s); write one JSON object per line") % {"error": exc.msg}) from exc
    if not isinstance(record, dict):
        raise ValueError(_('not a JSON object; write {"text": "..."}'))
    return record


def _text(record: dict) -> str:
    if not isinstance(record.get("text"), str):
        raise ValueError(_('no "text" string; every line needs {"text": "the comment"}'))
    return record["text"]


def _comment(record: dict) -> dict:
    _text(record)
    if record.get("lang_hint") is not None and not isinstance(record["lang_hint"], str):
        raise ValueError(_('"lang_hint" must be a language code such as "ru", or left out'))
    return record


def _correction(record: dict) -> Example:
    text = _text(record)
    lang = record.get("lang") or ""
    if not isinstance(lang, str):
        raise ValueError(_('"lang" must be a language code such as "ru"'))
    if not isinstance(record.get("labels"), dict) or not record["labels"]:
        raise ValueError(_('no "labels" object; write e.g. {"labels": {"spam": 1}} or {"labels": {"sentiment": '
                           '"negative"}}'))
    return Example(text, lang, check_labels(record["labels"]))
