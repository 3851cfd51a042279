"""The adding problem at T=200 with a SimpleRNN (Hochreiter & Schmidhuber 1997).

Each sequence holds 200 random values and two markers; the target is the sum of the two marked
values. Predicting 1.0 always scores MSE ≈ 0.167: a model must carry the first marked value across
up to 200 steps to beat it. The recipe also plots ‖∂L/∂x_t‖ over t, BPTT made visible.
Other lengths: `--set dataset=adding_problem/t50` (or t400).
"""

from recipes._adding import adding_recipe
from zoo.training import main

RECIPE = adding_recipe("simple_rnn", "SimpleRNN")

if __name__ == "__main__":
    main(RECIPE)
