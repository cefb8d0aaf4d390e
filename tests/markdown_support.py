"""Read a Markdown string the way a staff browser would: which links, images and raw HTML it
makes, and the text a person sees. For the checks that text a customer wrote is shown as
written (ui/text.py).

markdown-it-py parses CommonMark with GitHub's tables and strikethrough, as Streamlit's
renderer does. GitHub's bare-address autolinks ("https://...", "www....", "name@host") and
Streamlit's ":material/...:" icons are found outside the parser, so they are checked here
with the patterns Streamlit's renderer uses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from markdown_it import MarkdownIt

PARSER = MarkdownIt("commonmark").enable(["table", "strikethrough"])
# mdast-util-gfm-autolink-literal, the transform Streamlit's renderer runs over text nodes.
BARE_ADDRESS = re.compile(r"(https?://|www(?=\.))[-.\w]+|[-.\w+]+@[-\w]+(?:\.[-\w]+)+", re.I)
WORD_JOINER = "\u2060"


@dataclass
class Rendered:
    text: str  # what a reader sees, whitespace as one space
    links: list[str]
    images: list[str]
    html: list[str]

    @property
    def inert(self) -> bool:
        return not (self.links or self.images or self.html)


def rendered(markdown: str) -> Rendered:
    links: list[str] = []
    images: list[str] = []
    html: list[str] = []
    pieces: list[str] = []

    def walk(tokens) -> None:
        for token in tokens:
            if token.type == "link_open":
                links.append(str(token.attrGet("href")))
            elif token.type == "image":
                images.append(str(token.attrGet("src")))
            elif token.type in ("html_inline", "html_block"):
                html.append(token.content)
            elif token.type in ("text", "code_inline", "code_block", "fence"):
                pieces.append(token.content)
                links.extend(match.group(0) for match in BARE_ADDRESS.finditer(token.content))
            elif token.type in ("softbreak", "hardbreak", "paragraph_close", "th_close", "td_close"):
                pieces.append(" ")
            if token.children:
                walk(token.children)

    walk(PARSER.parse(markdown))
    if ":material/" in markdown:  # Streamlit turns these into icons before it parses
        images.append(":material/")
    return Rendered(words("".join(pieces)), links, images, html)


def words(text: str) -> str:
    """Text as a reader sees it: whitespace as single spaces (Markdown folds it), without the
    invisible word joiners, NUL shown as the replacement character (CommonMark's rule)."""
    return " ".join(text.replace(WORD_JOINER, "").replace("\x00", "\ufffd").split())


def shows_literally(markdown: str, original: str) -> bool:
    """Whether ``markdown`` shows ``original`` as written: no link, image or HTML, the same text."""
    result = rendered(markdown)
    return result.inert and words(original) in result.text
