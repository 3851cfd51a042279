import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo.metrics import bio_entities, entity_scores, tagging_entity_scores

TAGS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]


def test_bio_entities():
    assert bio_entities(["O", "B-PER", "I-PER", "I-PER", "O"]) == [("PER", 1, 4)]
    assert bio_entities(["B-PER", "B-PER"]) == [("PER", 0, 1), ("PER", 1, 2)]
    assert bio_entities(["I-LOC", "I-LOC", "I-PER"]) == [("LOC", 0, 2), ("PER", 2, 3)]
    assert bio_entities(["B-PER", "I-LOC"]) == [("PER", 0, 1), ("LOC", 1, 2)]
    assert bio_entities([]) == [] and bio_entities(["O", "O"]) == []


def test_entity_scores_hand_computed():
    true = [["B-PER", "I-PER", "O", "B-LOC"], ["B-LOC", "O"]]
    pred = [["B-PER", "O", "O", "B-LOC"], ["B-LOC", "B-PER"]]
    # true: PER(0,2) LOC(3,4) LOC(0,1); pred: PER(0,1) LOC(3,4) LOC(0,1) PER(1,2)
    s = entity_scores(true, pred)
    assert (s["true_entities"], s["pred_entities"]) == (3, 4)
    assert s["precision"] == pytest.approx(2 / 4) and s["recall"] == pytest.approx(2 / 3)
    assert s["f1"] == pytest.approx(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3))
    assert entity_scores([["O"]], [["O"]])["f1"] == 0.0


def test_agrees_with_seqeval_on_random_sequences():
    seqeval = pytest.importorskip("seqeval.metrics")
    rng = np.random.default_rng(0)
    true = [list(rng.choice(TAGS, size=rng.integers(1, 12))) for _ in range(200)]
    pred = [[t if rng.random() < 0.7 else rng.choice(TAGS) for t in seq] for seq in true]
    s = entity_scores(true, pred)
    assert s["precision"] == pytest.approx(seqeval.precision_score(true, pred))
    assert s["recall"] == pytest.approx(seqeval.recall_score(true, pred))
    assert s["f1"] == pytest.approx(seqeval.f1_score(true, pred))


def test_bad_tags():
    with pytest.raises(ValueError, match="tags must be 'O', 'B-<type>' or 'I-<type>'.*'PER'"):
        bio_entities(["PER"])
    with pytest.raises(ValueError, match="tag 'B-ORG' is outside the tag set"):
        entity_scores([["B-ORG"]], [["O"]], tag_set=set(TAGS))
    with pytest.raises(ValueError, match="sequence 0: true_tags has 2 tags but pred_tags has 1"):
        entity_scores([["O", "O"]], [["O"]])
    with pytest.raises(ValueError, match="as many sequences, got 1 and 0"):
        entity_scores([["O"]], [])


@pytest.mark.slow
def test_tagging_head_on_a_bidirectional_encoder_learns_entities():
    # Token 2 is a person name, 3 a place name, 4 a name continuation, others are "O".
    rng = np.random.default_rng(0)
    x = rng.integers(5, 12, size=(128, 8))
    y = np.zeros_like(x)
    for row_x, row_y in zip(x, y, strict=True):
        for pos, (tok, b) in zip(rng.choice(6, 2, replace=False), [(2, 1), (3, 3)], strict=True):
            row_x[pos], row_y[pos] = tok, b
            row_x[pos + 1], row_y[pos + 1] = 4, b + 1
    x[:, 7] = 0  # padding, left out of the scores
    y[:, 7] = 0
    model = zoo.models.bidirectional(
        vocab_size=12, task="tagging", num_classes=5, units=16, learning_rate=1e-2, seed=0
    )
    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(32)
    model.fit(ds, epochs=12, verbose=0, shuffle=False)
    scores = tagging_entity_scores(model, ds, TAGS)
    expected = sum(len(bio_entities([TAGS[k] for k in row[:7]])) for row in y)
    assert scores["entity_true_entities"] == expected > 128
    assert scores["entity_f1"] > 0.9
    with pytest.raises(ValueError, match=r"tag ids \[7\] are outside the 5 tags"):
        bad = tf.data.Dataset.from_tensors((x[:1], np.full_like(y[:1], 7)))
        tagging_entity_scores(model, bad, TAGS)


def test_a_model_with_more_classes_than_tags_is_named():
    model = zoo.models.bidirectional(vocab_size=9, task="tagging", num_classes=5, units=4, seed=1)
    ds = tf.data.Dataset.from_tensors((np.array([[3, 4, 5, 0]]), np.array([[1, 2, 0, 0]])))
    with pytest.raises(ValueError, match=r"the model has 5 classes but tags names 3 \("):
        tagging_entity_scores(model, ds, ["O", "B-PER", "I-PER"])

    class Unbuilt:  # no output_shape: the first batch's probabilities are checked
        def predict_on_batch(self, x):
            return np.full((*np.shape(x), 5), 0.2)

    with pytest.raises(ValueError, match=r"the model has 5 classes but tags names 3 \("):
        tagging_entity_scores(Unbuilt(), ds, ["O", "B-PER", "I-PER"])


def test_a_sequence_level_model_or_tags_of_another_length_are_named():
    # (IndexError: invalid index to scalar variable; NumPy's broadcast error)
    tags = ["O", "B-PER", "I-PER"]
    x, y = np.array([[3, 4, 0]]), np.array([[1, 2, 0]])
    classifier = zoo.models.gru(vocab_size=9, task="classification", num_classes=3, units=2)
    with pytest.raises(ValueError, match=r"model must have the tagging head.*got outputs of sha"):
        tagging_entity_scores(classifier, tf.data.Dataset.from_tensors((x, y)), tags)
    tagger = zoo.models.gru(vocab_size=9, task="tagging", num_classes=3, units=2)
    short = tf.data.Dataset.from_tensors((x, y[:, :2]))
    with pytest.raises(ValueError, match=r"one tag id per token: got tag ids of shape \(1, 2\)"):
        tagging_entity_scores(tagger, short, tags)


@pytest.mark.parametrize(
    "dataset, tags, error, match",
    [
        ("pairs", None, TypeError, r"tags must be a list of strings, got None"),
        ("pairs", ["O", "B-PER", "B-PER"], ValueError, r"name each class once, got \['B-PER'\]"),
        ("tokens", ["O", "B-PER", "I-PER"], ValueError, r"must yield \(token ids, tag ids\) pairs"),
        ("arrays", ["O", "B-PER", "I-PER"], TypeError, r"dataset must be a tf.data.Dataset"),
    ],
)
def test_bad_tags_and_data_are_named(dataset, tags, error, match):
    model = zoo.models.bidirectional(vocab_size=9, task="tagging", num_classes=3, units=2)
    x, y = np.array([[3, 4, 0]]), np.array([[1, 2, 0]])
    data = {
        "pairs": tf.data.Dataset.from_tensors((x, y)),
        "tokens": tf.data.Dataset.from_tensors(x),
        "arrays": (x, y),
    }[dataset]
    with pytest.raises(error, match=match):
        tagging_entity_scores(model, data, tags)
