"""`tlbench data fetch` against a local HTTP server that honours Range requests."""
import hashlib
import http.server
import io
import tarfile
import threading
from pathlib import Path

import pytest

from tlbench.data.fetch import Archive, download, extract
from tlbench.errors import TlbenchError


def make_archive(tmp_path: Path) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for i in range(3):
            data = (f"frame {i}\n" * 5000).encode()
            info = tarfile.TarInfo(f"Demo_Dataset.v1/Train/{i:03d}.txt")
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


class Server:
    def __init__(self, payload: bytes):
        self.payload, self.ranges = payload, []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body, status = outer.payload, 200
                rng = self.headers.get("Range")
                outer.ranges.append(rng)
                if rng:
                    start = int(rng.split("=")[1].split("-")[0])
                    if start >= len(body):
                        self.send_response(416)
                        self.end_headers()
                        return
                    body, status = body[start:], 206
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/Demo_Dataset.tar.gz"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def served(tmp_path):
    payload = make_archive(tmp_path)
    server = Server(payload)
    yield server, payload
    server.close()


def archive_for(url, payload, good=True):
    digest = hashlib.sha256(payload).hexdigest()
    return Archive(url, "Demo_Dataset.v1", "Demo_Dataset.v1", sha256=digest if good else "0" * 64)


def test_download_verifies_and_extracts(served, tmp_path):
    server, payload = served
    archive = archive_for(server.url, payload)
    file = download(archive, tmp_path / "downloads", progress=False)
    assert file.read_bytes() == payload and server.ranges == [None]
    target = extract(archive, file, tmp_path / "data")
    assert sorted(p.name for p in (target / "Train").iterdir()) == ["000.txt", "001.txt", "002.txt"]
    assert not list((tmp_path / "data").glob(".tlbench-tmp-*"))


def test_bad_checksum_leaves_nothing_behind(served, tmp_path):
    server, payload = served
    with pytest.raises(TlbenchError, match="is not the published 0000"):
        download(archive_for(server.url, payload, good=False), tmp_path / "downloads", progress=False)
    assert list((tmp_path / "downloads").iterdir()) == []


def test_interrupted_download_resumes_from_the_part_file(served, tmp_path):
    server, payload = served
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    half = len(payload) // 2
    (downloads / "Demo_Dataset.tar.gz.part").write_bytes(payload[:half])
    file = download(archive_for(server.url, payload), downloads, progress=False)
    assert server.ranges == [f"bytes={half}-"]
    assert file.read_bytes() == payload
    assert not (downloads / "Demo_Dataset.tar.gz.part").exists()


def test_complete_part_file_is_accepted(served, tmp_path):
    server, payload = served
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    (downloads / "Demo_Dataset.tar.gz.part").write_bytes(payload)
    assert download(archive_for(server.url, payload), downloads, progress=False).read_bytes() == payload


def test_file_url_and_unreachable_host(tmp_path):
    payload = make_archive(tmp_path)
    src = tmp_path / "Demo_Dataset.tar.gz"
    src.write_bytes(payload)
    assert download(archive_for(src.as_uri(), payload), tmp_path / "d", progress=False).read_bytes() == payload
    with pytest.raises(TlbenchError, match="run the same command again to resume"):
        download(archive_for("http://127.0.0.1:9/none.tar.gz", payload), tmp_path / "e", progress=False)


def test_extract_refuses_a_wrong_archive_and_cleans_up(tmp_path):
    payload = make_archive(tmp_path)
    file = tmp_path / "x.tar.gz"
    file.write_bytes(payload)
    with pytest.raises(TlbenchError, match="has no folder 'Other'"):
        extract(Archive("u", "Other", "Other"), file, tmp_path / "data")
    assert list((tmp_path / "data").iterdir()) == []
    bad = tmp_path / "bad.tar.gz"
    bad.write_bytes(b"not an archive")
    with pytest.raises(TlbenchError, match="neither a zip nor a tar"):
        extract(Archive("u", "Demo_Dataset.v1", "Demo_Dataset.v1"), bad, tmp_path / "data")


def test_fetch_command_puts_the_dataset_at_the_profile_root(served, tmp_path, monkeypatch):
    from tests.pipeline.test_pipeline import write_params
    from tlbench.data import catalog
    from tlbench.params import Params

    server, payload = served
    params = Params.load(write_params(tmp_path, profile="paper"))
    archive = Archive(server.url, "Demo_Dataset.v1", "{root}", sha256=hashlib.sha256(payload).hexdigest())
    root = catalog.fetch(params, "ucsd", progress=False, archives=(archive,))
    assert root == tmp_path / "data/paper/UCSD_Anomaly_Dataset.v1p2" and (root / "Train" / "000.txt").is_file()
    record = catalog.source_record(root)  # what the provenance of the results names
    assert record == {"url": server.url, "file": archive.filename, "sha256": hashlib.sha256(payload).hexdigest(),
                      "pinned": True}
    with pytest.raises(TlbenchError, match="cannot be fetched automatically: download it by hand"):
        catalog.fetch(params, "ph2", progress=False)
