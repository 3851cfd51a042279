import pytest


@pytest.fixture(scope="session")
def tfds_data_dir(tmp_path_factory):
    """A TFDS data_dir shared by the whole test session."""
    return tmp_path_factory.mktemp("tfds")
