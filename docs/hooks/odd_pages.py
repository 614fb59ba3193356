"""MkDocs hook: serve docs/ODD.md as one page per part and one page per submodel.

The project rule keeps the model description in one file, docs/ODD.md, in step with the code. At 3,700 lines
it is too long to read as one web page, so this hook splits it at build time into virtual pages under `model/`
(nothing is written to docs/) and:

- puts them in the nav where mkdocs.yml names `ODD.md`, and leaves the single file out of the site;
- points every link into the single file, `(#anchor)` inside it or `(ODD.md#anchor)` from another page, to the
  page and the id the heading has now (ids are recomputed per page with Python-Markdown's own toc extension, so
  a heading repeated in two sections, which the single file numbers `_1`, `_2`, still resolves);
- turns the text's section references (§III.iv.14, §I.ii) into links, on every page, outside code.

A link to an anchor that no heading has is left as written, so `mkdocs build --strict` still reports it.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path

import markdown
from mkdocs.structure.files import File

SOURCE = "ODD.md"  # the single source, relative to docs_dir
FOLDER = "model"  # where the generated pages live in the site
PART_SLUGS = {"I": "overview", "II": "design-concepts", "III": "details", "IV": "not-yet-modelled"}
FENCE = re.compile(r"^\s*(```|~~~)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*$")
LABEL = re.compile(r"^((?:IV|I{1,3})(?:\.[ivx]+)?)\.?\s")  # "III. Details" -> III, "III.iv Submodels" -> III.iv
NUMBER = re.compile(r"^(\d+(?:\.\d+)?)\.?\s")  # "5. Deployment" -> 5, "3.6 Contract enlistment" -> 3.6
SECTION_REF = re.compile(r"(?<!\[)§((?:IV|I{1,3})(?:\.[ivx]+(?:\.\d+(?:\.\d+)?)?)?)")
LINK = re.compile(r"\]\(([^()\s#]*)(?:#([^()\s]*))?\)")
CODE_SPAN = re.compile(r"(``.*?``|`[^`]*`)")
CONTENTS = "<!-- submodel pages -->"


@dataclass
class Page:
    """A generated page: nav title, site path, Markdown lines, how far its headings move up, its nav group."""

    title: str
    uri: str
    shift: int  # heading levels removed, so that the page's first heading is its h1
    lines: list[str] = field(default_factory=list)
    group: str | None = None  # a submodel's parent heading ("III.iv Submodels"); None for a part
    part: Page | None = None  # a submodel's part page, which lists it


@dataclass
class Split:
    """ODD.md cut into pages, and where every heading of the single file went."""

    pages: list[Page]
    anchors: dict[str, tuple[str, str | None]]  # single-file id -> (page uri, id there, None at the page's top)
    labels: dict[str, str]  # section label, e.g. III.iv.14 -> single-file id of its heading


_split: Split | None = None  # made by on_config, read by the later events of the same build


def _code_flags(lines: list[str]) -> list[bool]:
    """Which lines are fenced code (fences included): headings and references there are not Markdown."""
    flags, fenced = [], False
    for line in lines:
        fence = bool(FENCE.match(line))
        flags.append(fenced or fence)
        fenced ^= fence
    return flags


def _ids(titles: list[str]) -> list[str]:
    """The ids the toc extension gives these headings on one page, in order (a repeated one gets _1, _2...)."""
    md = markdown.Markdown(extensions=["toc"])
    md.convert("\n\n".join(f"## {title}" for title in titles))
    found: list[str] = []

    def walk(tokens: list[dict]) -> None:
        for token in tokens:
            found.append(token["id"])
            walk(token["children"])

    walk(md.toc_tokens)
    return found


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _short(title: str) -> str:
    """A submodel heading as a nav title: without " — `file.py`" and the design's M-numbers."""
    return re.sub(r"\s*\(M[\d,–\- M]*\)", "", title.split(" — ")[0]).strip()


def split(text: str) -> Split:
    """Cut the single file: the preamble, each `##` part, each numbered `####` under a `###` (a submodel).

    A submodel page runs to the next heading of level 4 or less; what follows an unnumbered `####` or the next
    `###` goes back to the part's page, which lists its submodel pages where the first one was cut out.
    """
    lines = text.splitlines()
    index = Page("About this description", f"{FOLDER}/index.md", shift=0)
    pages, part, current = [index], index, index
    headings: list[tuple[Page, str]] = []  # (page, title) of every heading, in order
    labels: dict[int, str] = {}  # a heading's position in `headings` -> its section label
    group_label = group_title = None
    for line, code in zip(lines, _code_flags(lines)):
        match = None if code else HEADING.match(line)
        if match:
            level, title = len(match.group(1)), match.group(2)
            label, number = LABEL.match(title), NUMBER.match(title)
            if level == 2:
                slug = PART_SLUGS.get(label.group(1) if label else "") or _slug(title)
                part = current = Page(title, f"{FOLDER}/{slug}.md", shift=1)
                pages.append(part)
                group_label = group_title = None
            elif level == 3:
                group_label, group_title, current = (label.group(1) if label else None), title, part
            elif level == 4 and number and group_title:
                if CONTENTS not in part.lines:
                    part.lines += [CONTENTS, ""]
                slug = _slug(_short(title[number.end():]))
                current = Page(_short(title), f"{FOLDER}/submodels/{int(float(number.group(1))):02d}-{slug}.md",
                               shift=3, group=group_title, part=part)
                pages.append(current)
            elif level == 4:
                current = part
            if label and level in (2, 3):
                labels[len(headings)] = label.group(1)
            elif level >= 4 and number and group_label:
                labels[len(headings)] = f"{group_label}.{number.group(1)}"
            headings.append((current, title))
            line = "#" * max(1, level - current.shift) + " " + title
        current.lines.append(line)

    whole = _ids([title for _, title in headings])
    local = {page.uri: _ids([title for owner, title in headings if owner is page]) for page in pages}
    anchors, seen = {}, dict.fromkeys(local, 0)
    for (page, _), whole_id in zip(headings, whole):
        position, seen[page.uri] = seen[page.uri], seen[page.uri] + 1
        anchors[whole_id] = (page.uri, local[page.uri][position] if position else None)
    for page in pages:
        while page.lines and page.lines[-1].strip() in ("", "---"):  # the parts end with a rule
            page.lines.pop()
        if CONTENTS in page.lines:
            at = page.lines.index(CONTENTS)
            page.lines[at:at + 1] = [f"- [{sub.lines[0].lstrip('# ')}]({posixpath.relpath(sub.uri, FOLDER)})"
                                     for sub in pages if sub.part is page]
    index.lines += ["", f"**Pages.** In the repository this description is one file, `docs/{SOURCE}`; here it is "
                    "cut into one page per part and one per submodel:", ""]
    index.lines += [f"{'    ' if page.group else ''}- [{page.title}]({posixpath.relpath(page.uri, FOLDER)})"
                    for page in pages[1:]]
    return Split(pages, anchors, {label: whole[i] for i, label in labels.items()})


def nav(split_: Split) -> list:
    """The nav entries: the index, the parts in order, each part's submodels as a section after it."""
    entries: list = [split_.pages[0].uri]
    for page in split_.pages[1:]:
        if page.group is None:
            entries.append({page.title: page.uri})
        elif isinstance(entries[-1], dict) and page.group in entries[-1]:
            entries[-1][page.group].append({page.title: page.uri})
        else:
            entries.append({page.group: [{page.title: page.uri}]})
    return entries


def _href(from_uri: str, to_uri: str, anchor: str | None) -> str:
    """A link relative to the page at from_uri (MkDocs resolves and checks relative .md links)."""
    path = "" if to_uri == from_uri else posixpath.relpath(to_uri, posixpath.dirname(from_uri) or ".")
    if not anchor:
        return path or posixpath.basename(to_uri)
    return f"{path}#{anchor}"


def rewrite(text: str, uri: str, split_: Split) -> str:
    """Point links into the single file at the generated pages, and link §-references; code stays as it is."""
    own = {page.uri for page in split_.pages}

    def link(match: re.Match) -> str:
        path, anchor = match.group(1), match.group(2)
        target = posixpath.normpath(posixpath.join(posixpath.dirname(uri), path)) if path else None
        if (target == SOURCE or path == "" and uri in own) and (anchor is None or anchor in split_.anchors):
            to_uri, to_id = split_.anchors[anchor] if anchor else (split_.pages[0].uri, None)
            return f"]({_href(uri, to_uri, to_id)})"
        return match.group(0)

    def section(match: re.Match) -> str:
        whole_id = split_.labels.get(match.group(1))
        if whole_id is None:
            return match.group(0)
        return f"[{match.group(0)}]({_href(uri, *split_.anchors[whole_id])})"

    lines = text.split("\n")
    for i, (line, code) in enumerate(zip(lines, _code_flags(lines))):
        if not code and ("](" in line or "§" in line):
            parts = CODE_SPAN.split(line)
            parts[::2] = [SECTION_REF.sub(section, LINK.sub(link, part)) for part in parts[::2]]
            lines[i] = "".join(parts)
    return "\n".join(lines)


def _replace(entries, replacement: list):
    """The nav with every `ODD.md` entry replaced by the generated pages."""
    if isinstance(entries, list):
        return [_replace(entry, replacement) for entry in entries]
    if isinstance(entries, dict):
        return {title: _replace(value, replacement) for title, value in entries.items()}
    return replacement if entries == SOURCE else entries


def on_config(config):
    """Split once per build, before the nav is read, so the generated pages can take ODD.md's place in it."""
    global _split
    _split = split((Path(config.docs_dir) / SOURCE).read_text(encoding="utf-8"))
    if config.nav is not None:
        config.nav = _replace(config.nav, nav(_split))
    return config


def on_files(files, config):
    """Drop the single file and add the generated pages (virtual files, nothing written to docs/)."""
    source = files.get_file_from_path(SOURCE)
    if source is not None:
        files.remove(source)
    for page in _split.pages:
        files.append(File.generated(config, page.uri, content="\n".join(page.lines) + "\n"))
    return files


def on_page_markdown(markdown_text, page, config, files):
    """Rewrite links and §-references on every page before MkDocs renders and checks its links."""
    return rewrite(markdown_text, page.file.src_uri, _split)
