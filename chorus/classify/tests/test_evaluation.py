"""The issue's measurement: stratified folds per shared set, trained on the rest of the corpus, scored per label."""

from chorus.classify.corpus import CORPUS_DIR, own_examples, youtube_spam
from chorus.classify.evaluation import cross_validate, table
from chorus.classify.text import normalise
from chorus.classify.training import PLAIN


def test_cross_validation_keeps_each_fold_out_of_its_training_and_says_which_f1_is_which(monkeypatch):
    from chorus.classify import training

    spam = youtube_spam(CORPUS_DIR / "public")[::6]
    corpus = spam + own_examples(CORPUS_DIR / "own")[::8]
    seen = []
    original = training.featurize

    def watched(examples):
        seen.append({normalise(e.text) for e in examples})
        return original(examples)

    monkeypatch.setattr(training, "featurize", watched)
    results = cross_validate(corpus, PLAIN, folds=2, own=False, sets=(("youtube-spam", "spam", "en"),),
                             log=lambda line: None)
    assert len(seen) == 2
    assert all(len(trained) < len({normalise(e.text) for e in corpus}) for trained in seen)
    scores = results["youtube-spam"]
    assert scores["examples"] == len(spam)
    assert set(scores["fast"]) == {"spam_f1", "macro_f1", "precision", "recall"}
    assert scores["fast"]["spam_f1"] > 0.7  # chance is about 0.5
    assert "youtube-spam" in table(results) and "spam_f1 >= 0.95" in table(results)
