"""LibriSpeech (train-clean-100): read English audiobooks, CTC speech recognition at scale.

The keras.io CTC example's scale (2 convolutions, 5 bidirectional GRUs of 512 units) on 16 kHz
audio with 80 mel bands, without its faults: per-utterance CTC lengths (any batch size), logits
into the loss, waveforms in and text out of one saved model. Batches are grouped by length.
Validation on dev-clean, test on test-clean (speakers unseen in training); test CER and WER
by greedy decoding. Needs the TFDS download (about 6 GB for train-clean-100) and a GPU: on a
CPU an epoch takes many hours.
"""

from recipes._speech import plot_transcripts, scores, speech_callbacks
from zoo.data.audio import augment_waveform
from zoo.models.speech import make_speech_examples
from zoo.recipe import fixed_by_preprocess
from zoo.training import Recipe, main

PREPROCESS = make_speech_examples()

RECIPE = Recipe(
    name="librispeech_ctc",
    model="ctc_speech",
    dataset="librispeech",
    task="ctc",
    model_kwargs=dict(
        sample_rate=16000,
        num_mels=80,
        time_stride=2,
        conv_filters=32,
        units=512,
        num_layers=5,
        dropout=0.3,
        learning_rate=5e-4,
    ),  # fmt: skip
    description="LibriSpeech clean-100, waveform to text: log-mel, conv, 5 x BiGRU(512), CTC",
    preprocess=PREPROCESS,
    augment=augment_waveform(),
    callbacks=speech_callbacks(warmup_steps=1000),
    check_model=fixed_by_preprocess(vocabulary=PREPROCESS.vocabulary),
    train_split="train_clean100",
    validation_split="dev_clean",
    test_split="test_clean",
    epochs=30,
    batch_size=32,
    buckets=16,
    monitor="val_cer",
    evaluate=scores(),
    plot=plot_transcripts,
    plot_name="transcripts.png",
)

if __name__ == "__main__":
    main(RECIPE)
