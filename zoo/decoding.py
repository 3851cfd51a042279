"""Decoding for the sequence models: greedy search, beam search, seeded sampling, CTC decoding.

The search functions know no model: they drive a `step_fn(tokens, state) -> (log_probs, state)`
that scores the next token of `N` hypotheses at once, where `state` is any nest of arrays whose
leading dimension is `N` (the recurrent states, the encoder outputs, ...). A step runs only the
new token through the network, carrying the state: the prefix is never run again.

The CTC decoders (`ctc_greedy_decode`, `ctc_beam_search`) read the per-frame class scores a CTC
model has already emitted, `(batch, frames, blank + characters)`, in plain numpy.
"""

import functools

import numpy as np

from zoo.validation import check_nonnegative_float, check_positive_float, check_positive_int


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
        >>> import numpy as np
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


MAX_LENGTH_PENALTY = 10.0  # common values are 0.6-1; beyond, length ** penalty overflows


def check_length_penalty(value):
    """Raises unless `value` is a float in [0, `MAX_LENGTH_PENALTY`]; returns it as a float.

    Example:
        >>> check_length_penalty(0.6)
        0.6
    """
    value = check_nonnegative_float("length_penalty", value)
    if value > MAX_LENGTH_PENALTY:
        raise ValueError(
            f"length_penalty must be in [0, {MAX_LENGTH_PENALTY:g}] (0 none, about 0.6-1 usual), "
            f"got {value!r}: length ** length_penalty overflows beyond."
        )
    return value


def beam_search(step_fn, state, start_id, end_id, max_length, beam_width=4, length_penalty=0.0):
    """Keeps the `beam_width` most likely hypotheses per sequence; returns the best of each.

    Scores are summed log-probabilities, divided by `length ** length_penalty` when comparing
    finished hypotheses (0 compares raw sums). With `beam_width=1` this is greedy search, with
    or without a length penalty.

    Without a length penalty a sequence's search ends once its best finished hypothesis scores
    at least as high as every open one (scores only fall as hypotheses grow, so that is exact),
    and hypotheses cut short by `max_length` compete with the finished ones by the same score
    (as greedy search returns its cut one), so a cut translation is not traded for a finished
    but unlikely one. With a length penalty normalised scores may rise as hypotheses grow, so
    no bound is exact: a sequence's search ends once `beam_width` of its hypotheses have
    finished, and the best finished one is returned; a hypothesis of `max_length` tokens may
    still finish with the end token (scored with it), while one cut by `max_length`, which never
    paid for its end token, is returned only when none finished.

    Args:
        step_fn: `(tokens (N,), state) -> (log_probs (N, vocab), state)`; called on
            `N * beam_width` rows.
        state: the initial state of the `N` sequences (rows are repeated per beam).
        start_id: the token fed first.
        end_id: the token that ends a hypothesis (not included in the output).
        max_length: the most tokens generated per sequence.
        beam_width: hypotheses kept per sequence (an int >= 1).
        length_penalty: exponent of the length normalisation, in [0, 10].

    Returns:
        A list of `N` lists of token ids.

    Example:
        >>> import numpy as np
        >>> # Token 1 is likelier first, but nothing is likely after it; a wider beam finds
        >>> # that 3 then the end (id 2) is likelier as a whole.
        >>> def step(tokens, state):
        ...     lp = np.log(np.tile([[0.0001, 0.5, 0.0999, 0.4]], (len(tokens), 1)))
        ...     lp[tokens == 1] = np.log([0.0001, 0.33, 0.34, 0.3299])
        ...     lp[tokens == 3] = np.log([0.0001, 0.0001, 0.9997, 0.0001])
        ...     return lp, state
        >>> beam_search(step, np.zeros(1), start_id=0, end_id=2, max_length=2, beam_width=1)
        [[1]]
        >>> beam_search(step, np.zeros(1), start_id=0, end_id=2, max_length=2, beam_width=2)
        [[3]]
    """
    check_positive_int("max_length", max_length)
    check_positive_int("beam_width", beam_width)
    length_penalty = check_length_penalty(length_penalty)
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

    for t in range(max_length + 1):
        log_probs, state = step_fn(tokens, state)
        log_probs = np.asarray(log_probs, dtype="float64")
        if t == max_length:  # hypotheses of max_length tokens may still end (nothing longer)
            for row in np.flatnonzero(np.isfinite(scores)):
                i, prefix = row // k, prefixes[row]
                finished[i].append(
                    (norm(scores[row] + log_probs[row, end_id], len(prefix)), prefix)
                )
            break
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
        # A sequence is done once its best finished hypothesis beats all live ones (scores only
        # fall as hypotheses grow, so without length normalisation that is final), or, with
        # it, once `k` hypotheses have finished; a done sequence's live beams are dropped.
        for i in range(n):
            beams = slice(i * k, (i + 1) * k)
            if finished[i] and (
                len(finished[i]) >= k
                if length_penalty
                else max(f[0] for f in finished[i]) >= scores[beams].max()
            ):
                scores[beams] = -np.inf
        if not np.isfinite(scores).any():
            break
    out = []
    for i in range(n):
        live = [
            (norm(scores[i * k + b], len(prefixes[i * k + b])), prefixes[i * k + b])
            for b in range(k)
            if np.isfinite(scores[i * k + b])
        ]
        # Live ones were cut short by max_length. Normalised, they never paid for their end
        # token: with a length penalty they count only when nothing finished.
        candidates = finished[i] if length_penalty and finished[i] else finished[i] + live
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
        >>> import numpy as np
        >>> logits = np.log([[0.1, 0.2, 0.7]])
        >>> sample_token(logits, np.random.default_rng(0), top_k=1)
        array([2], dtype=int32)
    """
    check_positive_float("temperature", temperature)
    check_positive_int("top_k", top_k, allow_none=True)
    logits = np.asarray(logits, dtype="float64")
    best = np.where(np.isnan(logits), -np.inf, logits).argmax(axis=-1)
    with np.errstate(over="ignore", invalid="ignore"):
        # The row's best score is 0 before scaling, so a tiny temperature sends the others to
        # -inf, never the best to +inf (inf - inf would be NaN and sample an excluded token).
        logits = (logits - logits.max(axis=-1, keepdims=True)) / temperature
    if top_k is not None and top_k < logits.shape[-1]:
        # exactly top_k per row (a tie at the k-th score keeps the lower ids, as argmax does)
        keep = np.argsort(-logits, axis=-1, kind="stable")[:, :top_k]
        kept = np.full_like(logits, -np.inf)
        np.put_along_axis(kept, keep, np.take_along_axis(logits, keep, axis=-1), axis=-1)
        logits = kept
    with np.errstate(invalid="ignore"):
        probs = np.exp(logits)
        probs /= probs.sum(axis=-1, keepdims=True)
    cumulative = probs.cumsum(axis=-1)
    draws = rng.random((len(probs), 1))
    ids = np.minimum((cumulative < draws).sum(axis=-1), probs.shape[-1] - 1)
    # A row whose probabilities are not finite (NaN scores) takes its best token, not id 0.
    broken = ~np.isfinite(probs).all(axis=-1)
    ids[broken] = best[broken]
    return ids.astype("int32")


# CTC decoding: the per-frame class scores of a CTC model (blank + characters) to labellings.


def _ctc_scores(scores, lengths, name):
    """Validates a `(batch, frames, classes)` score array and its per-utterance frame counts."""
    x = np.asarray(scores)
    if x.ndim != 3:
        raise ValueError(f"{name} must be 3-D (batch, frames, classes), got shape {x.shape}.")
    if not np.issubdtype(x.dtype, np.number) or np.issubdtype(x.dtype, np.complexfloating):
        raise TypeError(f"{name} must hold real numbers, got dtype {x.dtype}.")
    if np.isnan(x).any():
        raise ValueError(
            f"{name} holds NaN at {tuple(int(i) for i in np.argwhere(np.isnan(x))[0])}."
        )
    batch, frames = x.shape[:2]
    if lengths is None:
        return x, np.full(batch, frames, dtype=np.int64)
    n = np.asarray(lengths)
    if n.ndim != 1 or len(n) != batch:
        raise ValueError(
            f"lengths must hold one frame count per utterance ({batch}), got shape {n.shape}."
        )
    if n.size and not np.issubdtype(n.dtype, np.integer):
        raise TypeError(f"lengths must be integers, got dtype {n.dtype}.")
    bad = np.flatnonzero((n < 0) | (n > frames))
    if bad.size:
        i = int(bad[0])
        raise ValueError(f"lengths[{i}] must be in [0, {frames}] (the frames), got {int(n[i])}.")
    return x, n.astype(np.int64)


def _check_blank(blank, classes):
    if isinstance(blank, bool) or not isinstance(blank, int | np.integer):
        raise TypeError(f"blank must be an int class index, got {blank!r}.")
    if not 0 <= blank < classes:
        raise ValueError(
            f"blank must be a class index in [0, {classes - 1}] ({classes} classes), got {blank}."
        )
    return int(blank)


def ctc_greedy_decode(logits, lengths, blank=0):
    """Best-path CTC decoding: the top class of each real frame, repeats merged, blanks dropped.

    Args:
        logits: `(batch, frames, classes)` scores (logits, log-probabilities or probabilities:
            only their arg-max matters).
        lengths: the real frames of each utterance, `(batch,)` ints; later frames are padding
            and ignored. `None` reads every frame.
        blank: the class index of the CTC blank.

    Returns:
        A list of `batch` lists of class ids (blank excluded).

    Example:
        >>> import numpy as np
        >>> x = np.eye(3)[[[1, 1, 0, 1, 2, 2, 0], [2, 0, 2, 2, 1, 1, 1]]]  # one-hot frames
        >>> ctc_greedy_decode(x, lengths=[7, 4])
        [[1, 1, 2], [2, 2]]
    """
    x, lengths = _ctc_scores(logits, lengths, "logits")
    blank = _check_blank(blank, x.shape[-1])
    best = x.argmax(axis=-1)
    out = []
    for row, n in zip(best, lengths.tolist(), strict=True):
        ids = row[:n]
        keep = ids != blank
        keep[1:] &= ids[1:] != ids[:-1]
        out.append(ids[keep].tolist())
    return out


def _check_vocabulary(vocabulary, classes):
    if isinstance(vocabulary, str):
        chars = list(vocabulary)
    else:
        chars = list(vocabulary)
        for i, c in enumerate(chars):
            if not isinstance(c, str) or len(c) != 1:
                raise ValueError(f"vocabulary[{i}] must be a single character, got {c!r}.")
    if len(chars) != classes - 1:
        raise ValueError(
            f"vocabulary must hold one character per non-blank class ({classes - 1}), got "
            f"{len(chars)}: {''.join(chars)!r}."
        )
    seen = set()
    repeated = sorted({c for c in chars if c in seen or seen.add(c)})
    if repeated:
        raise ValueError(f"vocabulary characters must be distinct, {repeated!r} repeat.")
    return chars


def _lexicon_trie(lexicon, chars, blank, separator):
    """Checks the lexicon's words, then returns its (cached) trie."""
    if isinstance(lexicon, str):
        raise TypeError(f"lexicon must be an iterable of words, not one string {lexicon!r}.")
    words = list(lexicon)
    for word in words:
        if not isinstance(word, str) or not word:
            raise ValueError(f"lexicon words must be non-empty strings, got {word!r}.")
    known, unknown = set(chars) | {separator}, []  # (a separator in a word: _build_trie says)
    for word in dict.fromkeys(words):  # in the order given, once each
        missing = "".join(dict.fromkeys(c for c in word if c not in known))  # in order too
        if missing:
            unknown.append(f"{word!r} ({missing!r})")
    if unknown:
        more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        lowered = all(c in known for w in words for c in w.lower())
        raise ValueError(
            "lexicon words use characters outside the vocabulary: "
            + ", ".join(unknown[:5])
            + more
            + ("; lowercase them (the vocabulary's letters are lowercase)" if lowered else "")
            + f". The vocabulary: {''.join(chars)!r}"
            + (f", words separated by {separator!r}." if separator in chars else ".")
        )
    return _build_trie(frozenset(words), tuple(chars), blank, separator)


@functools.lru_cache(maxsize=4)  # a recogniser decodes batch after batch with one lexicon
def _build_trie(words, chars, blank, separator):
    """The lexicon as a transition table `next[trie node, class]` (-1: not allowed) + word ends.

    Node 0 is the start of a word. The separator leads from a complete word back to node 0
    (without a separator in the vocabulary, hypotheses are single words).
    """
    classes = len(chars) + 1
    char_to_id = {c: i + (i >= blank) for i, c in enumerate(chars)}
    sep = char_to_id.get(separator, -1)
    children, ends = [{}], [False]
    for word in sorted(words):  # their characters checked by _lexicon_trie
        if separator in word:
            raise ValueError(f"lexicon word {word!r} contains the separator {separator!r}.")
        node = 0
        for ch in word:
            kids = children[node]
            node = kids.setdefault(char_to_id[ch], len(children))
            if node == len(children):
                children.append({})
                ends.append(False)
        ends[node] = True
    if len(children) == 1:
        raise ValueError("lexicon must hold at least one word, got none.")
    table = np.full((len(children), classes), -1, dtype=np.int32)
    for node, kids in enumerate(children):
        for c, nxt in kids.items():
            table[node, c] = nxt
    ends = np.array(ends)
    if sep >= 0:
        table[ends, sep] = 0
    return table, ends, sep


def _log_softmax(x):
    x = x.astype(np.float64)
    top = x.max(axis=-1, keepdims=True)
    top[~np.isfinite(top)] = 0.0
    return x - top - np.log(np.exp(x - top).sum(axis=-1, keepdims=True))


def _candidates(lp, lengths, blank, prune, cap):
    """Per frame, the non-blank classes worth trying, best first, and their log-probabilities.

    Returns `(classes (B, T, C), log_probs (B, T, C), widths (T,))`: entries below `prune`
    (or past the `cap` best) have log-probability -inf, and frame `t` needs only its first
    `widths[t]` columns (the most any utterance still running at `t` needs).
    """
    scores = lp.copy()
    scores[..., blank] = -np.inf
    width = lp.shape[-1] - 1 if cap is None else min(cap, lp.shape[-1] - 1)
    order = np.argsort(-scores, axis=-1, kind="stable")[..., :width]
    best = np.take_along_axis(scores, order, axis=-1)
    if prune > 0:
        best[best < np.log(prune)] = -np.inf
    running = np.arange(lp.shape[1]) < lengths[:, None]
    widths = np.where(running, (best > -np.inf).sum(axis=-1), 0).max(axis=0, initial=0)
    return order, best, widths


# Prefix ids: 0 is the empty prefix; a prefix extended by class `c` gets `_extend(id, c)`, a
# splitmix64 step (a plain polynomial hash mod 2**64 has structured collisions). Equal
# prefixes get equal ids without a table of prefixes; unequal ones collide with odds ~2**-64.
_GOLDEN, _MIX1, _MIX2 = (
    np.uint64(v) for v in (0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB)
)
_DEAD, _NO_PARENT = np.uint64(2**64 - 1), np.uint64(2**64 - 2)


def _extend(ids, classes):
    x = ids * _GOLDEN + classes.astype(np.uint64) + np.uint64(1)
    x ^= x >> np.uint64(30)
    x *= _MIX1
    x ^= x >> np.uint64(27)
    x *= _MIX2
    return x ^ (x >> np.uint64(31))


def _prefix_beam_search(lp, lengths, cands, beam_width, blank, trie, word_bonus):
    """CTC prefix beam search over a batch at once; returns each utterance's best class ids.

    `lengths` must be in decreasing order, so that the utterances still running at a frame
    are the first rows. Beam `k` of utterance `b` is a prefix (`ids`, with its parent's id in
    `parent`) with the log-probabilities of its alignments ending in blank (`pb`) and in its
    last class (`pnb`). Every step is vectorised over utterances, beams and candidates;
    back-pointers (`src`, `emitted`) recover the prefixes at the end.
    """
    neg = -np.inf
    batch, frames, _ = lp.shape
    k_ = beam_width
    table, ends, sep = trie if trie is not None else (None, None, -1)
    order, cand_lp, widths = cands
    ids = np.full((batch, k_), _DEAD)
    ids[:, 0] = 0
    parent = np.full((batch, k_), _NO_PARENT)
    last = np.full((batch, k_), blank, dtype=np.int64)
    tnode = np.zeros((batch, k_), dtype=np.int64)
    pb = np.full((batch, k_), neg)
    pb[:, 0] = 0.0
    pnb = np.full((batch, k_), neg)
    src = np.empty((frames, batch, k_), dtype=np.int32)
    src[...] = np.arange(k_)
    emitted = np.full((frames, batch, k_), -1, dtype=np.int32)
    running = (lengths[:, None] > np.arange(frames)).sum(axis=0)
    rows = np.arange(batch)[:, None]
    for t in range(frames):
        a, w = int(running[t]), int(widths[t])
        row, r = lp[:a, t], rows[:a]
        total = np.logaddexp(pb[:a], pnb[:a])
        stay_b = total + row[:, blank, None]
        stay_nb = pnb[:a] + row[r, last[:a]]
        if w == 0:
            pb[:a], pnb[:a] = stay_b, stay_nb
            continue
        cand, cand_lp_t = order[:a, t, :w], cand_lp[:a, t, :w]
        # repeat[b, k, m]: candidate m is beam k's last class; it extends only across a blank.
        repeat = cand[:, None, :] == last[:a, :, None]
        ext = np.where(repeat, pb[:a, :, None], total[:, :, None]) + cand_lp_t[:, None, :]
        if table is not None:
            nxt = table[tnode[:a, :, None], cand[:, None, :]]
            ext[nxt < 0] = neg
        if word_bonus:
            starts = (last[:a] == blank) | (last[:a] == sep)
            ext += np.where(starts[:, :, None] & (cand != sep)[:, None, :], word_bonus, 0.0)
        # An extension that is already a beam (beam k + class = beam j) joins its alignments.
        is_parent = ids[:a, :, None] == parent[:a, None, :]
        merge = is_parent.any(axis=1) & repeat.any(axis=2)
        if merge.any():
            b, j = np.nonzero(merge)
            k, m = is_parent[b, :, j].argmax(axis=1), repeat[b, j].argmax(axis=1)
            stay_nb[b, j] = np.logaddexp(stay_nb[b, j], ext[b, k, m])
            ext[b, k, m] = neg
        ext = ext.reshape(a, k_ * w)
        scores = np.concatenate([np.logaddexp(stay_b, stay_nb), ext], axis=1)
        top = np.argpartition(scores, -k_, axis=1)[:, -k_:]
        new = top >= k_
        flat = top - k_  # into ext (garbage where not new, masked below)
        beam, label = np.divmod(flat, w)
        beam, label = np.where(new, beam, top), cand[r, label]
        old_ids = ids[r, beam]
        ids[:a] = np.where(new, _extend(old_ids, label), old_ids)
        parent[:a] = np.where(new, old_ids, parent[r, beam])
        last[:a] = np.where(new, label, last[r, beam])
        if table is not None:
            tnode[:a] = np.where(new, nxt.reshape(a, k_ * w)[r, flat], tnode[r, beam])
        pb[:a] = np.where(new, neg, stay_b[r, beam])
        pnb[:a] = np.concatenate([stay_nb, ext], axis=1)[r, top]
        dead = scores[r, top] == neg
        if dead.any():  # filler beams must never match a live prefix
            ids[:a][dead], parent[:a][dead] = _DEAD, _NO_PARENT
        src[t, :a] = beam
        emitted[t, :a] = np.where(new, label, -1)
    total = np.logaddexp(pb, pnb)
    if table is not None:  # only complete words (or nothing) at the end
        total[(ids != 0) & ~ends[tnode]] = neg
    best = total.argmax(axis=1)
    found = np.isfinite(total[np.arange(batch), best])
    labels = np.full((frames, batch), -1, dtype=np.int64)
    rows = np.arange(batch)
    for t in range(frames - 1, -1, -1):
        live = t < lengths
        labels[t] = np.where(live, emitted[t, rows, best], -1)
        best = np.where(live, src[t, rows, best], best)
    return [col[col >= 0].tolist() if ok else [] for col, ok in zip(labels.T, found, strict=True)]


def ctc_beam_search(
    log_probs_or_logits,
    lengths,
    vocabulary,
    beam_width=16,
    blank=0,
    lexicon=None,
    separator=" ",
    prune=1e-3,
    word_bonus=0.0,
):
    """CTC prefix beam search (Hannun et al. 2014), optionally constrained to a lexicon.

    Keeps the `beam_width` most probable labellings (prefixes) per frame, each with the summed
    probability of all its alignments ending in blank and in a character, so that alignments
    of one labelling add up (unlike greedy decoding's single best path). Scores are passed
    through a log-softmax first, so logits and log-probabilities give the same result (but not
    probabilities: take their log).

    With a `lexicon`, hypotheses are sequences of lexicon words joined by `separator`: a
    character may only continue a word along the lexicon's character trie, the separator may
    only follow a complete word, and the result ends in a complete word or is empty.

    Args:
        log_probs_or_logits: `(batch, frames, classes)` scores, classes = blank + characters.
        lengths: the real frames of each utterance, `(batch,)` ints; later frames are padding
            and ignored. `None` reads every frame.
        vocabulary: the characters of the non-blank classes in class order (a string or a
            list of single characters); with `blank=0`, `vocabulary[i]` is class `i + 1`.
        beam_width: prefixes kept per frame (an int >= 1).
        blank: the class index of the CTC blank.
        lexicon: an iterable of allowed words, or `None` for no constraint. Its trie is built
            once per call, so decode a batch per call.
        separator: the character between words (with a lexicon but no separator in the
            vocabulary, hypotheses are single words).
        prune: per frame, characters less probable than this are not tried (speed); 0 tries
            every character.
        word_bonus: added to the log-probability of a hypothesis per word it starts (> 0
            favours more, shorter words; < 0 fewer). 0 is neutral.

    Returns:
        A list of `batch` strings.

    Example:
        >>> import numpy as np
        >>> # The best path is "-" (p=0.36); "a" wins over its alignments "a-", "-a", "aa" (0.64).
        >>> probs = np.array([[[0.6, 0.4], [0.6, 0.4]]])
        >>> ctc_greedy_decode(np.log(probs), [2]), ctc_beam_search(np.log(probs), [2], "a")
        ([[]], ['a'])
        >>> x = np.log(np.eye(4)[[[2, 0, 1, 3, 3]]] * 0.9 + 0.025)  # "bac" with blank 0
        >>> ctc_beam_search(x, [5], "abc"), ctc_beam_search(x, [5], "abc", lexicon=["ba", "cab"])
        (['bac'], ['ba'])
    """
    x, lengths = _ctc_scores(log_probs_or_logits, lengths, "log_probs_or_logits")
    classes = x.shape[-1]
    blank = _check_blank(blank, classes)
    chars = _check_vocabulary(vocabulary, classes)
    beam_width = check_positive_int("beam_width", beam_width)
    if isinstance(prune, bool) or not isinstance(prune, int | float) or not 0 <= prune < 1:
        raise ValueError(f"prune must be a probability in [0, 1), got {prune!r}.")
    if isinstance(word_bonus, bool) or not isinstance(word_bonus, int | float):
        raise TypeError(f"word_bonus must be a float, got {word_bonus!r}.")
    if not np.isfinite(word_bonus):
        raise ValueError(f"word_bonus must be finite, got {word_bonus!r}.")
    if not isinstance(separator, str) or len(separator) != 1:
        raise ValueError(f"separator must be a single character, got {separator!r}.")
    id_to_char = dict(zip([c for c in range(classes) if c != blank], chars, strict=True))
    trie = None
    if lexicon is not None:
        trie = _lexicon_trie(lexicon, chars, blank, separator)
    elif word_bonus and separator in chars:
        trie = (None, None, chars.index(separator) + (chars.index(separator) >= blank))
    # Without constraints a character outside the top beam_width + 1 of its frame cannot enter
    # the beam: each beam has beam_width better extensions (all but one have the same base).
    cap = beam_width + 1 if lexicon is None and not word_bonus else None
    lp = _log_softmax(x)
    order = np.argsort(-lengths, kind="stable")  # running utterances first at every frame
    lp, lengths = lp[order], lengths[order]
    cands = _candidates(lp, lengths, blank, prune, cap)
    labels = _prefix_beam_search(lp, lengths, cands, beam_width, blank, trie, word_bonus)
    out = [""] * len(order)
    for i, seq in zip(order.tolist(), labels, strict=True):
        out[i] = "".join(id_to_char[c] for c in seq)
    return out
