"""Portuguese to English translation (TED talks) with a character-level attention seq2seq.

`ted_hrlr_translate/pt_to_en` (Qi et al. 2018): 51,785 training, 1,193 validation and 1,803 test
sentence pairs, downloaded by TFDS. Characters outside the vocabularies map to the unknown id;
sentences are cut to 150 characters. Beyond loss and token accuracy, the recipe scores greedy
translations of the test split with corpus BLEU from `sacrebleu` (against the references as the
target vocabulary spells them) and exact match, and plots attention heat maps.
"""

import string

import tensorflow as tf

import zoo.plots
from zoo.models import make_seq2seq_examples
from zoo.recipe import fixed_by_preprocess
from zoo.training import Recipe, main

ASCII = string.ascii_letters + string.digits + string.punctuation + " "
SOURCE = ASCII + "áàâãçéêíóôõúüÁÀÂÃÇÉÊÍÓÔÕÚÜ"
TARGET = ASCII
MAX_CHARS = 150
_examples = make_seq2seq_examples(SOURCE, TARGET, max_target_length=MAX_CHARS)


def preprocess(pt, en):
    """Cuts both sentences to `MAX_CHARS` characters, then maps them to the model's ids."""
    cut = lambda s: tf.strings.substr(s, 0, MAX_CHARS, unit="UTF8_CHAR")  # noqa: E731
    return _examples(cut(pt), cut(en))


def bleu(model, test_batches):
    """Corpus BLEU (sacrebleu) and exact match of greedy translations of the test split."""
    import sacrebleu

    hyps, refs = [], []
    for x, y in test_batches:
        for hyp, ref in zip(model.translate_ids(x["source"].numpy()), y.numpy(), strict=True):
            hyps.append(model.target_vocab.decode(hyp))
            refs.append(model.target_vocab.decode(ref))
    score = sacrebleu.corpus_bleu(hyps, [refs])
    return {
        "bleu": score.score,
        "exact_match": sum(h == r for h, r in zip(hyps, refs, strict=True)) / max(len(refs), 1),
        "examples": len(refs),
    }


RECIPE = Recipe(
    name="ted_hrlr_translate_seq2seq",
    model="seq2seq",
    dataset="ted_hrlr_translate/pt_to_en",
    task="seq2seq",
    model_kwargs=dict(
        source_vocabulary=SOURCE,
        target_vocabulary=TARGET,
        cell="lstm",
        units=256,
        embedding_dim=64,
        bidirectional_encoder=True,
        attention="luong",
        max_target_length=MAX_CHARS,
        learning_rate=1e-3,
    ),
    description="TED pt->en, character-level attention seq2seq: BLEU (sacrebleu), greedy decoding",
    preprocess=preprocess,
    check_model=fixed_by_preprocess(
        source_vocabulary=SOURCE, target_vocabulary=TARGET, split="char"
    ),
    epochs=10,
    batch_size=64,
    monitor="val_loss",
    evaluate=bleu,
    plot=zoo.plots.attention_heatmaps,
    plot_name="attention.png",
)

if __name__ == "__main__":
    main(RECIPE)
