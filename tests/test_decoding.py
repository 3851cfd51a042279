import numpy as np
import pytest

from zoo import decoding


def _markov_step(table):
    """A step function whose next-token log-probs depend on the previous token only."""

    def step(tokens, state):
        return table[tokens], state + 1

    return step


def _table(seed, vocab=6, end_id=1):
    rng = np.random.default_rng(seed)
    p = rng.dirichlet(np.full(vocab, 0.5), size=vocab)
    return np.log(p)


@pytest.mark.parametrize("length_penalty", [0.0, 0.6, 2.0])
@pytest.mark.parametrize("seed", range(5))
def test_beam_width_one_is_greedy(seed, length_penalty):
    table = _table(seed)
    step = _markov_step(table)
    state = np.zeros(3)
    greedy = decoding.greedy_search(step, state, start_id=0, end_id=1, max_length=7)
    beam = decoding.beam_search(
        step, state, start_id=0, end_id=1, max_length=7, beam_width=1,
        length_penalty=length_penalty,
    )  # fmt: skip
    assert beam == greedy


def test_with_a_length_penalty_finished_hypotheses_beat_ones_cut_by_max_length():
    def step(tokens, state):  # the end (id 2) likeliest first; after token 3, 3 again
        lp = np.log(np.tile([[1e-9, 1e-9, 0.6, 0.4 - 2e-9]], (len(tokens), 1)))
        lp[tokens == 3] = np.log([1e-9, 1e-9, 0.01, 0.99 - 2e-9])
        return lp, state

    # [3, 3, 3, 3] never finishes within max_length=4: normalised without paying for its end
    # token it would outscore every finished hypothesis.
    for width in (1, 2, 4):
        for penalty in (0.5, 1.0):
            out = decoding.beam_search(step, np.zeros(1), 0, 2, 4, width, penalty)
            assert out in ([[]], [[3]], [[3, 3]], [[3, 3, 3]]), (width, penalty, out)
    assert decoding.beam_search(step, np.zeros(1), 0, 2, 4, 1, 1.0) == [[]]  # greedy's


def test_with_a_length_penalty_a_hypothesis_of_max_length_tokens_may_still_end():
    def step(tokens, state):  # 0 start, 1 end, 2 'x': 'x x x' then the end, all but certain
        lp = np.full((len(tokens), 3), np.log(1e-5))
        lp[:, 2] = np.where(state < 3, np.log(1 - 2e-5), np.log(1e-5))
        lp[:, 1] = np.where(state < 3, np.log(1e-5), np.log(1 - 2e-5))
        return lp, state + 1

    # A target of exactly max_length tokens: its end token comes after max_length steps. It had
    # counted as cut short, so with a penalty any unlikely finished hypothesis beat it ('x x').
    for width in (2, 5):
        for penalty in (0.0, 0.6, 1.0):
            out = decoding.beam_search(step, np.zeros(1), 0, 1, 3, width, penalty)
            assert out == [[2, 2, 2]], (width, penalty, out)


def _logp(table, seq, end_id=1, start_id=0):
    prev, total = start_id, 0.0
    for t in [*seq, end_id]:
        total += table[prev, t]
        prev = t
    return total


@pytest.mark.parametrize("seed", range(5))
def test_beam_is_never_worse_than_greedy_on_finished_sequences(seed):
    table = _table(seed)
    step = _markov_step(table)
    kwargs = dict(start_id=0, end_id=1, max_length=12)
    (greedy,) = decoding.greedy_search(step, np.zeros(1), **kwargs)
    (beam,) = decoding.beam_search(step, np.zeros(1), beam_width=6, **kwargs)
    if len(greedy) < 12:  # greedy finished: the beam's finished best scores at least as high
        assert _logp(table, beam) >= _logp(table, greedy) - 1e-9


def test_beam_finds_the_better_sequence():
    lp = np.log(
        np.array(
            [
                [1e-4, 1e-4, 0.5, 0.4998],  # from start: 2 likelier than 3
                [0.25, 0.25, 0.25, 0.25],
                [1e-4, 0.3, 0.35, 0.3498],  # 2 then end: 0.5 * 0.3
                [1e-4, 0.9997, 1e-4, 1e-4],  # 3 then end: 0.4998 * 0.9997
            ]
        )
    )
    step = _markov_step(lp)
    kw = dict(start_id=0, end_id=1, max_length=5)
    assert decoding.beam_search(step, np.zeros(1), beam_width=2, **kw) == [[3]]
    assert decoding.greedy_search(step, np.zeros(1), **kw)[0][0] == 2


def test_greedy_stops_at_max_length_and_end():
    lp = np.log(np.full((4, 4), 0.01))
    lp[:, 2] = 0.0
    out = decoding.greedy_search(_markov_step(lp), np.zeros(2), 0, 1, max_length=3)
    assert out == [[2, 2, 2], [2, 2, 2]]
    lp[2, 1] = 1.0  # after a 2, the end
    assert decoding.greedy_search(_markov_step(lp), np.zeros(1), 0, 1, 3) == [[2]]


def test_state_rows_follow_their_beams():
    # The state counts steps per row; a state nest (dict/list) is reordered with the beams.
    seen = []

    def step(tokens, state):
        seen.append(state["n"][0].copy())
        lp = np.log(np.tile([0.3, 0.01, 0.39, 0.3], (len(tokens), 1)))  # the end unlikely
        return lp, {"n": [state["n"][0] + 1]}

    decoding.beam_search(step, {"n": [np.zeros(2)]}, 0, 1, max_length=3, beam_width=2)
    # (the fourth step scores only the end token after max_length tokens)
    assert [s.tolist() for s in seen] == [[0] * 4, [1] * 4, [2] * 4, [3] * 4]


def test_sampling_is_seeded_and_respects_top_k_and_temperature():
    logits = np.log([[0.1, 0.2, 0.3, 0.4]] * 200)
    a = decoding.sample_token(logits, np.random.default_rng(3))
    b = decoding.sample_token(logits, np.random.default_rng(3))
    assert (a == b).all() and len(set(a.tolist())) > 1
    top2 = decoding.sample_token(logits, np.random.default_rng(3), top_k=2)
    assert set(top2.tolist()) <= {2, 3}
    cold = decoding.sample_token(logits, np.random.default_rng(3), temperature=1e-3)
    assert (cold == 3).all()
    hot = decoding.sample_token(logits, np.random.default_rng(3), temperature=100.0)
    assert abs(np.mean(hot == 0) - 0.25) < 0.1


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(temperature=0.0), "temperature must be a finite float > 0, got 0.0"),
        (dict(temperature=-1.0), "temperature must be a finite float > 0, got -1.0"),
        (dict(top_k=0), "top_k must be a positive int, got 0"),
    ],
)
def test_sampling_bad_inputs(kwargs, match):
    with pytest.raises(ValueError, match=match):
        decoding.sample_token(np.zeros((1, 3)), np.random.default_rng(0), **kwargs)


def test_search_bad_inputs():
    step = _markov_step(_table(0))
    with pytest.raises(ValueError, match="beam_width must be a positive int, got 0"):
        decoding.beam_search(step, np.zeros(1), 0, 1, 3, beam_width=0)
    with pytest.raises(ValueError, match="max_length must be a positive int, got 0"):
        decoding.greedy_search(step, np.zeros(1), 0, 1, 0)
    with pytest.raises(ValueError, match="length_penalty must be a finite float >= 0, got -1"):
        decoding.beam_search(step, np.zeros(1), 0, 1, 3, length_penalty=-1)
    with pytest.raises(ValueError, match="length_penalty must be a finite float >= 0, got inf"):
        decoding.beam_search(step, np.zeros(1), 0, 1, 3, length_penalty=float("inf"))
    with pytest.raises(TypeError, match="length_penalty must be a float >= 0, got '1'"):
        decoding.beam_search(step, np.zeros(1), 0, 1, 3, length_penalty="1")
    with pytest.raises(ValueError, match=r"length_penalty must be in \[0, 10\] .*got 1000.0"):
        decoding.beam_search(step, np.zeros(1), 0, 1, 3, length_penalty=1000.0)  # overflowed


def test_beam_keeps_a_likely_hypothesis_cut_by_max_length():
    def step(tokens, state):  # 0 start, 1 end (p .01), 2 'x' (.90), 3 'y' (.09)
        return np.log(np.tile([[1e-9, 0.01, 0.90, 0.09]], (len(tokens), 1))), state

    greedy = decoding.greedy_search(step, np.zeros(1), 0, 1, max_length=2)
    for width in (2, 3, 5):
        assert decoding.beam_search(step, np.zeros(1), 0, 1, 2, beam_width=width) == greedy


def test_top_k_keeps_exactly_k_tokens_when_scores_tie():
    logits = np.array([[1.0, 1.0, 1.0, 0.0]])
    draws = {
        int(decoding.sample_token(logits, np.random.default_rng(s), top_k=1)[0]) for s in range(20)
    }
    assert draws == {0}
    draws = {
        int(decoding.sample_token(logits, np.random.default_rng(s), top_k=2)[0]) for s in range(40)
    }
    assert draws == {0, 1}


def test_sampling_never_draws_an_excluded_token_when_scaling_overflows():
    logits = np.array([[-np.inf, -np.inf, 2.0, 3.0, 1.0], [-np.inf, 1e308, -1e308, -np.inf, 0.0]])
    for temperature in (1e-308, 1e-300, 0.5, 1e300):
        for seed in range(5):
            ids = decoding.sample_token(logits, np.random.default_rng(seed), temperature)
            assert ids[0] in (2, 3, 4) and ids[1] in (1, 2, 4), (temperature, seed, ids)
            if temperature < 1e-100:
                assert ids.tolist() == [3, 1]  # a tiny temperature is greedy
