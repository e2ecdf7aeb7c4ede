"""Cloud language models: OpenAI, Anthropic, Gemini and any OpenAI-compatible server.

Light on import: the providers' SDKs load only when a request is made. Every request
goes through `GuardedCloudBackend` (core/llm/cloud/guarded.py), which pseudonymizes the
prompt with the vault, writes the exact bytes to the egress log before they leave and
restores the placeholders in the streamed answer.
"""

from core.llm.cloud.catalog import PROVIDERS, Provider, context_window_of, default_model

__all__ = ["PROVIDERS", "Provider", "context_window_of", "default_model"]
