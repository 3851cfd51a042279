"""Fixed vocabularies kept in a model's config: strings to ids and back, in Python and tf.data.

Id 0 is padding and id 1 the out-of-vocabulary token; a vocabulary's own tokens follow, after any
special tokens the model adds (the decoder's start and end tokens). The same mapping runs in
Python (`Vocabulary.encode`, for `translate`/`generate`) and in tf.data (`Vocabulary.lookup`, a
Keras `StringLookup`), so training and inference agree.
"""

import collections
import re

import keras
import tensorflow as tf

from zoo.validation import check_choice

PAD, UNK = 0, 1
SPLITS = ("char", "whitespace")
# The whitespace `tf.strings.split` splits at (ASCII only): Python's `str.split()` would also
# split at a no-break space or an em space, and training (tf.data) and `translate` would differ.
_WHITESPACE = re.compile(r"[ \t\n\r\f\v]+")


def split_words(text):
    r"""The words of `text`, split where `tf.strings.split` splits: at ASCII whitespace only.

    Example:
        >>> split_words(" le chat\u00a0? ")
        ['le', 'chat\xa0?']
    """
    return [t for t in _WHITESPACE.split(text) if t]


def check_vocabulary(name, tokens, reserved=()):
    """Checks a vocabulary (a non-empty list of distinct non-empty strings); returns it as a list.

    Args:
        name: the argument's name, for the error message.
        tokens: the vocabulary; a string is taken as its list of characters.
        reserved: tokens the model uses itself, not allowed in `tokens`.

    Example:
        >>> check_vocabulary("source_vocabulary", "ab+")
        ['a', 'b', '+']
    """
    if isinstance(tokens, str):
        tokens = list(tokens)
    if not isinstance(tokens, list | tuple):
        raise TypeError(f"{name} must be a list of strings, got {tokens!r}.")
    if not tokens:
        raise ValueError(f"{name} must hold at least one token, got an empty vocabulary.")
    bad = [t for t in tokens if not isinstance(t, str) or not t]
    if bad:
        raise ValueError(f"{name} must hold non-empty strings, got {bad[:5]!r}.")
    dupes = sorted(t for t, n in collections.Counter(tokens).items() if n > 1)
    if dupes:
        raise ValueError(f"{name} must hold distinct tokens, got duplicates {dupes[:5]!r}.")
    clash = [t for t in tokens if t in reserved]
    if clash:
        raise ValueError(f"{name} may not contain the reserved tokens {clash!r}.")
    return list(tokens)


class Vocabulary:
    """A fixed vocabulary: `tokens` after padding, OOV and the model's special tokens.

    Args:
        tokens: the vocabulary's tokens (characters for `split="char"`).
        specials: special tokens placed right after padding (0) and OOV (1).
        split: `"char"` (every character a token) or `"whitespace"` (words).
        name: the argument name used in error messages.

    Example:
        >>> v = Vocabulary("abc", specials=("[START]", "[END]"))
        >>> v.encode("cab"), v.size, v.decode([6, 4, 5])
        ([6, 4, 5], 7, 'cab')
    """

    def __init__(self, tokens, specials=(), split="char", name="vocabulary"):
        check_choice("split", split, SPLITS)
        self.specials = tuple(specials)
        self.tokens = check_vocabulary(name, tokens, reserved=("[UNK]", *self.specials))
        if split == "char":
            long = [t for t in self.tokens if len(t) != 1]
            if long:
                raise ValueError(
                    f"{name} with split='char' must hold single characters (text is split into "
                    f"characters, so {long[0]!r} could never match), got {long[:5]!r}: use "
                    "split='whitespace' for words."
                )
        else:
            spaced = [t for t in self.tokens if split_words(t) != [t]]
            if spaced:
                raise ValueError(
                    f"{name} with split='whitespace' must hold words without whitespace (text is "
                    f"split at whitespace, so {spaced[0]!r} could never match), got "
                    f"{spaced[:5]!r}."
                )
        self.split = split
        self.name = name
        self.offset = 2 + len(self.specials)
        self.ids = {t: i + self.offset for i, t in enumerate(self.tokens)}
        self.size = self.offset + len(self.tokens)

    def special_id(self, token):
        """The id of special token `token`.

        Example:
            >>> v = Vocabulary("abc", specials=("[START]", "[END]"))
            >>> v.special_id("[START]"), v.special_id("[END]")
            (2, 3)
        """
        return 2 + self.specials.index(token)

    def split_text(self, text):
        """The tokens of one string.

        Example:
            >>> Vocabulary("abc").split_text("cab")
            ['c', 'a', 'b']
            >>> Vocabulary(["le", "chat"], split="whitespace").split_text(" le  chat noir")
            ['le', 'chat', 'noir']
        """
        return list(text) if self.split == "char" else split_words(text)

    def unknown(self, text):
        """The tokens of `text` outside the vocabulary, in order of appearance, once each.

        Example:
            >>> Vocabulary("abc").unknown("cabbie")
            ['i', 'e']
        """
        return list(dict.fromkeys(t for t in self.split_text(text) if t not in self.ids))

    def encode(self, text):
        """The ids of one string (unknown tokens get the OOV id 1).

        Example:
            >>> v = Vocabulary("abc", specials=("[START]", "[END]"))
            >>> v.encode("cax")  # tokens from id 4, after padding, OOV and the two specials
            [6, 4, 1]
        """
        return [self.ids.get(t, UNK) for t in self.split_text(text)]

    def decode(self, ids, unknown=None):
        """The string of a list of ids; padding and special ids are dropped.

        Args:
            ids: token ids.
            unknown: a string shown for each out-of-vocabulary id (1); `None` drops them.

        Raises:
            ValueError: an id outside `[0, size)`.

        Example:
            >>> v = Vocabulary("abc", specials=("[START]", "[END]"))
            >>> v.decode([2, 6, 1, 4, 3, 0])  # [START] c OOV a [END] padding
            'ca'
            >>> v.decode([6, 1, 4], unknown="?")
            'c?a'
            >>> Vocabulary(["le", "chat"], split="whitespace").decode([2, 3, 1], unknown="<unk>")
            'le chat <unk>'
        """
        ids = [int(i) for i in ids]
        bad = [i for i in ids if not 0 <= i < self.size]
        if bad:
            raise ValueError(
                f"ids must be in [0, {self.size}) ({self.name}'s ids), got {bad[0]}"
                + (f" (and {len(bad) - 1} more)." if len(bad) > 1 else ".")
            )
        words = [
            self.tokens[i - self.offset] if i >= self.offset else unknown
            for i in ids
            if i >= self.offset or (i == UNK and unknown is not None)
        ]
        return ("" if self.split == "char" else " ").join(words)

    def lookup(self):
        """A `keras.layers.StringLookup` giving the same ids as `encode`, for tf.data.

        Text never yields a special token's id: a literal `"[END]"` word is unknown (id 1), as
        in `encode`.

        Example:
            >>> import tensorflow as tf
            >>> v = Vocabulary(["a"], specials=("[START]", "[END]"), split="whitespace")
            >>> v.lookup()(v.tf_split(tf.constant("a [END]"))).numpy().tolist(), v.encode("a [END]")
            ([4, 1], [4, 1])
        """
        # The specials' ids are held by placeholders no token of split text can equal (a token
        # holds no whitespace, and a character is one character long).
        placeholders = [f" {t} " for t in self.specials]
        return keras.layers.StringLookup(
            vocabulary=[*placeholders, *self.tokens], mask_token="", num_oov_indices=1
        )

    def tf_split(self, text):
        """Splits a string tensor into tokens in tf.data (characters or words).

        Example:
            >>> import tensorflow as tf
            >>> Vocabulary("abc").tf_split(tf.constant("cab")).numpy().tolist()
            [b'c', b'a', b'b']
            >>> words = Vocabulary(["le", "chat"], split="whitespace")
            >>> words.tf_split(tf.constant(" le  chat")).numpy().tolist()
            [b'le', b'chat']
        """
        if self.split == "char":
            return tf.strings.unicode_split(text, "UTF-8")
        return tf.strings.split(text)
