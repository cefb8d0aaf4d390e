"""Text that customers, imports, the operator's systems or staff typed, shown exactly as typed.

Streamlit reads Markdown in st.markdown, st.write, st.caption, st.title, st.subheader, the
st.info/success/warning/error boxes, and in the labels of widgets, expanders, tabs and metrics
and the options of st.radio. An anonymous respondent's comment such as
``[官方补偿通道](https://evil.example/refund) ![](http://attacker/x.png)`` would otherwise become
a link on a staff page and an image that every staff browser fetches from the attacker (who
then learns the staff page from the Referer). Wrap such text in ``plain`` wherever it reaches
one of those, including values put into a translated sentence: ``tr("...", name=plain(name))``.
Widgets that show text as it is (st.text, st.code, st.dataframe, the options of st.selectbox
and st.multiselect) need no wrapping, and must not get it: they would show the backslashes.
"""

from __future__ import annotations

import re

# Punctuation that starts or ends Markdown anywhere in a line: CommonMark's emphasis, code,
# links and images, raw HTML and entities, GitHub's tables and strikethrough, Streamlit's
# :color[...] directives, :icon: names and $math$. A backslash makes it a plain character.
INLINE_MARKUP = re.compile(r"([\\`*_\[\]<>~|:$&])")
# What starts a block only at the start of a line: a list item ("- ", "+ ", "1. ", "1) "), a
# heading ("# "), a setext underline or thematic break ("===", "---"). Elsewhere in a line the
# same characters mean nothing, and stay as they are (names like "repair-2026" read unchanged).
BLOCK_START = re.compile(r"^(?:[-+=#]|\d{1,9}[.)])", re.M)
# GitHub's "autolink literals" (a bare https://..., www.... or name@host) and Streamlit's
# ":material/...:" icons are found in the text after the escapes are resolved, so escaping
# cannot stop them: an invisible word joiner inside the pattern does, and a reader sees nothing.
LINKS_AND_ICONS = re.compile(r"(?<=:)(?=//|[A-Za-z])|(?i:(?<=www))(?=\.)|(?<=@)")
WORD_JOINER = "\u2060"
# Spaces or a tab at the start of a line would make a code block, where escapes show as
# backslashes: non-breaking spaces indent the same and mean nothing to Markdown.
INDENT = re.compile(r"^[ \t]+", re.M)
NO_BREAK_SPACE = "\u00a0"
LINE_END = re.compile(r"\r\n|\r")


def plain(text: object) -> str:
    """``text`` as Markdown that Streamlit shows literally: no link, image, emphasis, heading,
    list, HTML or directive, and its line breaks kept. None shows as nothing."""
    if text is None:
        return ""
    lines = LINE_END.sub("\n", LINKS_AND_ICONS.sub(WORD_JOINER, str(text)))
    escaped = INLINE_MARKUP.sub(r"\\\1", lines)
    escaped = BLOCK_START.sub(_escape_block_start, escaped)
    indented = INDENT.sub(lambda found: NO_BREAK_SPACE * len(found.group(0).expandtabs(4)), escaped)
    return indented.replace("\n", "  \n")


def _escape_block_start(found: re.Match) -> str:
    """ "- x" -> "\\- x"; "1. x" -> "1\\. x" (the number stays; its dot or parenthesis is escaped)."""
    start = found.group(0)
    return f"{start[:-1]}\\{start[-1]}" if start[0].isdigit() else f"\\{start}"
