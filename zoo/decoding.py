"""Decoding for the sequence models: greedy search, beam search and seeded sampling.

The search functions know no model: they drive a `step_fn(tokens, state) -> (log_probs, state)`
that scores the next token of `N` hypotheses at once, where `state` is any nest of arrays whose
leading dimension is `N` (the recurrent states, the encoder outputs, ...). A step runs only the
new token through the network, carrying the state: the prefix is never run again.
"""

import numpy as np

from zoo.validation import check_positive_float, check_positive_int


def _take(state, index):
    """Selects rows `index` of every array in the nest `state`."""
    if isinstance(state, dict):
        return {k: _take(v, index) for k, v in state.items()}
    if isinstance(state, list | tuple):
        return type(state)(_take(v, index) for v in state)
    return np.asarray(state)[index]


def greedy_search(step_fn, state, start_id, end_id, max_length):
    """Extends each sequence with its most likely next token until `end_id` or `max_length`.

    Args:
        step_fn: `(tokens (N,), state) -> (log_probs (N, vocab), state)`.
        state: the initial state of the `N` sequences.
        start_id: the token fed first.
        end_id: the token that ends a sequence (not included in the output).
        max_length: the most tokens generated per sequence.

    Returns:
        A list of `N` lists of token ids.

    Example:
        >>> def step(tokens, state):  # always prefers token (state + 1), ends after 3 tokens
        ...     lp = np.full((len(tokens), 5), -9.0)
        ...     lp[np.arange(len(tokens)), np.minimum(state + 1, 4)] = 0.0
        ...     return lp, state + 1
        >>> greedy_search(step, np.array([0, 2]), start_id=0, end_id=4, max_length=9)
        [[1, 2, 3], [3]]
    """
    check_positive_int("max_length", max_length)
    tokens = None
    n = len(np.asarray(_first_leaf(state)))
    tokens = np.full((n,), start_id, dtype="int32")
    out = [[] for _ in range(n)]
    done = np.zeros(n, dtype=bool)
    for _ in range(max_length):
        log_probs, state = step_fn(tokens, state)
        tokens = np.argmax(np.asarray(log_probs), axis=-1).astype("int32")
        for i in np.flatnonzero(~done):
            if tokens[i] == end_id:
                done[i] = True
            else:
                out[i].append(int(tokens[i]))
        if done.all():
            break
    return out


def _first_leaf(state):
    while isinstance(state, dict | list | tuple):
        state = next(iter(state.values())) if isinstance(state, dict) else state[0]
    return state


def beam_search(step_fn, state, start_id, end_id, max_length, beam_width=4, length_penalty=0.0):
    """Keeps the `beam_width` most likely hypotheses per sequence; returns the best of each.

    Scores are summed log-probabilities, divided by `length ** length_penalty` when comparing
    finished hypotheses (0 compares raw sums). With `beam_width=1` this is greedy search.

    Args:
        step_fn: `(tokens (N,), state) -> (log_probs (N, vocab), state)`; called on
            `N * beam_width` rows.
        state: the initial state of the `N` sequences (rows are repeated per beam).
        start_id: the token fed first.
        end_id: the token that ends a hypothesis (not included in the output).
        max_length: the most tokens generated per sequence.
        beam_width: hypotheses kept per sequence (an int >= 1).
        length_penalty: exponent of the length normalisation, >= 0.

    Returns:
        A list of `N` lists of token ids.

    Example:
        >>> # Token 1 is likelier first; a wider beam finds that 3 then the end (id 2) wins.
        >>> def step(tokens, state):
        ...     lp = np.log(np.tile([[0.0001, 0.5, 0.0999, 0.4]], (len(tokens), 1)))
        ...     lp[tokens == 1] = np.log([0.0001, 0.0001, 0.0001, 0.9997])
        ...     lp[tokens == 3] = np.log([0.0001, 0.0001, 0.9997, 0.0001])
        ...     return lp, state
        >>> beam_search(step, np.zeros(1), start_id=0, end_id=2, max_length=2, beam_width=1)
        [[1, 3]]
        >>> beam_search(step, np.zeros(1), start_id=0, end_id=2, max_length=2, beam_width=2)
        [[3]]
    """
    check_positive_int("max_length", max_length)
    check_positive_int("beam_width", beam_width)
    if isinstance(length_penalty, bool) or not isinstance(length_penalty, int | float):
        raise TypeError(f"length_penalty must be a float >= 0, got {length_penalty!r}.")
    if length_penalty < 0:
        raise ValueError(f"length_penalty must be a float >= 0, got {length_penalty!r}.")
    n = len(np.asarray(_first_leaf(state)))
    k = beam_width
    state = _take(state, np.repeat(np.arange(n), k))
    tokens = np.full((n * k,), start_id, dtype="int32")
    # Only the first beam of each sequence is live at the start (the others are copies).
    scores = np.tile(np.r_[0.0, np.full(k - 1, -np.inf)], n)
    prefixes = [[] for _ in range(n * k)]
    finished = [[] for _ in range(n)]  # (normalised score, tokens)

    def norm(score, length):
        return score / (max(length, 1) ** length_penalty) if length_penalty else score

    for _ in range(max_length):
        log_probs, state = step_fn(tokens, state)
        log_probs = np.asarray(log_probs, dtype="float64")
        vocab = log_probs.shape[-1]
        total = (scores[:, None] + log_probs).reshape(n, k * vocab)
        order = np.argsort(-total, axis=-1, kind="stable")
        new_rows, new_tokens, new_scores, new_prefixes = [], [], [], []
        for i in range(n):
            kept = 0
            for flat in order[i]:
                score = total[i, flat]
                if kept == k or not np.isfinite(score):
                    break
                beam, token = divmod(int(flat), vocab)
                row = i * k + beam
                if token == end_id:
                    finished[i].append((norm(score, len(prefixes[row])), prefixes[row]))
                    continue
                new_rows.append(row)
                new_tokens.append(token)
                new_scores.append(score)
                new_prefixes.append(prefixes[row] + [token])
                kept += 1
            for _ in range(k - kept):  # pad with dead beams
                new_rows.append(i * k)
                new_tokens.append(end_id)
                new_scores.append(-np.inf)
                new_prefixes.append([])
        rows = np.array(new_rows)
        state = _take(state, rows)
        tokens = np.array(new_tokens, dtype="int32")
        scores = np.array(new_scores)
        prefixes = new_prefixes
        # Stop once every sequence's best finished hypothesis beats all live ones (scores only
        # fall as hypotheses grow, so without length normalisation that is final).
        if not length_penalty and all(
            finished[i] and max(f[0] for f in finished[i]) >= scores[i * k : (i + 1) * k].max()
            for i in range(n)
        ):
            break
    out = []
    for i in range(n):
        live = [
            (norm(scores[i * k + b], len(prefixes[i * k + b])), prefixes[i * k + b])
            for b in range(k)
            if np.isfinite(scores[i * k + b])
        ]
        candidates = finished[i] or live
        best = max(range(len(candidates)), key=lambda j: candidates[j][0])
        out.append(candidates[best][1])
    return out


def sample_token(logits, rng, temperature=1.0, top_k=None):
    """Draws one token id per row from `logits` with a temperature and optional top-k cut.

    Args:
        logits: `(N, vocab)` unnormalised scores.
        rng: a `numpy.random.Generator` (seeded for reproducible samples).
        temperature: > 0; below 1 sharpens the distribution, above 1 flattens it.
        top_k: keep only the `top_k` highest-scoring tokens, or `None` for all.

    Returns:
        An int32 array of `N` token ids.

    Example:
        >>> logits = np.log([[0.1, 0.2, 0.7]])
        >>> sample_token(logits, np.random.default_rng(0), top_k=1)
        array([2], dtype=int32)
    """
    check_positive_float("temperature", temperature)
    check_positive_int("top_k", top_k, allow_none=True)
    logits = np.asarray(logits, dtype="float64") / temperature
    if top_k is not None and top_k < logits.shape[-1]:
        kth = np.sort(logits, axis=-1)[:, -top_k][:, None]
        logits = np.where(logits >= kth, logits, -np.inf)
    logits = logits - logits.max(axis=-1, keepdims=True)
    probs = np.exp(logits)
    probs /= probs.sum(axis=-1, keepdims=True)
    cumulative = probs.cumsum(axis=-1)
    draws = rng.random((len(probs), 1))
    ids = (cumulative < draws).sum(axis=-1)
    return np.minimum(ids, probs.shape[-1] - 1).astype("int32")
