import itertools
import time

import numpy as np
import pytest

from zoo.decoding import ctc_beam_search, ctc_greedy_decode

SPEECH = " abcdefghijklmnopqrstuvwxyz'"  # ids 1..28, blank 0
DIGITS = "zero one two three four five six seven eight nine".split()


def _log_softmax(x):
    x = np.asarray(x, dtype="float64")
    return x - np.logaddexp.reduce(x, axis=-1, keepdims=True)


def _labelling_log_prob(log_probs, labels, blank=0):
    """log p(labels | frames): the CTC forward algorithm over every alignment."""
    ext = [blank]
    for c in labels:
        ext += [c, blank]
    alpha = np.full(len(ext), -np.inf)
    alpha[0] = log_probs[0, blank]
    if len(ext) > 1:
        alpha[1] = log_probs[0, ext[1]]
    for row in log_probs[1:]:
        prev = alpha.copy()
        for s in range(1, len(ext)):
            alpha[s] = np.logaddexp(prev[s], prev[s - 1])
            if s >= 2 and ext[s] != blank and ext[s] != ext[s - 2]:
                alpha[s] = np.logaddexp(alpha[s], prev[s - 2])
        alpha[0] = prev[0]
        alpha += row[ext]
    return np.logaddexp.reduce(alpha[-2:]) if len(ext) > 1 else alpha[0]


def _reference_beam_search(log_probs, beam_width, blank=0):
    """Textbook CTC prefix beam search (Hannun et al. 2014) on dicts, one frame at a time."""
    beams = {(): (0.0, -np.inf)}  # prefix -> (log p ending in blank, log p ending in a label)
    for row in log_probs:
        grown = {}

        def add(prefix, b, nb, grown=grown):
            ob, onb = grown.get(prefix, (-np.inf, -np.inf))
            grown[prefix] = (np.logaddexp(ob, b), np.logaddexp(onb, nb))

        for prefix, (b, nb) in beams.items():
            total = np.logaddexp(b, nb)
            add(prefix, total + row[blank], -np.inf)
            if prefix:
                add(prefix, -np.inf, nb + row[prefix[-1]])
            for c in range(len(row)):
                if c != blank:
                    base = b if prefix and prefix[-1] == c else total
                    add((*prefix, c), -np.inf, base + row[c])
        ranked = sorted(grown.items(), key=lambda kv: -np.logaddexp(*kv[1]))
        beams = dict(ranked[:beam_width])
    return max(beams.items(), key=lambda kv: np.logaddexp(*kv[1]))[0]


def _ids(text, vocabulary=SPEECH):
    return [vocabulary.index(c) + 1 for c in text]


def _frames(text, frames_per_char=2, p=0.9, vocabulary=SPEECH):
    """Log-probabilities of a clean utterance: each character's frames then a blank frame."""
    classes = len(vocabulary) + 1
    rows = []
    for c in _ids(text, vocabulary):
        rows += [c] * frames_per_char + [0]
    probs = np.full((len(rows) + 1, classes), (1 - p) / (classes - 1))
    probs[np.arange(len(rows)), rows] = p
    probs[-1] = (1 - p) / (classes - 1)
    probs[-1, 0] = p
    return np.log(probs)


# Greedy decoding.


def test_greedy_merges_repeats_and_drops_blanks():
    x = np.eye(4)[[[1, 1, 1, 0, 0, 2, 3, 3, 0, 3]]]
    assert ctc_greedy_decode(x, [10]) == [[1, 2, 3, 3]]


def test_greedy_keeps_repeats_separated_by_a_blank():
    x = np.eye(3)[[[2, 0, 2, 2, 0, 2]]]
    assert ctc_greedy_decode(x, [6]) == [[2, 2, 2]]


def test_greedy_ignores_frames_past_each_length():
    x = np.eye(3)[[[1, 0, 2, 2, 1], [2, 2, 1, 1, 1]]]
    assert ctc_greedy_decode(x, [3, 1]) == [[1, 2], [2]]
    assert ctc_greedy_decode(x, np.array([0, 5])) == [[], [2, 1]]
    assert ctc_greedy_decode(x, None) == [[1, 2, 1], [2, 1]]


def test_greedy_with_the_blank_last():
    x = np.eye(3)[[[0, 2, 0, 0, 1, 2]]]
    assert ctc_greedy_decode(x, [6], blank=2) == [[0, 0, 1]]


# Beam search without a lexicon.


@pytest.mark.parametrize("seed", range(3))
def test_beam_search_is_the_textbook_algorithm(seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(6, 10, 5)) * 2.0
    lengths = rng.integers(0, 11, size=6)
    lengths[0] = 10
    for width in (1, 3, 8):
        got = ctc_beam_search(x, lengths, "abcd", beam_width=width, prune=0)
        lp = _log_softmax(x)
        want = [
            "".join("abcd"[c - 1] for c in _reference_beam_search(lp[i, :n], width))
            for i, n in enumerate(lengths)
        ]
        assert got == want


@pytest.mark.parametrize("seed", range(4))
def test_beam_search_agrees_with_keras(seed):
    import keras

    rng = np.random.default_rng(seed)
    vocabulary = "abcdefg"
    x = rng.normal(size=(8, 20, len(vocabulary) + 1)) * 4.0
    lengths = rng.integers(1, 21, size=8)
    decoded, _ = keras.ops.ctc_decode(
        x, lengths, strategy="beam_search", beam_width=16, top_paths=1, mask_index=0
    )
    want = ["".join(vocabulary[c - 1] for c in row if c > 0) for row in np.asarray(decoded)[0]]
    assert ctc_beam_search(x, lengths, vocabulary, beam_width=16) == want


@pytest.mark.parametrize("seed", range(4))
def test_beam_search_labelling_is_at_least_as_probable_as_greedy(seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(4, 12, 6)) * 1.5
    lp = _log_softmax(x)
    greedy = ctc_greedy_decode(x, None)
    narrow = ctc_beam_search(x, None, "abcde", beam_width=8)
    wide = ctc_beam_search(x, None, "abcde", beam_width=256, prune=0)
    for i in range(4):
        best_path = lp[i].max(axis=-1).sum()  # the one alignment greedy decoding reads
        greedy_labelling = _labelling_log_prob(lp[i], greedy[i])
        assert _labelling_log_prob(lp[i], _ids(narrow[i], "abcde")) >= best_path
        # A narrow beam can lose the greedy labelling on flat outputs (so does TF's decoder);
        # a wide one cannot.
        assert _labelling_log_prob(lp[i], _ids(wide[i], "abcde")) >= greedy_labelling - 1e-9


def test_beam_search_beats_the_best_path():
    # Each frame: blank 0.6, "a" 0.4. The best path is all blanks (0.6**3 = 0.216), but the
    # labelling "a" sums 6 alignments (a--, -a-, --a, aa-, -aa, aaa) to 0.688.
    x = np.log(np.tile([0.6, 0.4], (1, 3, 1)))
    assert ctc_greedy_decode(x, [3]) == [[]]
    assert ctc_beam_search(x, [3], "a") == ["a"]
    lp = x[0]
    assert np.exp(_labelling_log_prob(lp, [1])) == pytest.approx(0.688)
    assert np.exp(_labelling_log_prob(lp, [])) == pytest.approx(0.216)


@pytest.mark.parametrize("seed", range(3))
def test_a_wide_beam_finds_the_most_probable_labelling(seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(1, 6, 4)) * 1.5
    lp = _log_softmax(x)[0]
    labellings = [ids for n in range(7) for ids in itertools.product((1, 2, 3), repeat=n)]
    best = max(labellings, key=lambda ids: _labelling_log_prob(lp, ids))
    got = ctc_beam_search(x, None, "abc", beam_width=4096, prune=0)[0]
    assert got == "".join("abc"[c - 1] for c in best)


def test_logits_and_log_probabilities_decode_alike():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(3, 12, 5)) * 3
    shifted = logits + rng.normal(size=(3, 12, 1)) * 10  # a per-frame constant
    want = ctc_beam_search(_log_softmax(logits), None, "abcd")
    assert ctc_beam_search(logits, None, "abcd") == want
    assert ctc_beam_search(shifted, None, "abcd") == want


def test_padding_frames_are_ignored():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(3, 14, 5)) * 3
    lengths = [14, 6, 9]
    batch = ctc_beam_search(x, lengths, "abcd")
    single = [ctc_beam_search(x[i : i + 1, :n], [n], "abcd")[0] for i, n in enumerate(lengths)]
    assert batch == single
    padded = x.copy()
    padded[1, 6:] = rng.normal(size=(8, 5)) * 9
    assert ctc_beam_search(padded, lengths, "abcd") == batch


def test_the_blank_may_be_any_class():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(4, 12, 5)) * 3
    want = ctc_beam_search(x, None, "abcd", blank=0)
    blank_last = np.concatenate([x[..., 1:], x[..., :1]], axis=-1)
    assert ctc_beam_search(blank_last, None, "abcd", blank=4) == want


def test_clean_utterances_and_empty_output():
    x = _frames("seven")[None]
    assert ctc_beam_search(x, [x.shape[1]], SPEECH) == ["seven"]
    silence = np.log(np.full((2, 5, 29), 0.001 / 28))
    silence[..., 0] = np.log(0.999)
    assert ctc_beam_search(silence, [5, 0], SPEECH) == ["", ""]
    assert ctc_beam_search(silence, [5, 0], SPEECH, lexicon=DIGITS) == ["", ""]


# Beam search with a lexicon.


def _noisy_seven():
    """'seven' whose 'e' frames lean to 'i': greedy and free decoding read 'siven'."""
    x = np.exp(_frames("seven"))
    e_frames = [3, 4]  # the first 'e' (frames 0-1 's', 2 blank)
    x[e_frames, _ids("i")[0]] = 0.5
    x[e_frames, _ids("e")[0]] = 0.4
    return np.log(x / x.sum(axis=-1, keepdims=True))[None]


def test_lexicon_corrects_a_misspelling():
    x = _noisy_seven()
    n = [x.shape[1]]
    assert "".join(SPEECH[c - 1] for c in ctc_greedy_decode(x, n)[0]) == "siven"
    assert ctc_beam_search(x, n, SPEECH) == ["siven"]
    assert ctc_beam_search(x, n, SPEECH, lexicon=DIGITS) == ["seven"]


def test_lexicon_word_sequences():
    x = np.concatenate([_frames("one"), _frames(" "), _noisy_seven()[0]])[None]
    assert ctc_beam_search(x, None, SPEECH) == ["one siven"]
    assert ctc_beam_search(x, None, SPEECH, lexicon=DIGITS) == ["one seven"]


@pytest.mark.parametrize("seed", range(3))
def test_out_of_lexicon_words_never_appear(seed):
    rng = np.random.default_rng(seed)
    vocabulary = "abn "
    lexicon = ["a", "ab", "ban", "nab"]
    x = rng.normal(size=(16, 25, 5)) * 2.5
    for out in ctc_beam_search(x, None, vocabulary, beam_width=8, lexicon=lexicon):
        assert out == "" or all(word in lexicon for word in out.split(" ")), out
        assert out == out.strip() and "  " not in out


def test_lexicon_without_a_separator_in_the_vocabulary_gives_single_words():
    x = _frames("nine", vocabulary="einv")[None]
    assert ctc_beam_search(x, None, "einv", lexicon=["nine", "vine"]) == ["nine"]
    assert ctc_beam_search(x, None, "einv", lexicon=["vine"]) == ["vine"]


def test_word_bonus_favours_more_words():
    # "a", then a frame where the separator (0.45) is less likely than blank (0.55), then "b".
    probs = np.array([[0.05, 0.9, 0.03, 0.02], [0.55, 0.0, 0.0, 0.45], [0.05, 0.03, 0.9, 0.02]])
    x = np.log(probs + 1e-9)[None]
    assert ctc_beam_search(x, None, "ab ", lexicon=["a", "b", "ab"]) == ["ab"]
    assert ctc_beam_search(x, None, "ab ", lexicon=["a", "b", "ab"], word_bonus=1.0) == ["a b"]
    assert ctc_beam_search(x, None, "ab ", word_bonus=1.0) == ["a b"]


def test_decoding_is_fast():
    # 100 frames of 29 classes (1 s of speech at a 10 ms hop), beam 16: a few ms an utterance.
    rng = np.random.default_rng(0)
    x = rng.normal(size=(8, 100, 29)) * 1.5
    x[..., 0] += 4.0
    for kwargs in ({}, {"lexicon": DIGITS}):
        ctc_beam_search(x[:1], None, SPEECH, **kwargs)
        times = []
        for _ in range(3):
            start = time.perf_counter()
            ctc_beam_search(x, None, SPEECH, beam_width=16, **kwargs)
            times.append((time.perf_counter() - start) / len(x))
        assert min(times) < 0.05, (kwargs, times)  # generous: the machine may be busy


# Bad arguments.


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"beam_width": 0}, "beam_width must be a positive int, got 0"),
        ({"blank": 5}, r"blank must be a class index in \[0, 4\] \(5 classes\), got 5"),
        ({"blank": -1}, r"blank must be a class index in \[0, 4\]"),
        ({"lengths": [3, 3]}, r"lengths must hold one frame count per utterance \(1\)"),
        ({"lengths": [7]}, r"lengths\[0\] must be in \[0, 6\]"),
        ({"vocabulary": "abc"}, "one character per non-blank class \\(4\\), got 3"),
        ({"vocabulary": "abca"}, "must be distinct"),
        ({"vocabulary": ["a", "b", "cd", " "]}, r"vocabulary\[2\] must be a single character"),
        ({"prune": 1.0}, r"prune must be a probability in \[0, 1\), got 1.0"),
        # the words as given, their characters in order of appearance
        ({"lexicon": ["zz", "ab", "x-ray", "cab"]}, "'zz' \\('z'\\), 'x-ray' \\('x-ry'\\)\\."),
        ({"lexicon": ["a b"]}, "lexicon word 'a b' contains the separator ' '"),
        ({"lexicon": ["ab", ""]}, "lexicon words must be non-empty strings, got ''"),
        ({"lexicon": []}, "lexicon must hold at least one word"),
        ({"separator": "  "}, "separator must be a single character"),
    ],
)
def test_bad_arguments_raise_clear_errors(kwargs, match):
    args = {"lengths": [6], "vocabulary": "abc ", **kwargs}
    with pytest.raises(ValueError, match=match):
        ctc_beam_search(np.zeros((1, 6, 5)), **args)


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match=r"must be 3-D \(batch, frames, classes\), got shape"):
        ctc_beam_search(np.zeros((6, 5)), None, "abcd")
    with pytest.raises(ValueError, match="holds NaN at"):
        ctc_greedy_decode(np.full((1, 2, 3), np.nan), None)
    with pytest.raises(TypeError, match="lexicon must be an iterable of words, not one string"):
        ctc_beam_search(np.zeros((1, 6, 5)), None, "abcd", lexicon="abc")
    with pytest.raises(TypeError, match="lengths must be integers"):
        ctc_greedy_decode(np.zeros((1, 6, 5)), [2.5])
    with pytest.raises(ValueError, match=r"blank must be a class index in \[0, 4\]"):
        ctc_greedy_decode(np.zeros((1, 6, 5)), None, blank=7)
