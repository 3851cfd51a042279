"""Data-parallel training with tf.distribute.MirroredStrategy over two logical CPU devices."""

import json
import os
import subprocess
import sys
import textwrap

import pytest

from zoo import training

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SCRIPT = textwrap.dedent(
    """
    import json, sys
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    from recipes.adding_gru import RECIPE
    from zoo import training
    metrics = training.run(RECIPE, epochs=2, batch_size=256, output=sys.argv[1],
                           data_dir=sys.argv[2], strategy="mirrored", verbose=0,
                           overrides={"dataset": "adding_problem/t50", "units": 8})
    """
)


@pytest.mark.slow
def test_mirrored_strategy_over_two_cpu_devices(tfds_data_dir, tmp_path):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": ROOT}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path), str(tfds_data_dir)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=280,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["strategy"] == "MirroredStrategy" and config["replicas"] == 2
    history = json.loads((tmp_path / "history.json").read_text())
    assert history["loss"][1] < history["loss"][0]
    assert (tmp_path / "model.keras").exists()


def test_unknown_strategy_is_named():
    with pytest.raises(ValueError, match="strategy must be one of 'mirrored', got 'mirror'"):
        training.distribution_strategy("mirror")
