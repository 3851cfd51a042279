import sys

import pytest

from zoo.metrics import character_error_rate, word_error_rate


@pytest.fixture(autouse=True)
def _needs_jiwer(request):
    if "without_jiwer" not in request.node.name:
        pytest.importorskip("jiwer")


def test_one_substitution_in_ten_characters():
    assert character_error_rate(["abcdefghij"], ["abcdefgxij"]) == pytest.approx(0.1)
    assert character_error_rate("abcdefghij", "abcdefgxij") == pytest.approx(0.1)


def test_rates_are_floats():
    assert type(character_error_rate(["ab"], ["ab"])) is float
    assert type(word_error_rate(["a b"], ["a b"])) is float
    assert character_error_rate(["ab"], ["ab"]) == 0.0


def test_corpus_rates_weigh_utterances_by_reference_length():
    # 1 edit over 10 + 2 reference characters, not the mean of 0/10 and 1/2.
    refs, hyps = ["abcdefghij", "ab"], ["abcdefghij", "xb"]
    assert character_error_rate(refs, hyps) == pytest.approx(1 / 12)
    # 1 substitution + 1 deletion over 6 + 2 reference words, not the mean of 1/6 and 1/2.
    refs = ["the cat sat on the mat", "hello world"]
    hyps = ["the cat sat on a mat", "hello"]
    assert word_error_rate(refs, hyps) == pytest.approx(2 / 8)


def test_insertions_deletions_and_spaces():
    assert character_error_rate(["ab"], ["abc"]) == pytest.approx(0.5)
    assert character_error_rate(["a b"], ["ab"]) == pytest.approx(1 / 3)  # the space counts
    assert word_error_rate(["a b"], ["a b c"]) == pytest.approx(0.5)
    assert word_error_rate(["a"], ["a b c d"]) == pytest.approx(3.0)  # rates may pass 1
    assert word_error_rate(["one  two "], [" one two"]) == 0.0  # words split on whitespace


def test_empty_hypotheses_are_all_deletions():
    assert character_error_rate(["seven"], [""]) == 1.0
    assert word_error_rate(["one two"], [""]) == 1.0
    assert character_error_rate(["seven", "one"], ["seven", ""]) == pytest.approx(3 / 8)
    assert word_error_rate(["one two", "three"], ["", ""]) == 1.0


@pytest.mark.parametrize("metric", [character_error_rate, word_error_rate])
def test_empty_references_are_refused_by_index(metric):
    with pytest.raises(ValueError, match=r"references\[1\] is '': an error rate needs"):
        metric(["one", ""], ["one", "two"])
    with pytest.raises(ValueError, match=r"references\[0\] is '  '"):
        metric(["  "], ["one"])


@pytest.mark.parametrize("metric", [character_error_rate, word_error_rate])
def test_bad_arguments(metric):
    with pytest.raises(ValueError, match="as many transcripts, got 2 and 1"):
        metric(["a", "b"], ["a"])
    with pytest.raises(ValueError, match="no transcripts to score: the data holds no examples"):
        metric([], [])
    with pytest.raises(TypeError, match=r"hypotheses\[1\] must be a string, got None"):
        metric(["a", "b"], ["a", None])


def test_a_clear_error_without_jiwer(monkeypatch):
    monkeypatch.setitem(sys.modules, "jiwer", None)  # makes `import jiwer` fail
    with pytest.raises(ImportError, match=r'pip install "rnn-zoo\[speech\]"'):
        character_error_rate(["a"], ["a"])
    with pytest.raises(ImportError, match=r'pip install "rnn-zoo\[speech\]"'):
        word_error_rate(["a"], ["a"])
