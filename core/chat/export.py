"""A conversation as Markdown: questions, answers and the passages they cite."""

from __future__ import annotations

import time

from core.chat.store import ConversationStore


def export_markdown(store: ConversationStore, conversation_id: str) -> str:
    conversation = store.get(conversation_id)
    sources = store.sources(conversation_id)
    created = time.strftime("%Y-%m-%d %H:%M", time.localtime(conversation.created))
    lines = [f"# {conversation.title}", "", f"_Enclave conversation, started {created}_", ""]
    for turn in store.turns(conversation_id):
        lines += [f"## {turn.question}", "", turn.answer, ""]
        cited = [sources[n] for n in turn.cited if n in sources]
        if cited:
            label = "Sources (inferred, the answer had no markers)" if turn.inferred else "Sources"
            lines += [f"**{label}:**", ""]
            for source in cited:
                where = f"{source.path}" + (f", page {source.pages_label}" if source.page else "")
                excerpt = " ".join(source.text.split())[:300]
                lines.append(f"- [{source.n}] {where}\n  > {excerpt}")
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"
