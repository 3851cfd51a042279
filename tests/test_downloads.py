"""zoo.downloads: TFDS downloads fail at once offline, but not those TFDS already holds."""

import functools
import http.server
import threading

import pytest
import tensorflow_datasets as tfds

from zoo import downloads


def test_an_archive_already_downloaded_is_taken_from_tfds_cache_offline(tmp_path, monkeypatch):
    # The guard looked every URL up before TFDS did, so offline it refused a file TFDS had
    # already downloaded (a preparation re-run after an interrupted one).
    served = tmp_path / "served"
    served.mkdir()
    (served / "f.txt").write_text("data")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://localhost:{server.server_address[1]}/f.txt"
    cache = tmp_path / "downloads"
    try:
        first = tfds.download.DownloadManager(download_dir=cache).download(url)
    finally:
        server.shutdown()
        server.server_close()
    monkeypatch.setattr(downloads, "resolves", lambda host, **_: False)  # offline now
    unguarded = tfds.download.DownloadManager._download
    with downloads.fail_fast() as unreachable:
        again = tfds.download.DownloadManager(download_dir=cache).download(url)
        assert again == first and again.read_text() == "data" and not unreachable
        with pytest.raises(ConnectionError, match="the name localhost does not resolve"):
            tfds.download.DownloadManager(download_dir=cache).download(url + "?other")
    assert unreachable == ["localhost"]
    assert tfds.download.DownloadManager._download is unguarded  # restored


def test_behind_a_proxy_the_name_is_left_to_the_proxy(monkeypatch):
    # A network that reaches the internet only through HTTPS_PROXY may not resolve outside
    # names itself: the host check would refuse every download there.
    fetched = []
    fetch = lambda self, resource: fetched.append(resource)  # noqa: E731
    monkeypatch.setattr(tfds.download.DownloadManager, "_download", fetch)
    monkeypatch.setattr(downloads, "resolves", lambda host, **_: False)
    resource = tfds.download.Resource(url="https://example.org/data.zip")
    with downloads.fail_fast() as unreachable:
        with pytest.raises(ConnectionError, match="example.org does not resolve"):
            tfds.download.DownloadManager._download(None, resource)
        monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
        tfds.download.DownloadManager._download(None, resource)
    assert fetched == [resource] and unreachable == ["example.org"]
