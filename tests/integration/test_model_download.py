"""Model downloads against a real HTTP server on 127.0.0.1 serving the bundled SmolLM2 GGUF
with Range support: drops, restarts, wrong hashes, 404, full disk, no network, cancel."""

from __future__ import annotations

import hashlib
import http.server
import json
import re
import resource
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from core.cli import main
from core.engine import Engine
from core.errors import Cancelled
from core.jobs import CancelToken, Progress
from core.llm.download import DiskFull, DownloadError, Offline, download, part_paths
from core.llm.models import ModelManager, bundled_model_path

pytestmark = pytest.mark.integration
MB = 1 << 20


@dataclass
class Served:
    data: bytes
    sha256: str
    drops: list[int] = field(default_factory=list)  # bytes sent before each of the next drops
    ranges: list[str | None] = field(default_factory=list)  # Range header of every GET
    hub_sha256: str = ""  # what /hub/ redirects announce as X-Linked-Etag


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    served: Served

    def log_message(self, *args: object) -> None:
        return None

    def do_GET(self) -> None:
        if self.path.startswith("/hub/"):  # the hub answers with a redirect carrying the LFS hash
            self.send_response(302)
            self.send_header("Location", "/files/" + self.path.removeprefix("/hub/"))
            self.send_header("X-Linked-Etag", f'"{self.served.hub_sha256}"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if not self.path.startswith("/files/") or not self.path.endswith(".gguf"):
            self.send_error(404, "Not Found")
            return
        self.served.ranges.append(self.headers.get("Range"))
        self._send_file(self.served.data)

    def _send_file(self, data: bytes) -> None:
        start = 0
        match = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range") or "")
        if match:
            start = int(match.group(1))
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(data) - start))
        self.end_headers()
        body = memoryview(data)[start:]
        if self.served.drops:
            cut = self.served.drops.pop(0)
            self.wfile.write(body[:cut])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)  # the connection drops mid-body
            self.close_connection = True
            return
        self.wfile.write(body)


class QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        return None  # a client that hangs up (the cancel test) is expected here


@pytest.fixture(scope="module")
def gguf() -> bytes:
    return bundled_model_path().read_bytes()


@pytest.fixture
def server(gguf: bytes) -> Iterator[tuple[str, Served]]:
    served = Served(gguf, hashlib.sha256(gguf).hexdigest())
    handler = type("BoundHandler", (Handler,), {"served": served})
    httpd = QuietServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", served
    finally:
        httpd.shutdown()
        httpd.server_close()


def listed(models: Path) -> list[str]:
    return [entry.name for entry in ModelManager(models.parent).list()]


def test_a_dropped_connection_resumes_with_a_range_request(
    server: tuple[str, Served], home: Path
) -> None:
    base, served = server
    served.drops = [5 * MB + 123]
    models = home / "models"
    seen: list[Progress] = []
    result = download(f"{base}/files/smol.gguf", models, "smol", sha256=served.sha256,
                      progress=seen.append)  # fmt: skip
    assert served.ranges == [None, f"bytes={5 * MB + 123}-"]
    assert result.reconnects == 1 and result.verified_against == "given"
    assert (models / "smol.gguf").read_bytes() == served.data
    assert seen[-1].done == seen[-1].total == len(served.data) and seen[-1].unit == "bytes"
    assert seen[-1].rate > 0 and seen[-1].eta == 0
    assert not part_paths(models, "smol")[0].exists()
    assert "smol" in listed(models)


def test_a_download_stopped_by_a_restart_resumes_from_its_part_file(
    server: tuple[str, Served], home: Path
) -> None:
    base, served = server
    served.drops = [7 * MB]
    models = home / "models"
    url = f"{base}/files/smol.gguf"
    with pytest.raises(DownloadError, match="run the download again to resume"):
        download(url, models, "smol", sha256=served.sha256, retries=0)
    part = part_paths(models, "smol")[0]
    assert part.stat().st_size == 7 * MB
    assert "smol" not in listed(models)  # a part file is never a model

    result = download(url, models, "smol", sha256=served.sha256)
    assert result.resumed_from == 7 * MB and served.ranges[-1] == f"bytes={7 * MB}-"
    assert hashlib.sha256((models / "smol.gguf").read_bytes()).hexdigest() == served.sha256


def test_a_wrong_hash_is_rejected_and_the_file_deleted(
    server: tuple[str, Served], home: Path
) -> None:
    base, _ = server
    models = home / "models"
    with pytest.raises(DownloadError, match=r"SHA-256 .* not 0{64} \(given\); it was deleted"):
        download(f"{base}/files/smol.gguf", models, "smol", sha256="0" * 64)
    assert not any(models.rglob("smol*"))
    assert listed(models) == [ModelManager(home).list()[0].name]  # only the bundled one


def test_the_hubs_lfs_hash_is_checked_when_none_is_given(
    server: tuple[str, Served], home: Path
) -> None:
    base, served = server
    models = home / "models"
    served.hub_sha256 = "f" * 64
    with pytest.raises(DownloadError, match=r"\(hub\)"):
        download(f"{base}/hub/smol.gguf", models, "smol")
    served.hub_sha256 = served.sha256
    result = download(f"{base}/hub/smol.gguf", models, "smol")
    assert result.verified_against == "hub"


def test_a_404_is_a_clear_error(server: tuple[str, Served], home: Path) -> None:
    base, _ = server
    with pytest.raises(DownloadError, match=r"answered 404 Not Found for .*missing\.gguf"):
        download(f"{base}/nothing/missing.gguf", home / "models", "missing")
    assert not (home / "models" / "missing.gguf").exists()


def test_too_little_free_space_stops_before_the_first_byte(
    server: tuple[str, Served], home: Path
) -> None:
    base, _ = server
    with pytest.raises(DiskFull, match=r"Not enough disk space for smol: \d+ MB needed, 10 MB free"):
        download(f"{base}/files/smol.gguf", home / "models", "smol",
                 free_space=lambda _: 10_000_000)  # fmt: skip
    part = part_paths(home / "models", "smol")[0]
    assert not part.exists() or part.stat().st_size == 0


def test_a_disk_that_fills_up_midway_is_a_clear_error_and_resumes_later(
    server: tuple[str, Served], home: Path
) -> None:
    """A file size limit (RLIMIT_FSIZE) makes the write fail as a full disk would."""
    base, served = server
    models = home / "models"
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (9 * MB, hard))
    try:
        with pytest.raises(DiskFull, match="disk filled up while downloading smol"):
            download(f"{base}/files/smol.gguf", models, "smol", sha256=served.sha256)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    assert 0 < part_paths(models, "smol")[0].stat().st_size <= 9 * MB
    assert "smol" not in listed(models)
    result = download(f"{base}/files/smol.gguf", models, "smol", sha256=served.sha256)
    assert result.resumed_from > 0


def test_cancel_stops_within_a_chunk_and_keeps_the_part(
    server: tuple[str, Served], home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base, _ = server
    cancel = CancelToken()

    def stop_after_two_mb(progress: Progress) -> None:
        if progress.done >= 2 * MB:
            cancel.cancel()

    monkeypatch.setattr("core.llm.download.EMIT_EVERY", 0.0)

    with pytest.raises(Cancelled):
        download(f"{base}/files/smol.gguf", home / "models", "smol",
                 progress=stop_after_two_mb, cancel=cancel)  # fmt: skip
    assert 2 * MB <= part_paths(home / "models", "smol")[0].stat().st_size <= 3 * MB
    assert "smol" not in listed(home / "models")


def test_without_a_network_the_cli_says_so_in_one_line(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(Offline):
        download(f"http://127.0.0.1:{port}/files/smol.gguf", home / "models", "smol")
    code = main(["--home", str(home), "models", "download",
                 f"http://127.0.0.1:{port}/files/smol.gguf"])  # fmt: skip
    err = capsys.readouterr().err.strip()
    assert code == 1 and err.startswith("enclave: No network: could not reach 127.0.0.1")
    assert "\n" not in err


def test_the_engine_and_cli_download_a_model_that_models_list_then_shows(
    server: tuple[str, Served], home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base, served = server
    url = f"{base}/files/SmolLM2-copy.gguf"
    code = main(["--home", str(home), "models", "download", url, "--sha256", served.sha256,
                 "--json"])  # fmt: skip
    result = json.loads(capsys.readouterr().out)
    assert code == 0 and result["name"] == "SmolLM2-copy" and result["verified_against"] == "given"
    with Engine(home) as engine:
        assert "SmolLM2-copy" in [m.name for m in engine.models()]
        with pytest.raises(DownloadError, match="exists already"):
            engine.download_model(url)
