"""E-mail messages (.eml, RFC 5322): the header lines a reader looks at, then the body.

Python's `email` package parses the message (any transfer encoding, any charset it names);
the body is the text/plain part, else the text/html part read as HTML. Attachments are
named, not read: a mailbox export keeps them as separate files when they matter.
"""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage, MIMEPart
from pathlib import Path

from core.ingest.document import Block, Document
from core.ingest.loaders._common import text_blocks
from core.ingest.loaders.text import decode_bytes

SHOWN_HEADERS = ("From", "To", "Cc", "Date", "Subject")


def load_email(path: Path) -> Document:
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    if not isinstance(message, EmailMessage):  # the default policy always gives one
        raise TypeError("not an e-mail message")
    subject = str(message.get("Subject") or "").strip()
    header = "\n".join(
        f"{name}: {message[name]}" for name in SHOWN_HEADERS if message.get(name)
    )
    heading = (subject,) if subject else ()
    blocks = [Block(header, heading_path=heading)] if header else []
    blocks += _body_blocks(message, heading)
    attachments = [part.get_filename() for part in message.iter_attachments()]
    named = [a for a in attachments if a]
    if named:
        blocks.append(Block("Attachments: " + ", ".join(named), heading_path=heading))
    return Document(path=path, title=subject or path.stem, blocks=blocks)


def _body_blocks(message: EmailMessage, heading: tuple[str, ...]) -> list[Block]:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return []
    text = _part_text(part)
    if part.get_content_subtype() == "html":
        from core.ingest.loaders.markup import html_blocks

        return [
            Block(b.text, heading_path=heading + b.heading_path, is_heading=b.is_heading)
            for b in html_blocks(text).blocks
        ]
    return text_blocks(text.replace("\r\n", "\n"), heading)


def _part_text(part: MIMEPart) -> str:
    """The part's text in the charset it names; bytes of an unknown or wrong charset are
    decoded as the text loader decodes a file."""
    try:
        return str(part.get_content())
    except (LookupError, UnicodeDecodeError):
        payload = part.get_payload(decode=True)
        return decode_bytes(payload if isinstance(payload, bytes) else b"").text
