"""TFDS downloads that fail at once offline, and the folders a failed preparation leaves.

Offline, TFDS's downloader retries each file for minutes before it fails; `fail_fast` looks up
each URL's host first. `folders` and `remove_new_folders` clean up what a preparation that
downloaded nothing made in the data dir.
"""

import contextlib
import os
import pathlib
import shutil
import socket
import threading
import urllib.parse
import urllib.request

import tensorflow_datasets as tfds


def resolves(host, timeout=10.0):
    """Whether the name `host` resolves to an address within `timeout` seconds.

    Example:
        >>> resolves("localhost"), resolves("no-such-host.invalid")
        (True, False)
    """
    found = []

    def look_up():
        try:
            found.append(bool(socket.getaddrinfo(host, 443)))
        except (OSError, UnicodeError):
            found.append(False)

    thread = threading.Thread(target=look_up, daemon=True)  # getaddrinfo takes no timeout
    thread.start()
    thread.join(timeout)
    return bool(found and found[0])


@contextlib.contextmanager
def fail_fast():
    """Makes TFDS's downloads fail at once when their host's name does not resolve (offline).

    TFDS's downloader retries each file for minutes offline (urllib3's "Retrying ...
    NameResolutionError" warnings) before it fails. Here each file TFDS is about to fetch
    (`DownloadManager._download`, which TFDS calls only for a URL not in its download cache)
    has its http(s) host looked up first (unless a proxy is set for its scheme, e.g.
    `HTTPS_PROXY`: the proxy resolves it); one that does not resolve is appended to the list
    this yields, and the download raises `ConnectionError`. So a prepared dataset, a manual
    dir's files, an archive already downloaded and `tfds.testing.mock_data` never get there.
    (Where a TFDS release has no `_download`, downloads run unguarded.)

    Example:
        >>> import tempfile
        >>> manager = tfds.download.DownloadManager(download_dir=tempfile.mkdtemp())
        >>> with fail_fast() as unreachable:
        ...     manager.download("https://no-such-host.invalid/data.zip")
        Traceback (most recent call last):
        ...
        ConnectionError: cannot download https://no-such-host.invalid/data.zip: the name ...
        >>> unreachable
        ['no-such-host.invalid']
    """
    unreachable, manager = [], tfds.download.DownloadManager
    original = getattr(manager, "_download", None)
    if original is None:
        yield unreachable
        return

    def checked(self, resource, *args, **kwargs):
        url = str(getattr(resource, "url", resource))  # a tfds.download.Resource
        parts = urllib.parse.urlsplit(url)
        proxied = parts.scheme in urllib.request.getproxies()  # the proxy resolves the name
        if parts.scheme in ("http", "https") and not proxied and not resolves(parts.hostname or ""):
            unreachable.append(parts.hostname)
            raise ConnectionError(
                f"cannot download {url}: the name {parts.hostname} does not resolve"
            )
        return original(self, resource, *args, **kwargs)

    manager._download = checked
    try:
        yield unreachable
    finally:
        manager._download = original


def folders(data_dir, name):
    """The folders that preparing dataset `name` in `data_dir` (TFDS's default if `None`) makes.

    Example:
        >>> import tempfile
        >>> root = pathlib.Path(tempfile.mkdtemp())
        >>> (root / "mnist" / "3.0.1").mkdir(parents=True)
        >>> sorted(p.relative_to(root).as_posix() for p in folders(root, "mnist/3.0.1"))
        ['.', 'mnist', 'mnist/3.0.1']
    """
    root = pathlib.Path(data_dir or tfds.core.constants.DATA_DIR).expanduser()
    builder = name.split("/")[0].split(":")[0]
    downloads = root / "downloads"
    walked = [pathlib.Path(d) for d, _, _ in os.walk(root / builder)]
    found = [root, downloads, downloads / "extracted", downloads / builder, *walked]
    return {path for path in found if path.is_dir()}


def remove_new_folders(before, data_dir, name):
    """Removes the folders a preparation of `name` that downloaded nothing made (not `before`).

    The dataset's own folder, new, holds at most TFDS's note of its configs
    (`.config/metadata.json`): it goes whole. The others go when empty.

    Example:
        >>> import tempfile
        >>> root = pathlib.Path(tempfile.mkdtemp())
        >>> before = folders(root, "mnist")
        >>> (root / "mnist" / ".config").mkdir(parents=True)
        >>> (root / "downloads" / "extracted").mkdir(parents=True)
        >>> remove_new_folders(before, root, "mnist")
        >>> sorted(p.name for p in root.iterdir())
        []
    """
    new = sorted(folders(data_dir, name) - before, key=lambda p: -len(p.parts))
    root = pathlib.Path(data_dir or tfds.core.constants.DATA_DIR).expanduser()
    own = root / name.split("/")[0].split(":")[0]
    if own in new:
        shutil.rmtree(own, ignore_errors=True)
    for path in new:
        with contextlib.suppress(OSError):  # gone already, or not empty: someone else's files
            path.rmdir()
