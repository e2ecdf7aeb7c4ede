"""Download a GGUF model over HTTP(S): resumable, verified, and atomic.

The bytes go to <models>/.downloads/<name>.gguf.part, never to a *.gguf name the model
manager would list. A dropped connection is resumed with an HTTP Range request (also
after a restart: the part file and a small JSON note of its URL stay behind). When the
last byte is in, the SHA-256 is compared with the expected one (given, from the catalog,
or the hub's own LFS hash in its X-Linked-Etag header), the header is read as GGUF, and
only then is the file renamed into the models folder in one step. A wrong hash deletes
the part file.
"""

from __future__ import annotations

import errno
import hashlib
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlparse

from core.errors import UserError
from core.jobs import CancelToken, Progress, ProgressCallback
from core.llm.catalog import free_bytes
from core.llm.gguf import InvalidModelFile, read_gguf

if TYPE_CHECKING:
    import httpx

PART_DIR = ".downloads"
CHUNK = 1 << 20
RETRIES = 5
EMIT_EVERY = 0.1  # seconds between progress reports
SPACE_MARGIN = 16 << 20  # the file system needs some room of its own
_HEX64 = re.compile(r"^[0-9a-f]{64}$")

FreeSpace = Callable[[Path], int]


class DownloadError(UserError):
    """A model download failed; the message says why and what to do."""


class DiskFull(DownloadError):
    pass


class Offline(DownloadError):
    pass


@dataclass(frozen=True)
class DownloadResult:
    name: str
    path: Path
    sha256: str
    verified_against: str | None  # "given" | "catalog" | "hub" | None (no hash was known)
    size_bytes: int
    seconds: float
    resumed_from: int  # bytes already on disk when this call started
    reconnects: int  # dropped connections resumed during this call

    def to_json(self) -> dict[str, object]:
        return {**self.__dict__, "path": str(self.path)}


def name_from_url(url: str) -> str:
    stem = Path(unquote(urlparse(url).path)).name
    if not stem.lower().endswith(".gguf"):
        raise DownloadError(f"{url} does not name a .gguf file; give the file's own address.")
    return stem[: -len(".gguf")]


def part_paths(models_dir: Path, name: str) -> tuple[Path, Path]:
    folder = Path(models_dir) / PART_DIR
    return folder / f"{name}.gguf.part", folder / f"{name}.json"


def discard_partial(models_dir: Path, name: str) -> bool:
    """Forget a stopped download; True when there was one."""
    found = False
    for path in part_paths(models_dir, name):
        if path.exists():
            path.unlink()
            found = True
    return found


class _Partial:
    """The part file and the running hash of exactly the bytes in it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.hasher = hashlib.sha256()
        self.size = 0
        if path.exists():
            with path.open("rb") as stream:
                while block := stream.read(CHUNK):
                    self.hasher.update(block)
                    self.size += len(block)

    def reset(self) -> None:
        self.path.write_bytes(b"")
        self.hasher = hashlib.sha256()
        self.size = 0


class _Dropped(Exception):
    """The server closed the body before its announced length."""


def download(
    url: str,
    models_dir: Path,
    name: str,
    *,
    sha256: str | None = None,
    catalog_sha256: str | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    client: httpx.Client | None = None,
    free_space: FreeSpace | None = None,
    retries: int = RETRIES,
) -> DownloadResult:
    models_dir = Path(models_dir)
    target = models_dir / f"{name}.gguf"
    if target.exists() or target.is_symlink():
        raise DownloadError(f"A model named {name!r} exists already in {models_dir}.")
    expected, source = _expected(sha256, catalog_sha256)
    part_path, note = part_paths(models_dir, name)
    part_path.parent.mkdir(parents=True, exist_ok=True)
    _start_or_resume(note, part_path, url)
    partial = _Partial(part_path)
    transfer = _Transfer(url, name, partial, progress, cancel, free_space or free_bytes)
    started = time.perf_counter()
    resumed_from = partial.size
    own_client = client is None
    http = client or _client()
    try:
        reconnects = transfer.run(http, retries)
    finally:
        if own_client:
            http.close()
    if expected is None and transfer.hub_sha256:
        expected, source = transfer.hub_sha256, "hub"
    digest = partial.hasher.hexdigest()
    _verify(digest, expected, source, models_dir, name)
    try:
        read_gguf(part_path)
    except InvalidModelFile as exc:
        discard_partial(models_dir, name)
        raise DownloadError(f"{url} is not a GGUF model file; the download was deleted.") from exc
    part_path.replace(target)  # same file system: atomic
    note.unlink(missing_ok=True)
    return DownloadResult(
        name=name,
        path=target,
        sha256=digest,
        verified_against=source if expected else None,
        size_bytes=partial.size,
        seconds=round(time.perf_counter() - started, 3),
        resumed_from=resumed_from,
        reconnects=reconnects,
    )


def _expected(given: str | None, catalog: str | None) -> tuple[str | None, str | None]:
    if given:
        given = given.strip().lower()
        if not _HEX64.match(given):
            raise UserError("--sha256 takes the file's SHA-256 as 64 hexadecimal digits.")
        return given, "given"
    if catalog:
        return catalog.lower(), "catalog"
    return None, None


def _start_or_resume(note: Path, part: Path, url: str) -> None:
    """Keep a part file only when it came from the same URL."""
    try:
        previous = json.loads(note.read_text(encoding="utf-8")).get("url")
    except (OSError, ValueError):
        previous = None
    if previous != url and part.exists():
        part.unlink()
    note.write_text(json.dumps({"url": url}), encoding="utf-8")


def _verify(digest: str, expected: str | None, source: str | None, models_dir: Path, name: str) -> None:
    if expected is None or digest == expected:
        return
    discard_partial(models_dir, name)
    raise DownloadError(
        f"The downloaded file's SHA-256 is {digest}, not {expected} ({source}); it was "
        "deleted. Download it again, or check the hash you gave."
    )


def _client() -> httpx.Client:
    import httpx

    return httpx.Client(follow_redirects=True, timeout=httpx.Timeout(30.0, connect=10.0))


class _Transfer:
    def __init__(
        self,
        url: str,
        name: str,
        partial: _Partial,
        progress: ProgressCallback | None,
        cancel: CancelToken | None,
        free_space: FreeSpace,
    ) -> None:
        self.url, self.name, self.partial = url, name, partial
        self.progress, self.cancel, self.free_space = progress, cancel, free_space
        self.total: int | None = None
        self.hub_sha256: str | None = None
        self._started = time.perf_counter()
        self._emitted = 0.0
        self._first = partial.size

    def run(self, http: httpx.Client, retries: int) -> int:
        """Fetch until complete; returns how many dropped connections were resumed."""
        import httpx

        reconnects = 0
        while True:
            before = self.partial.size
            try:
                self._fetch(http)
                return reconnects
            except httpx.ConnectError as exc:
                if reconnects == 0 and before == self.partial.size:
                    raise Offline(
                        f"No network: could not reach {urlparse(self.url).netloc} ({exc}). "
                        "Connect and run the download again; it resumes where it stopped."
                    ) from exc
                error: Exception = exc
            except (httpx.TransportError, _Dropped) as exc:
                error = exc
            reconnects += 1
            if reconnects > retries:
                raise DownloadError(
                    f"The connection dropped {reconnects} times ({error}); "
                    f"{self.partial.size / 1e6:.0f} MB are kept, run the download again to resume."
                ) from error
            time.sleep(min(0.2 * 2**reconnects, 5.0))

    def _fetch(self, http: httpx.Client) -> None:
        have = self.partial.size
        headers = {"Range": f"bytes={have}-"} if have else {}
        with http.stream("GET", self.url, headers=headers) as response:
            self._note_hub_hash(response)
            if response.status_code == 416 and have and self._complete_at(response, have):
                return
            if response.status_code >= 400:
                raise DownloadError(
                    f"The server answered {response.status_code} {response.reason_phrase} "
                    f"for {self.url}; check the address."
                )
            if response.status_code != 206 and have:
                self.partial.reset()  # the server ignored Range: start over
            self.total = _total_size(response, self.partial.size)
            self._check_space()
            self._write(response)
        if self.total is not None and self.partial.size < self.total:
            raise _Dropped(f"got {self.partial.size} of {self.total} bytes")

    def _note_hub_hash(self, response: httpx.Response) -> None:
        for hop in [*response.history, response]:
            tag = hop.headers.get("x-linked-etag", "").strip('"').lower()
            if _HEX64.match(tag):
                self.hub_sha256 = tag

    def _complete_at(self, response: httpx.Response, have: int) -> bool:
        match = re.search(r"/(\d+)$", response.headers.get("content-range", ""))
        if match and int(match.group(1)) == have:
            self.total = have
            return True
        self.partial.reset()
        raise _Dropped("the part file no longer matches the server's file")

    def _check_space(self) -> None:
        if self.total is None:
            return
        need = self.total - self.partial.size
        free = self.free_space(self.partial.path.parent)
        if free < need + SPACE_MARGIN:
            raise DiskFull(
                f"Not enough disk space for {self.name}: {need / 1e6:,.0f} MB needed, "
                f"{free / 1e6:,.0f} MB free in {self.partial.path.parent.parent}. Free some "
                "space and run the download again."
            )

    def _write(self, response: httpx.Response) -> None:
        try:
            with self.partial.path.open("ab") as out:
                for block in response.iter_bytes():  # as received: a drop loses nothing
                    if self.cancel is not None:
                        self.cancel.raise_if_cancelled()
                    out.write(block)
                    self.partial.hasher.update(block)
                    self.partial.size += len(block)
                    self._emit()
            self._emit(final=True)
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
                raise DiskFull(
                    f"The disk filled up while downloading {self.name} ({exc.strerror}); "
                    f"{self.partial.size / 1e6:,.0f} MB are kept. Free some space and run "
                    "the download again to resume."
                ) from exc
            raise

    def _emit(self, final: bool = False) -> None:
        now = time.perf_counter()
        if self.progress is None or (not final and now - self._emitted < EMIT_EVERY):
            return
        self._emitted = now
        elapsed = max(now - self._started, 1e-9)
        rate = (self.partial.size - self._first) / elapsed
        eta = None
        if self.total is not None and rate > 0:
            eta = max(self.total - self.partial.size, 0) / rate
        self.progress(Progress(self.name, self.partial.size, self.total, rate, eta, "bytes"))


def _total_size(response: httpx.Response, have: int) -> int | None:
    if response.status_code == 206:
        match = re.search(r"/(\d+)$", response.headers.get("content-range", ""))
        if match:
            return int(match.group(1))
    length = response.headers.get("content-length")
    return have + int(length) if length and length.isdigit() else None
