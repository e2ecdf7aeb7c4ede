"""llama-cpp-python's own OpenAI-compatible server serving the bundled GGUF on 127.0.0.1.

This is how a team shares one inference machine: the product's OpenAI-compatible backend
is pointed at it with base_url `<origin>/v1`. Started once per test session.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

MODEL_ALIAS = "smollm2"
API_KEY = "team-server-key"


@dataclass
class LlamaServer:
    process: subprocess.Popen[bytes]
    port: int
    log: Path
    model: str = MODEL_ALIAS
    api_key: str = API_KEY

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_llama_server(model: Path, log: Path, ready_s: float = 120.0) -> LlamaServer:
    """Start the server and wait until /v1/models answers; raises with its log if it dies."""
    port = free_port()
    runner = Path(__file__).with_name("run_llama_server.py")
    cmd = [sys.executable, str(runner), "--model", str(model), "--host", "127.0.0.1",
           "--port", str(port), "--model_alias", MODEL_ALIAS, "--n_ctx", "2048",
           "--n_threads", "2", "--api_key", API_KEY, "--verbose", "False"]  # fmt: skip
    out = log.open("wb")
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    process = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
    server = LlamaServer(process, port, log)
    deadline = time.monotonic() + ready_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"llama_cpp.server exited ({process.returncode}):\n{log.read_text()}"
            )
        if _models(server):
            return server
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"llama_cpp.server not ready after {ready_s:.0f} s:\n{log.read_text()}")


def _models(server: LlamaServer) -> list[str]:
    request = urllib.request.Request(f"{server.base_url}/models",
                                     headers={"Authorization": f"Bearer {server.api_key}"})  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=2) as response:
            return [m["id"] for m in json.load(response)["data"]]
    except OSError:
        return []
