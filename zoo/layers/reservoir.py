"""The Echo State reservoir: a fixed random leaky-tanh recurrent layer (Jaeger 2001).

One step of `ReservoirCell` is

    x[t] = (1 - a) * x[t-1] + a * f(W x[t-1] + W_in u[t] + b)

with leak rate `a`, activation `f`, and fixed random weights: `W` scaled so that its spectral
radius is the requested one (to about 1e-5, relative: an eigen-solve, not a norm bound), `W_in`
and `b` scaled by `input_scaling` and `bias_scaling`.
`Reservoir` wraps the cell in `keras.layers.RNN`. The weights are drawn once on the host with NumPy
and SciPy from `seed` (same seed, same reservoir, bit for bit) and are never trained.

`harvest` runs the same recursion in NumPy float64 with a SciPy sparse `W`: the fast path the ESN
readout fit uses, numerically equal to the Keras layer.
"""

import numbers

import keras
import numpy as np
import scipy.linalg
import scipy.linalg.blas
import scipy.sparse
import scipy.sparse.csgraph
import scipy.sparse.linalg

try:  # SciPy's compiled CSR kernels (y += A x), behind `A @ x`; see `_add_product`
    from scipy.sparse._sparsetools import csr_matvec as _csr_matvec
    from scipy.sparse._sparsetools import csr_matvecs as _csr_matvecs
except ImportError:  # pragma: no cover - a SciPy without them: `A @ x`
    _csr_matvec = _csr_matvecs = None
from zoo.validation import (
    check_choice,
    check_nonnegative_float,
    check_positive_int,
    check_seed,
    check_weight_size,
)


# Activations the cell computes in keras.ops and the fast path in NumPy, identically. The NumPy
# ones work in place on a float64 array (the fast path's loop allocates nothing it can avoid).
def _sigmoid_in_place(z):
    z *= 0.5
    np.tanh(z, out=z)
    z += 1.0
    z *= 0.5


def _hard_sigmoid_in_place(z):  # Keras's: relu6(z + 3) / 6
    z += 3.0
    np.clip(z, 0.0, 6.0, out=z)
    z /= 6.0


LEAKY_SLOPE = 0.2  # "leaky_relu": Keras's default slope


_NUMPY_ACTIVATIONS = {
    "tanh": lambda z: np.tanh(z, out=z),
    "sigmoid": _sigmoid_in_place,
    "relu": lambda z: np.maximum(z, 0.0, out=z),
    "leaky_relu": lambda z: np.maximum(z, LEAKY_SLOPE * z, out=z),
    "hard_sigmoid": _hard_sigmoid_in_place,
    "softsign": lambda z: np.divide(z, 1.0 + np.abs(z), out=z),
    "linear": lambda z: None,
}
_KERAS_ACTIVATIONS = {
    "tanh": keras.ops.tanh,
    "sigmoid": keras.ops.sigmoid,
    "relu": keras.ops.relu,
    # (not keras.ops.leaky_relu: TensorFlow holds its slope as a float32 attribute)
    "leaky_relu": lambda z: keras.ops.maximum(z, LEAKY_SLOPE * z),
    "hard_sigmoid": lambda z: keras.ops.relu6(z + 3.0) / 6.0,
    "softsign": keras.ops.softsign,
    "linear": lambda z: z,
}
ACTIVATIONS = tuple(_NUMPY_ACTIVATIONS)
# `W_in` entries: uniform in [-1, 1], or +-1 (reservoirpy's default, `Win=bernoulli`). At the same
# `input_scaling` the second drives the reservoir sqrt(3) times harder (RMS 1 against 1/sqrt(3)).
INPUT_DISTRIBUTIONS = ("uniform", "bernoulli")
# Below this size a dense eigen-solve is cheap and ARPACK (which needs k < n - 1) is not worth it.
_DENSE_EIG_MAX_UNITS = 64
_axpy = scipy.linalg.blas.daxpy  # y += a x, in place on a contiguous float64 `y`
_MAX_REDRAWS = 10


def _check_unit_interval(name, value, allow_none=False):
    """Raises unless `0 < value <= 1`."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a float in (0, 1], got {value!r}.")
    if not 0 < value <= 1:
        raise ValueError(f"{name} must be in (0, 1], got {value!r}.")
    return float(value)


def _check_input_scaling(value):
    """A float >= 0, or a list of them (one per input feature)."""
    if isinstance(value, np.ndarray) and value.ndim == 1:
        value = value.tolist()  # one float per input feature, as a list
    if isinstance(value, list | tuple):
        if not value:
            raise ValueError("input_scaling as a list needs one float per input feature, got [].")
        return [check_nonnegative_float(f"input_scaling[{i}]", v) for i, v in enumerate(value)]
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"input_scaling must be a float >= 0 or a list of one float >= 0 per input feature, "
            f"got {value!r}."
        )
    return check_nonnegative_float("input_scaling", value)


def _count(n, singular, plural=None):
    """`"1 feature"`, `"3 features"`."""
    return f"{n} {singular if n == 1 else plural or singular + 's'}"


def backward_seed(seed):
    """The seed of the backward half of a `keras.layers.Bidirectional` reservoir of `seed`.

    Its own stream of the same `SeedSequence` (`[seed, 4]`; the draws use `[seed, 1..3]`): a
    second reservoir, independent of the first and fixed by `seed`.

    Example:
        >>> backward_seed(0) == backward_seed(0) != 0
        True
    """
    return int(np.random.SeedSequence([seed, 4]).generate_state(1)[0] >> 1)


def spectral_radius_of(matrix, v0_seed=0):
    """The spectral radius (largest eigenvalue modulus) of a square matrix.

    Exact to LAPACK's precision for dense and small sparse matrices; for large sparse ones
    ARPACK's tolerance of 1e-4 leaves at most about 1e-5 relative (measured up to 8.4e-6 on
    100 draws of 100-2000 units; 1.2e-6 at 1500 units, 2.5e-7 at 1000).

    Dense matrices and small sparse ones use LAPACK (`eigvals`). A large sparse one is split into
    the strongly connected components of its graph of nonzeros: its eigenvalues are those of the
    components' diagonal blocks (the matrix is block triangular in their order), so a component
    of one unit contributes its diagonal entry and a nilpotent draw (no cycle at all) gives
    exactly 0, where ARPACK, asked for the largest eigenvalue of a defective matrix, returns a
    few hundredths. Blocks of more than `_DENSE_EIG_MAX_UNITS` units use ARPACK (`eigs`) with a
    start vector drawn from `v0_seed`, so the result is reproducible; ARPACK raises
    `scipy.sparse.linalg.ArpackNoConvergence` when it does not converge.

    Args:
        matrix: a square NumPy array or SciPy sparse matrix.
        v0_seed: seed of ARPACK's start vector.

    Returns:
        The spectral radius, a float.

    Example:
        >>> import numpy as np
        >>> round(spectral_radius_of(np.array([[0.0, 2.0], [0.5, 0.0]])), 6)
        1.0
        >>> spectral_radius_of(scipy.sparse.eye(100, k=1, format="csr"))  # nilpotent
        0.0
    """
    n = matrix.shape[0]
    if scipy.sparse.issparse(matrix) and n > _DENSE_EIG_MAX_UNITS:
        matrix = scipy.sparse.csr_matrix(matrix)
        matrix.eliminate_zeros()
        count, labels = scipy.sparse.csgraph.connected_components(
            matrix, directed=True, connection="strong"
        )
        if count > 1:
            sizes = np.bincount(labels, minlength=count)
            single = sizes[labels] == 1
            rho = float(np.abs(matrix.diagonal()[single]).max(initial=0.0))
            order = np.argsort(labels, kind="stable")
            starts = np.concatenate([[0], np.cumsum(sizes)])
            for c in np.flatnonzero(sizes > 1):
                idx = order[starts[c] : starts[c + 1]]
                rho = max(rho, spectral_radius_of(matrix[idx][:, idx], v0_seed))
            return rho
        v0 = np.random.default_rng(v0_seed).uniform(-1, 1, n)
        # The eigenvalues of a random matrix fill a disc: many share nearly the largest modulus,
        # and ARPACK asked for one with its default subspace can settle on a smaller one (1e-2
        # off at 1000 units, 10% density). Four of them in a 96-vector subspace do not (checked
        # against LAPACK on 160 draws, 100 to 1500 units, density 10/units to 0.3: at most 1.2e-7
        # off, relative, at tol 1e-6); a smaller subspace does (1e-3 off with 64 or 40 vectors).
        # The tolerance sets the accuracy, not the risk: at tol 1e-4 the radius was at most
        # 8.4e-6 off (relative) on 100 draws, 100 to 2000 units, density 10/units to 0.3, far
        # inside the 1e-3 promised, in 40% of the time of tol 1e-6 at 500 units (5 vs 14 ms).
        vals = scipy.sparse.linalg.eigs(
            matrix,
            k=4,
            which="LM",
            v0=v0,
            ncv=min(n, 96),
            return_eigenvectors=False,
            maxiter=20 * n,
            tol=1e-4,
        )
        return float(np.abs(vals).max())
    dense = matrix.toarray() if scipy.sparse.issparse(matrix) else np.asarray(matrix)
    return float(np.abs(scipy.linalg.eigvals(dense)).max())


def draw_recurrent(units, spectral_radius, connectivity, seed):
    """Draws the recurrent matrix `W`: normal weights at density `connectivity`, rescaled exactly.

    A draw whose eigen-solve does not converge, or whose spectral radius is 0 (a nilpotent sparse
    draw), is replaced by a redraw from the next seed of the same `SeedSequence`.

    Args:
        units: the matrix is `(units, units)`.
        spectral_radius: the requested spectral radius.
        connectivity: the density of nonzero weights, in (0, 1].
        seed: an int; the same seed gives the same matrix, bit for bit.

    Returns:
        A SciPy CSR float64 matrix when `connectivity < 1`, else a dense float64 array.

    Example:
        >>> w = draw_recurrent(100, 0.9, 0.1, seed=0)
        >>> round(spectral_radius_of(w), 6)
        0.9
    """
    for attempt in range(_MAX_REDRAWS):
        rng = np.random.default_rng(np.random.SeedSequence([seed, 1, attempt]))
        if connectivity < 1:
            w = scipy.sparse.random(
                units,
                units,
                density=connectivity,
                format="csr",
                random_state=rng,
                data_rvs=rng.standard_normal,
            )
        else:
            w = rng.standard_normal((units, units))
        try:
            rho = spectral_radius_of(w, v0_seed=seed)
        except scipy.sparse.linalg.ArpackNoConvergence:
            continue
        if rho > 1e-12:
            return w * (spectral_radius / rho)
    raise ValueError(
        f"connectivity={connectivity} is too sparse for units={units}: {_MAX_REDRAWS} draws of "
        f"the recurrent matrix had no cycle (spectral radius 0) or no converged eigen-solve; "
        f"raise connectivity (about 1/units gives each unit one connection; the default None "
        f"gives 10/units)."
    )


def draw_input(input_dim, units, input_scaling, input_connectivity, seed, distribution="uniform"):
    """Draws `W_in` (`(input_dim, units)`, at the given density) and scales it.

    The entries are uniform in [-1, 1], or +-1 with `distribution="bernoulli"` (the signs of the
    same uniform draw, so both share the sparsity pattern of a seed). A sparse draw that leaves
    an input feature with no connection at all (the reservoir would never see it) has that
    feature's row redrawn from the next seeds of the same `SeedSequence`, as `draw_recurrent`
    redraws.

    Raises:
        ValueError: `input_connectivity` is too sparse: every draw left an input feature
            unconnected.

    Example:
        >>> import numpy as np
        >>> bool(np.all(draw_input(2, 5, [1.0, 0.0], 1.0, seed=0)[1] == 0))
        True
        >>> np.unique(np.abs(draw_input(1, 50, 0.5, 1.0, seed=0, distribution="bernoulli")))
        array([0.5])
    """

    def draw(key, rows):
        rng = np.random.default_rng(np.random.SeedSequence(key))
        w = rng.uniform(-1.0, 1.0, (rows, units))
        if distribution == "bernoulli":
            w = np.where(w < 0, -1.0, 1.0)
        if input_connectivity < 1:
            w = w * (rng.random((rows, units)) < input_connectivity)
        return w

    w = draw([seed, 2], input_dim)  # the draw from before redraws existed: same seed, same W_in
    for i in np.flatnonzero(~np.any(w != 0, axis=1)).tolist():
        for attempt in range(1, _MAX_REDRAWS):
            w[i] = draw([seed, 2, attempt, i], 1)[0]
            if np.any(w[i] != 0):
                break
        else:
            raise ValueError(
                f"input_connectivity={input_connectivity} is too sparse for units={units}: "
                f"{_MAX_REDRAWS} draws of the input matrix W_in left input feature {i} with no "
                "connection (the reservoir would never see it); raise input_connectivity (about "
                "1/units gives each input feature one connection)."
            )
    scaling = np.broadcast_to(np.asarray(input_scaling, dtype=np.float64), (input_dim,))
    return w * scaling[:, None]


def draw_bias(units, bias_scaling, seed):
    """Draws the bias `b`, uniform in `[-bias_scaling, bias_scaling]`.

    Example:
        >>> import numpy as np
        >>> bool(np.all(draw_bias(3, 0.0, seed=0) == 0))
        True
    """
    rng = np.random.default_rng(np.random.SeedSequence([seed, 3]))
    return rng.uniform(-1.0, 1.0, units) * bias_scaling


@keras.saving.register_keras_serializable(package="zoo")
class ReservoirCell(keras.layers.Layer):
    """One leaky step of an Echo State reservoir, with fixed (non-trainable) random weights.

    `x[t] = (1 - leak_rate) * x[t-1] + leak_rate * activation(x[t-1] W + u[t] W_in + b)`, in the
    row-vector convention of Keras (`recurrent_kernel` is `W` transposed; its spectral radius is
    the same). The arguments are those of `Reservoir`.

    Example:
        >>> import numpy as np, keras
        >>> cell = ReservoirCell(8, seed=0)
        >>> layer = keras.layers.RNN(cell, return_sequences=True)
        >>> layer(np.zeros((1, 5, 2), "float32")).shape
        TensorShape([1, 5, 8])
    """

    def __init__(
        self,
        units,
        spectral_radius=0.9,
        leak_rate=1.0,
        input_scaling=1.0,
        bias_scaling=1.0,
        connectivity=None,
        input_connectivity=1.0,
        activation="tanh",
        seed=None,
        input_distribution="uniform",
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.units = check_positive_int("units", units)
        check_weight_size("the recurrent matrix", units, units, f"units={units}")
        if isinstance(spectral_radius, bool) or not isinstance(spectral_radius, numbers.Real):
            raise TypeError(f"spectral_radius must be a float > 0, got {spectral_radius!r}.")
        if not (np.isfinite(spectral_radius) and spectral_radius > 0):
            raise ValueError(
                f"spectral_radius must be a finite float > 0, got {spectral_radius!r}."
            )
        self.spectral_radius = float(spectral_radius)
        self.leak_rate = _check_unit_interval("leak_rate", leak_rate)
        self.input_scaling = _check_input_scaling(input_scaling)
        self.bias_scaling = check_nonnegative_float("bias_scaling", bias_scaling)
        self.connectivity = _check_unit_interval("connectivity", connectivity, allow_none=True)
        self.input_connectivity = _check_unit_interval("input_connectivity", input_connectivity)
        self.activation = check_choice("activation", activation, ACTIVATIONS)
        self.input_distribution = check_choice(
            "input_distribution", input_distribution, INPUT_DISTRIBUTIONS
        )
        if (
            seed is None
        ):  # drawn from NumPy's global generator: keras.utils.set_random_seed fixes it
            seed = int(np.random.randint(0, 2**31 - 1))
        self.seed = check_seed(seed)
        self._draw_seed = self.seed  # `Reservoir` sets another for a Bidirectional's backward half
        self.state_size = self.units
        self.output_size = self.units

    @property
    def density(self):
        """The recurrent density in use: `connectivity`, or 10/units (about 10 links per unit)."""
        if self.connectivity is not None:
            return self.connectivity
        return min(1.0, 10.0 / self.units)

    def build(self, input_shape):
        """Draws `W`, `W_in` and `b` on the host and stores them as non-trainable weights."""
        input_dim = input_shape[-1]
        if isinstance(self.input_scaling, list) and len(self.input_scaling) != input_dim:
            raise ValueError(
                f"input_scaling has {_count(len(self.input_scaling), 'entry', 'entries')} but "
                f"the input has {_count(input_dim, 'feature')}: give one scale per feature, or "
                "a scalar."
            )
        seed = self._draw_seed
        w = draw_recurrent(self.units, self.spectral_radius, self.density, seed)
        if scipy.sparse.issparse(w):
            # The fast path's CSR matrix, from the draw rather than from the dense weight
            # (`numpy_weights` checks that the weight still holds it): values rounded to the
            # layer's dtype as the weight stores them, indices sorted as a dense-to-CSR
            # conversion sorts them (so the sums run in the same order, bit for bit).
            csr = scipy.sparse.csr_matrix(w, dtype=np.float64)
            csr.sum_duplicates()
            csr.eliminate_zeros()
            csr.data = csr.data.astype(self.dtype).astype(np.float64)
            csr.eliminate_zeros()  # values that underflow in the layer's dtype
            object.__setattr__(self, "_fast_recurrent", csr)  # untracked by Keras
            w = w.toarray()
        values = {
            "kernel": draw_input(
                input_dim,
                self.units,
                self.input_scaling,
                self.input_connectivity,
                seed,
                self.input_distribution,
            ),
            "recurrent_kernel": w.T,
            "bias": draw_bias(self.units, self.bias_scaling, seed),
        }
        for name, value in values.items():
            var = self.add_weight(
                shape=value.shape,
                initializer=lambda shape, dtype, value=value: value.astype(dtype),
                trainable=False,
                name=name,
            )
            setattr(self, name, var)
        self.built = True

    def call(self, inputs, states):
        """One leaky step; returns `(new_state, [new_state])`."""
        h = states[0] if isinstance(states, list | tuple) else states
        pre = (
            keras.ops.matmul(inputs, self.kernel)
            + keras.ops.matmul(h, self.recurrent_kernel)
            + self.bias
        )
        new = (1.0 - self.leak_rate) * h + self.leak_rate * _KERAS_ACTIVATIONS[self.activation](pre)
        return new, [new]

    def get_config(self):
        """Every constructor argument, for saving."""
        return {
            **super().get_config(),
            "units": self.units,
            "spectral_radius": self.spectral_radius,
            "leak_rate": self.leak_rate,
            "input_scaling": self.input_scaling,
            "bias_scaling": self.bias_scaling,
            "connectivity": self.connectivity,
            "input_connectivity": self.input_connectivity,
            "activation": self.activation,
            "seed": self.seed,
            "input_distribution": self.input_distribution,
        }


_CELL_ARGS = (
    "units",
    "spectral_radius",
    "leak_rate",
    "input_scaling",
    "bias_scaling",
    "connectivity",
    "input_connectivity",
    "activation",
    "seed",
    "input_distribution",
)


@keras.saving.register_keras_serializable(package="zoo")
class Reservoir(keras.layers.RNN):
    """An Echo State reservoir layer: `ReservoirCell` in `keras.layers.RNN`, never trained.

    `x[t] = (1 - a) x[t-1] + a f(W x[t-1] + W_in u[t] + b)`. `W` holds normal weights at density
    `connectivity`, rescaled so that its spectral radius equals `spectral_radius` to about 1e-5,
    relative (an eigen-solve at build time: ARPACK with a fixed start vector for sparse draws,
    LAPACK for dense ones). `W_in` is uniform in [-1, 1] (or +-1:
    `input_distribution="bernoulli"`), `b` uniform in [-1, 1]; they are scaled by `input_scaling`
    and `bias_scaling`.

    Args:
        units: reservoir size.
        spectral_radius: the spectral radius of `W`, > 0 (below 1 is the usual echo-state regime
            for tanh reservoirs, a little above 1 often works with leaky ones).
        leak_rate: `a`, in (0, 1]; 1 is no leak, small values make slow dynamics.
        input_scaling: scale of `W_in`: a float, or a list with one float per input feature.
        bias_scaling: scale of the bias (0 for none).
        connectivity: density of `W` in (0, 1]; `None` means 10/units, about 10 connections per
            unit (Lukoševičius 2012).
        input_connectivity: density of `W_in` in (0, 1].
        activation: `f`: `"tanh"`, `"sigmoid"`, `"relu"`, `"leaky_relu"` (slope 0.2),
            `"hard_sigmoid"` (`relu6(z + 3) / 6`), `"softsign"` or `"linear"`.
        seed: seed of every draw (`None` draws one from NumPy's global generator, which
            `keras.utils.set_random_seed` fixes); the same seed gives the same weights, bit for bit.
            In `keras.layers.Bidirectional` the backward half (the copy Keras names
            `backward_<name>`, with `go_backwards=True`) is drawn from `backward_seed(seed)`:
            two different reservoirs, both fixed by `seed`. Pass `backward_layer=` to choose it.
        input_distribution: the entries of `W_in` before scaling: `"uniform"` in [-1, 1], or
            `"bernoulli"`, +-1 (reservoirpy's default; at the same `input_scaling` it drives the
            reservoir sqrt(3) times harder).
        return_sequences: return every step's state (default), or only the last.
        return_state: also return the last state.
        stateful: carry the state from one batch to the next.
        **kwargs: `keras.layers.Layer` arguments (`name`, `dtype`, ...) and `keras.layers.RNN`
            ones (`go_backwards`, `unroll`, ...); not `cell` nor `trainable=True` (the weights
            are fixed by design: train a readout after the layer instead).

    Example:
        >>> import numpy as np, zoo
        >>> layer = zoo.layers.Reservoir(100, spectral_radius=1.1, leak_rate=0.5, seed=0)
        >>> layer(np.zeros((2, 30, 1), "float32")).shape
        TensorShape([2, 30, 100])
        >>> round(layer.realised_spectral_radius(), 4)
        1.1
    """

    def __init__(
        self,
        units,
        spectral_radius=0.9,
        leak_rate=1.0,
        input_scaling=1.0,
        bias_scaling=1.0,
        connectivity=None,
        input_connectivity=1.0,
        activation="tanh",
        seed=None,
        input_distribution="uniform",
        return_sequences=True,
        return_state=False,
        stateful=False,
        **kwargs,
    ):
        # Both were dropped without a word: a reservoir's cell and fixed weights are what it is.
        if kwargs.get("cell") is not None:
            raise ValueError(
                f"Reservoir got cell={kwargs['cell']!r}, but its cell is always a ReservoirCell "
                "with fixed random weights, drawn from its arguments: leave cell out, or use "
                "keras.layers.RNN(cell) for a cell of your own (or a trained recurrent layer "
                "such as keras.layers.GRU)."
            )
        if kwargs.get("trainable", False) is not False:
            raise ValueError(
                f"Reservoir got trainable={kwargs['trainable']!r}, but its weights are fixed "
                "random draws by design (an Echo State Network trains only its readout): leave "
                "trainable out and train the layers after it (a keras.layers.Dense readout, or "
                "zoo.models.esn's fit_readout), or use a trained recurrent layer such as "
                "keras.layers.GRU."
            )
        kwargs.pop("cell", None)
        kwargs.pop("trainable", None)
        cell = ReservoirCell(
            units,
            spectral_radius=spectral_radius,
            leak_rate=leak_rate,
            input_scaling=input_scaling,
            bias_scaling=bias_scaling,
            connectivity=connectivity,
            input_connectivity=input_connectivity,
            activation=activation,
            seed=seed,
            input_distribution=input_distribution,
            dtype=kwargs.get("dtype"),
            name="reservoir_cell",
        )
        super().__init__(
            cell,
            return_sequences=return_sequences,
            return_state=return_state,
            stateful=stateful,
            **kwargs,
        )
        self.trainable = False
        if self.go_backwards and self.name.startswith("backward_"):
            # Keras's Bidirectional makes its backward half from this layer's config (seed
            # included), named `backward_<name>`: drawn from the same seed, the halves were
            # one reservoir twice. It gets a second draw of the seed instead.
            self.cell._draw_seed = backward_seed(self.cell.seed)

    def realised_spectral_radius(self):
        """The spectral radius of the stored recurrent matrix (after the cast to the layer dtype).

        Example:
            >>> r = Reservoir(50, spectral_radius=0.8, seed=1)
            >>> r.build((None, None, 1))
            >>> round(r.realised_spectral_radius(), 4)
            0.8
        """
        if not self.built:
            raise ValueError(
                f"layer {self.name!r} has no recurrent matrix yet: build it first (call it on "
                "inputs, or layer.build((None, None, features)))."
            )
        w = keras.ops.convert_to_numpy(self.cell.recurrent_kernel).astype(np.float64)
        return spectral_radius_of(w)

    def get_config(self):
        """Every constructor argument, for saving."""
        config = super().get_config()
        config.pop("cell", None)
        cell_config = self.cell.get_config()
        config.update({key: cell_config[key] for key in _CELL_ARGS})
        return config

    @classmethod
    def from_config(cls, config):
        """Rebuilds the layer from `get_config()` (the weights come from the saved file).

        `trainable` is left out: it is always `False` at construction, but `model.trainable =
        True` sets it on every layer (a reservoir's weights stay fixed), and its config saves it.
        """
        config = {key: value for key, value in config.items() if key not in ("cell", "trainable")}
        return cls(**config)


def _cell_property(name):
    return property(lambda self: getattr(self.cell, name), doc=f"The cell's `{name}`.")


for _name in (*_CELL_ARGS, "density"):
    setattr(Reservoir, _name, _cell_property(_name))


def _check_built_cell(cell):
    """Raises unless `cell` is a built `ReservoirCell`."""
    if not isinstance(cell, ReservoirCell):
        raise TypeError(
            f"cell must be a built ReservoirCell (a Reservoir's .cell), got {cell!r} "
            f"({type(cell).__name__})."
        )
    if not cell.built:
        raise ValueError(
            f"cell {cell.name!r} has no weights yet: build it first (call its layer on inputs, "
            "or layer.build((None, None, features)))."
        )


def numpy_weights(cell):
    """`(W_in, W as a CSR matrix acting on row states, b)` of a built cell, in float64.

    Example:
        >>> r = Reservoir(20, seed=0)
        >>> r.build((None, None, 3))
        >>> [tuple(a.shape) for a in numpy_weights(r.cell)]
        [(3, 20), (20, 20), (20,)]
    """
    _check_built_cell(cell)
    w_in = keras.ops.convert_to_numpy(cell.kernel).astype(np.float64)
    w = keras.ops.convert_to_numpy(cell.recurrent_kernel).astype(np.float64, copy=False)
    b = keras.ops.convert_to_numpy(cell.bias).astype(np.float64)
    # States are rows: h @ K. Keep K^T in CSR so each step is one sparse mat-vec on the columns.
    # The one kept from the draw serves while the weight still equals it (it may have been
    # assigned since): as many nonzeros, each where and what the CSR says.
    csr = getattr(cell, "_fast_recurrent", None)
    if csr is not None and csr.shape == w.shape[::-1]:
        rows = np.repeat(np.arange(csr.shape[0]), np.diff(csr.indptr))
        if np.count_nonzero(w) == csr.nnz and np.array_equal(w[csr.indices, rows], csr.data):
            return w_in, csr, b
    csr = scipy.sparse.csr_matrix(w.T)
    object.__setattr__(cell, "_fast_recurrent", csr)
    return w_in, csr, b


def _add_product(w, batch):
    """`g(x, y)`: `y += w @ x` in place, for a CSR `w` and C-contiguous float64 `x`, `y`.

    The harvest's loop is one small sparse mat-vec per step, where SciPy's `w @ x` spends more
    time checking and dispatching its arguments (and allocating the result) than multiplying.
    Its compiled kernels (`csr_matvec`, `csr_matvecs`: `y += w @ x`) are called directly where
    this SciPy has them; elsewhere `w @ x` is added.
    """
    n_row, n_col = w.shape
    data = np.ascontiguousarray(w.data, dtype=np.float64)
    if _csr_matvec is not None and data.size:
        indptr, indices = w.indptr, w.indices
        if batch == 1:
            return lambda x, y: _csr_matvec(n_row, n_col, indptr, indices, data, x, y)
        return lambda x, y: _csr_matvecs(n_row, n_col, batch, indptr, indices, data, x, y)

    def add(x, y):
        y += w @ x

    return add


def harvest(cell, inputs, initial_state=None, weights=None, mask=None, out=None):
    """Runs a built `ReservoirCell` over `inputs` in NumPy float64: the fast path of the ESN.

    The same recursion as the Keras layer, with a SciPy sparse recurrent matrix and the input
    projection of every step computed in one matrix product.

    Args:
        cell: a built `ReservoirCell` (e.g. `Reservoir(...).cell`).
        inputs: `(batch, timesteps, features)` array.
        initial_state: `(batch, units)`, default zeros.
        weights: the output of `numpy_weights(cell)`, to skip converting them again.
        mask: `(batch, timesteps)` booleans, `False` at padded steps, or `None`: as in
            `keras.layers.RNN`, a padded step keeps the state it receives (and returns it as its
            output), so padding anywhere in a sequence leaves its other steps' states unchanged.
        out: a float64 `(batch, timesteps, units)` array to write the states into (e.g. a
            slice of a wider feature array, each `out[i, t]` contiguous), or `None`.

    Returns:
        `(states, last_state)`: `(batch, timesteps, units)` (`out` when given) and
        `(batch, units)`, float64.

    Example:
        >>> import numpy as np, keras
        >>> r = Reservoir(10, seed=0)
        >>> u = np.ones((1, 4, 2))
        >>> keras_states = keras.ops.convert_to_numpy(r(u))
        >>> bool(np.allclose(harvest(r.cell, u)[0], keras_states, atol=1e-5))
        True
    """
    _check_built_cell(cell)
    w_in, w_t, b = weights or numpy_weights(cell)
    inputs = np.asarray(inputs, dtype=np.float64)
    batch, steps, _ = inputs.shape
    units = cell.units
    f = _NUMPY_ACTIVATIONS[cell.activation]
    a = cell.leak_rate
    h0 = np.zeros((batch, units)) if initial_state is None else np.asarray(initial_state)
    if out is None:
        out = np.empty((batch, steps, units))
    elif (
        out.shape != (batch, steps, units)
        or out.dtype != np.float64
        or (units > 1 and out.strides[-1] != out.itemsize)
    ):
        raise ValueError(
            f"out must be a float64 array of shape {(batch, steps, units)} whose last axis is "
            f"contiguous, got {out.dtype} {out.shape} with strides {out.strides}."
        )
    if steps == 0:
        return out, h0.astype(np.float64)
    if mask is not None:
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != (batch, steps):
            raise ValueError(
                f"mask must be (batch, timesteps) = {(batch, steps)}, got shape {mask.shape}."
            )
    # The loop carries q = h / a: then `h' = (1-a) h + a f(W h + d)` is `q' = (1-a) q + f((aW) q
    # + d)`, one array operation per step fewer; the states are scaled back by `a` at the end.
    if a != 1.0:
        w_t = w_t * a
    # Every step's input term `d = W_in u + b` goes, in one product, where that step's state
    # will be; the loop then turns each row into the state in place: no other array is touched.
    if batch == 1:  # 1-D mat-vecs: SciPy's cheapest call, the loop's whole cost
        rows = out[0]
        np.matmul(inputs[0], w_in, out=rows)
        q = np.ascontiguousarray(h0[0] / a)
        held = None if mask is None else ~mask[0]
    else:  # the batch as columns: one mat-mat product per step
        rows = np.matmul(inputs, w_in).transpose(1, 2, 0).copy()  # (steps, units, batch)
        q = np.ascontiguousarray(h0.T / a)
        held = None if mask is None else ~mask.T[:, None, :]
    rows += b if batch == 1 else b[:, None]
    add_product = _add_product(w_t, batch)
    keep = 1.0 - a
    for t, o in enumerate(rows):
        add_product(q, o)  # o = (aW) q + W_in u + b
        f(o)
        if a != 1.0:  # o += (1 - a) q, one BLAS call (a third of NumPy's multiply and add)
            _axpy(q.reshape(-1), o.reshape(-1), a=keep)
        if held is not None and np.any(held[t]):
            np.copyto(o, q, where=held[t])
        q = o
    if batch != 1:
        out[...] = rows.transpose(2, 0, 1)
    if a != 1.0:
        out *= a
    return out, out[:, -1].copy()
