"""An operator labels an export of comments from the command line, and teaches a workspace its own spam."""

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from chorus.classify.labeller import label_text

COMPETITOR_PROMOS = [
    "В «Зёрнышке» на Ленина капучино за 99 рублей, заходите к нам",
    "А в Зёрнышке на Ленина раф всего 150, приходите",
    "Зёрнышко на Ленина — кофе дешевле в два раза, ждём вас",
    "Лучше идите в Зёрнышко на Ленина, там круассаны по 80",
    "В Зёрнышке на Ленина сегодня второй кофе бесплатно",
    "Кофейня Зёрнышко на Ленина открылась, там все дешевле",
]
SIMILAR_PROMO = "а в Зёрнышке на Ленина латте за 120"  # no call to come: only the rival's name gives it away


def run(*arguments) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("classify", *arguments, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def write_lines(path, lines: list) -> None:
    path.write_text("".join((line if isinstance(line, str) else json.dumps(line, ensure_ascii=False)) + "\n"
                            for line in lines), encoding="utf-8")


def test_operator_labels_an_export_and_is_told_which_line_to_fix(tmp_path):
    comments, labelled = tmp_path / "comments.jsonl", tmp_path / "labels.jsonl"
    write_lines(comments, [{"id": 1, "text": "сколько стоит доставка в Казань", "lang_hint": "ru"},
                           '{"id": 2, "text": "oops no closing brace"',
                           {"id": 3, "text": "Thank you, lovely coffee as always!"},
                           {"id": 4, "body": "no text field"}])
    err = io.StringIO()
    with pytest.raises(CommandError, match="2 lines could not be read"):
        call_command("classify", "--input", str(comments), "--output", str(labelled), stderr=err)
    assert "line 2: not valid JSON" in err.getvalue()
    assert 'line 4: no "text" string' in err.getvalue()
    rows = [json.loads(line) for line in labelled.read_text(encoding="utf-8").splitlines()]
    assert [row["id"] for row in rows] == [1, 3]
    assert rows[0]["lang_hint"] == "ru" and rows[0]["labels"]["question"] > 0.5
    assert rows[1]["labels"]["lang"] == "en" and set(rows[1]["labels"]["sentiment"]) == {"negative", "neutral",
                                                                                         "positive"}


def test_json_prints_one_document_and_nothing_else(tmp_path):
    comments, labelled = tmp_path / "comments.jsonl", tmp_path / "labels.jsonl"
    write_lines(comments, [{"text": "хочу заказать два капучино на 9 утра"}])
    out, _err = run("--input", str(comments), "--output", str(labelled), "--json")
    assert json.loads(out) == {"labelled": 1, "output": str(labelled), "bad_lines": []}
    assert json.loads(labelled.read_text(encoding="utf-8"))["labels"]["lead"] > 0.5


def test_a_missing_input_file_is_an_error_that_names_it(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        run("--input", str(tmp_path / "nowhere.jsonl"), "--output", str(tmp_path / "out.jsonl"))


def test_workspace_corrections_teach_its_model_without_changing_the_base(workspace, tmp_path):
    assert label_text(SIMILAR_PROMO, "ru").spam < 0.5  # a rival's promo reads like chatter to the base model
    corrections = tmp_path / "corrections.jsonl"
    write_lines(corrections, [{"text": text, "lang": "ru", "labels": {"spam": 1}} for text in COMPETITOR_PROMOS])

    out, _err = run("retrain", "--workspace", "coffee", "--input", str(corrections), "--json")

    assert json.loads(out)["corrections"] == len(COMPETITOR_PROMOS)
    assert label_text(SIMILAR_PROMO, "ru", workspace_slug="coffee").spam > 0.5
    assert label_text(SIMILAR_PROMO, "ru").spam < 0.5
    assert label_text(SIMILAR_PROMO, "ru", workspace_slug="tea").spam < 0.5  # no model of its own: the base
    # Only the corrected head moved: the workspace's other labels are the base model's.
    assert label_text(SIMILAR_PROMO, "ru", workspace_slug="coffee").question == label_text(SIMILAR_PROMO, "ru").question

    labelled, comments = tmp_path / "labels.jsonl", tmp_path / "comments.jsonl"
    write_lines(comments, [{"text": SIMILAR_PROMO, "lang_hint": "ru"}])
    run("--input", str(comments), "--output", str(labelled), "--workspace", "coffee")
    assert json.loads(labelled.read_text(encoding="utf-8"))["labels"]["spam"] > 0.5


def test_a_bad_correction_retrains_nothing(workspace, tmp_path, trained_shelf):
    corrections = tmp_path / "corrections.jsonl"
    write_lines(corrections, [{"text": "норм", "lang": "ru", "labels": {"spam": 1}},
                              {"text": "ok", "lang": "en", "labels": {"sentiment": "angry"}}])
    with pytest.raises(CommandError, match="line 2: sentiment must be one of negative, neutral, positive"):
        run("retrain", "--workspace", "coffee", "--input", str(corrections))
    assert not trained_shelf.workspace_path("coffee").exists()


def test_retraining_an_unknown_workspace_is_refused(db, tmp_path):
    corrections = tmp_path / "corrections.jsonl"
    write_lines(corrections, [{"text": "норм", "lang": "ru", "labels": {"spam": 1}}])
    with pytest.raises(CommandError, match="No such workspace"):
        run("retrain", "--workspace", "nobody", "--input", str(corrections))
