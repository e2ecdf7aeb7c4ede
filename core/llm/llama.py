"""LLMBackend over llama-cpp-python for GGUF files.

The chat template is the one in the GGUF metadata (`tokenizer.chat_template`, rendered
by llama-cpp-python's Jinja2 formatter); we render it ourselves instead of calling
create_chat_completion so the prompt builder can count the exact prompt tokens. The
rendered prompt goes to create_completion as token ids: llama-cpp-python then reuses
the KV cache for the longest prefix it shares with the previous call.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from core.errors import LLMError
from core.jobs import CancelToken
from core.llm.backend import ChatMessage, FinishReason, Generation, TokenCallback
from core.llm.settings import LLMSettings

# Used when a GGUF carries no template: ChatML is what most small instruct models use.
CHATML_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{{ message['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
SAMPLING = {"top_k": 40, "top_p": 0.95, "min_p": 0.05, "repeat_penalty": 1.1}


def available_cpus() -> int:
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, cpus or 1)


def default_threads() -> int:
    """Generation threads: half the logical CPUs (about the physical cores).

    Generating a token is memory-bound: past the physical cores more threads only spin
    at llama.cpp's barriers and slow the embedder, the UI and other programs.
    """
    return max(1, available_cpus() // 2)


def batch_threads(settings: LLMSettings) -> int:
    """Prompt threads for the next answer: llm.threads_batch, or (0) one per CPU that other
    programs leave free, and never fewer than generate.

    Reading the prompt is compute-bound, so a free core helps; on a busy machine a second
    thread only waits at llama.cpp's barriers for a core it cannot get: in one interleaved
    run on two saturated cores (benchmarks/llm_threads.py, load ~9) two prompt threads gave
    1.0-1.8x the TTFT of one, and two generating threads 3-12x slower tokens. Enclave's own
    work is left out of "busy": the load average counts it, so the answer before kept the
    next one on one thread of an otherwise idle machine (TTFT 25 s instead of ~12 s here).
    """
    if settings.threads_batch:
        return settings.threads_batch
    cpus = available_cpus()
    generating = settings.threads or default_threads()
    others = busy_cpus_of_other_processes()
    if others is None:
        return cpus
    return max(generating, min(cpus, round(cpus - others)))


def busy_cpus_of_other_processes(window_s: float = 0.1) -> float | None:
    """CPUs' worth of work other processes did over the next `window_s` (None if unknown)."""
    import psutil

    ours = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None

    def busy_seconds() -> float:
        per_cpu = psutil.cpu_times(percpu=True)
        return sum(_busy_seconds(per_cpu[i]) for i in ours or range(len(per_cpu)))

    try:
        own = psutil.Process()
        system_before, own_before = busy_seconds(), own.cpu_times()
        started = time.perf_counter()
        time.sleep(window_s)
        system_after, own_after = busy_seconds(), own.cpu_times()
    except (psutil.Error, OSError, IndexError):
        return None
    elapsed = time.perf_counter() - started
    system = system_after - system_before
    mine = (own_after.user + own_after.system) - (own_before.user + own_before.system)
    return max(0.0, (system - mine) / elapsed)


def _busy_seconds(times: Any) -> float:
    """Busy seconds of one CPU (guest time is already inside user time on Linux)."""
    idle = times.idle + getattr(times, "iowait", 0.0)
    guest = getattr(times, "guest", 0.0) + getattr(times, "guest_nice", 0.0)
    return float(sum(times) - idle - guest)


def open_llama(path: Path, settings: LLMSettings) -> Any:
    from llama_cpp import Llama

    from core.llm.ggml_backends import load_cpu_backend
    from core.llm.gguf import read_gguf

    load_cpu_backend()

    trained = read_gguf(path).context_length
    # A context beyond what the model was trained on only produces garbage.
    n_ctx = min(settings.context_size, trained) if trained else settings.context_size
    try:
        return Llama(
            model_path=str(path),
            n_ctx=n_ctx,
            n_threads=settings.threads or default_threads(),
            n_threads_batch=batch_threads(settings),
            n_gpu_layers=settings.gpu_layers,
            verbose=False,
        )
    except (ValueError, RuntimeError) as exc:
        raise LLMError(f"llama.cpp could not load {path.name}: {exc}") from exc


class LlamaBackend:
    backend = "llama.cpp"
    supports_streaming = True

    def __init__(self, name: str, path: Path, settings: LLMSettings) -> None:
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        self.name = name
        self.path = Path(path)
        self.llama = open_llama(self.path, settings)
        self.context_window = int(self.llama.n_ctx())
        model = self.llama._model
        eos_id, bos_id = self.llama.token_eos(), self.llama.token_bos()
        self.formatter = Jinja2ChatFormatter(
            template=self.llama.metadata.get("tokenizer.chat_template") or CHATML_TEMPLATE,
            eos_token=model.token_get_text(eos_id) if eos_id != -1 else "",
            bos_token=model.token_get_text(bos_id) if bos_id != -1 else "",
            stop_token_ids=[eos_id],
        )
        self.settings = settings
        self._lock = threading.Lock()  # one generation at a time per llama.cpp context

    def render(self, messages: Sequence[ChatMessage]) -> tuple[list[int], list[str]]:
        chat: list[Any] = [{"role": m.role, "content": m.content} for m in messages]
        rendered = self.formatter(messages=chat)
        tokens = self.llama.tokenize(
            rendered.prompt.encode("utf-8"), add_bos=not rendered.added_special, special=True
        )
        stop = rendered.stop if isinstance(rendered.stop, list) else [rendered.stop]
        return tokens, [s for s in stop if s]

    def count_tokens(self, text: str) -> int:
        return len(self.llama.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def prompt_tokens(self, messages: Sequence[ChatMessage]) -> int:
        return len(self.render(messages)[0])

    def generate(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int,
        temperature: float = 0.2,
        on_token: TokenCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> Generation:
        tokens, stop = self.render(messages)
        room = self.context_window - len(tokens)
        if room < 1:
            raise LLMError(
                f"The prompt ({len(tokens)} tokens) does not fit the model's context of "
                f"{self.context_window}; raise llm.context_size or ask about fewer sources."
            )
        with self._lock:
            return self._stream(tokens, stop, min(max_tokens, room), temperature, on_token, cancel)

    def _stream(
        self,
        tokens: list[int],
        stop: list[str],
        max_tokens: int,
        temperature: float,
        on_token: TokenCallback | None,
        cancel: CancelToken | None,
    ) -> Generation:
        started = time.perf_counter()
        self._pick_threads()
        cached = self.cached_prefix(tokens)
        stream = self.llama.create_completion(
            tokens, max_tokens=max_tokens, temperature=temperature, stop=stop, stream=True,
            **SAMPLING,
        )
        pieces: list[str] = []
        finish: FinishReason = "stop"
        ttft = 0.0
        completion_tokens = 0
        try:
            for chunk in stream:
                if not completion_tokens:
                    ttft = (time.perf_counter() - started) * 1000
                completion_tokens += 1
                choice = chunk["choices"][0]
                if choice["text"]:
                    pieces.append(choice["text"])
                    if on_token is not None:
                        on_token(choice["text"])
                if choice.get("finish_reason") == "length":
                    finish = "length"
                if cancel is not None and cancel.cancelled:
                    finish = "cancelled"
                    break
        finally:
            stream.close()
        return Generation(
            text="".join(pieces),
            finish_reason=finish,
            prompt_tokens=len(tokens),
            completion_tokens=max(completion_tokens, self.count_tokens("".join(pieces))),
            cached_tokens=cached,
            ttft_ms=ttft,
            total_ms=(time.perf_counter() - started) * 1000,
        )

    def _pick_threads(self) -> None:
        """Prompt threads by how busy the machine is right now (see batch_threads)."""
        import llama_cpp

        threads = self.settings.threads or default_threads()
        batch = batch_threads(self.settings)
        if batch != self.llama.context_params.n_threads_batch:
            llama_cpp.llama_set_n_threads(self.llama._ctx.ctx, threads, batch)
            self.llama.context_params.n_threads_batch = batch

    def cached_prefix(self, tokens: Sequence[int]) -> int:
        """Prompt tokens llama.cpp will not re-evaluate (shared with its last context)."""
        count = 0
        for a, b in zip(self.llama._input_ids, tokens, strict=False):
            if a != b:
                break
            count += 1
        return count

    def close(self) -> None:
        with self._lock:
            self.llama.close()
