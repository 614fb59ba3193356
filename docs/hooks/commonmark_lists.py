"""MkDocs hook: read the pages' lists as GitHub (CommonMark) does, not as Python-Markdown does.

The docs are written for GitHub: a nested list is indented to its parent's text (2 spaces under "- ", 3 under
"1. "), and a list may follow a line of text without a blank line. Python-Markdown, which MkDocs uses, nests
only at 4 spaces and needs the blank line, so ODD.md's schedule (§I.iii) came out with its sub-steps numbered
4-15 and steps 4-14 run into one paragraph. This hook rewrites each page's Markdown before it is rendered:
list items are re-indented to 4 spaces a level (their text and fenced code with them), a blank line goes
where a list interrupts text, and a number that CommonMark reads as text ("2023. As a target..." inside a
paragraph) is escaped. Blockquotes are treated the same way inside. Only whitespace and that escape change.
With Python-Markdown's `sane_lists` (mkdocs.yml), every page's lists then have the structure CommonMark gives
them (checked on every page of docs/ against markdown-it-py: items, depth, list type and start number).
"""

from __future__ import annotations

import re

MARKER = re.compile(r"^( *)([-*+]|\d{1,9}[.)])( +|$)")
FENCE = re.compile(r"^ *(```|~~~)")
QUOTE = re.compile(r"^ {0,3}> ?")


def reindent(text: str) -> str:
    """The page with its lists, and the lists inside its blockquotes, indented for Python-Markdown."""
    out, quoted, fenced = [], [], False
    for line in text.split("\n") + [""]:
        if not fenced and QUOTE.match(line):
            quoted.append(line)
            continue
        if quoted:
            inner = _lists("\n".join(QUOTE.sub("", q, count=1) for q in quoted)).split("\n")
            out += [("> " + q).rstrip() for q in inner]
            quoted = []
        fenced ^= bool(FENCE.match(line))
        out.append(line)
    return _lists("\n".join(out[:-1]))


def _lists(text: str) -> str:
    """Re-indent list items: each open item maps its text column in the source to 4 spaces a level."""
    out: list[str] = []
    stack: list[tuple[int, int]] = []  # open items: (text column in the source, in the output)
    fence: tuple[str, int] | None = None  # inside fenced code: its closing fence, columns to add (or remove)
    blank, starts_with_item = True, False  # the previous line was blank; the current block began with an item
    for line in text.split("\n"):
        if fence:
            out.append(_shift(line, fence[1]))
            fence = None if line.strip().startswith(fence[0]) else fence
            continue
        if not line.strip():
            out.append(line)
            blank = True
            continue
        n = len(line) - len(line.lstrip(" "))
        marker = MARKER.match(line)
        if marker and not stack and n > 3:
            marker = None  # indented code, not a list
        lazy, depth = not blank and not marker, len(stack)
        if not lazy:
            while stack and n < stack[-1][0]:
                stack.pop()
        if marker and not blank and len(stack) == depth and marker.group(2)[:-1] not in ("", "1"):
            # a new list interrupting text must start at 1 (CommonMark): this is text, so escape the dot
            out.append(line[: marker.end(2) - 1] + "\\" + line[marker.end(2) - 1:])
            blank = False
            continue
        if marker:
            indent = stack[-1][1] if stack else 0
            if not blank and not starts_with_item:
                out.append("")  # Python-Markdown starts a list only after a blank line
            stack.append((n + len(marker.group(2)) + max(1, min(len(marker.group(3)), 4)), indent + 4))
            out.append(" " * indent + line[n:])
        elif stack and n >= stack[-1][0]:
            out.append(" " * (stack[-1][1] + n - stack[-1][0]) + line[n:])
        else:
            out.append(line)
        opening = FENCE.match(line)
        if opening:
            fence = (opening.group(1), stack[-1][1] - stack[-1][0] if stack and not lazy else 0)
        if blank:
            starts_with_item = bool(marker)
        blank = False
    return "\n".join(out)


def _shift(line: str, columns: int) -> str:
    """A line of fenced code moved with its list item."""
    if columns >= 0:
        return " " * columns + line if line.strip() else line
    return line[min(len(line) - len(line.lstrip(" ")), -columns):]


def on_page_markdown(markdown_text, page, config, files):
    """Every page, the generated model pages included, before MkDocs renders it."""
    return reindent(markdown_text)
