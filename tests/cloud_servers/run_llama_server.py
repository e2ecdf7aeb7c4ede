"""`python -m llama_cpp.server ARGS`, after loading llama.cpp's CPU backend the way Enclave
does (core.llm.ggml_backends): a build for any x86-64 CPU (the installer's, which CI tests
on) has none linked in, and llama-cpp-python's server does not load one itself."""

import runpy

from core.llm.ggml_backends import load_cpu_backend

load_cpu_backend()
runpy.run_module("llama_cpp.server", run_name="__main__", alter_sys=True)
