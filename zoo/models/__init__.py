"""The model factories, one module per family (a factory's name is its registry name)."""

from zoo.models.base import adapt_text
from zoo.models.bidirectional import bidirectional
from zoo.models.char_lm import CharLM, char_lm, make_char_lm_examples
from zoo.models.esn import esn
from zoo.models.recurrent import gru, lstm, simple_rnn
from zoo.models.seq2seq import Seq2Seq, make_seq2seq_examples, seq2seq
from zoo.models.speech import SpeechRecognizer, ctc_speech, make_speech_examples
from zoo.models.stacked import stacked

__all__ = ["adapt_text", "bidirectional", "esn", "gru", "lstm", "simple_rnn", "stacked"]
__all__ += ["Seq2Seq", "make_seq2seq_examples", "seq2seq"]
__all__ += ["CharLM", "char_lm", "make_char_lm_examples"]
__all__ += ["SpeechRecognizer", "ctc_speech", "make_speech_examples"]
