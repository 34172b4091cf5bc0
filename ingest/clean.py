"""Text that is not the article's, taken out before chunking: HTML entities left encoded by the source
(``&#039;`` in a title), unrendered template lines (``{{ /verifyErrors }}``), and page furniture that recurs
verbatim across an outlet's articles (sign-up prompts, share bars, "CLICK HERE TO GET THE APP").

Entities are decoded where an `Article` is built (`ingest.load`), for every format; paragraphs are judged over the
articles of one ingest run (`ingest.plan.load`), so the corpus is read once. Chunk offsets point into the cleaned
body: the body is cleaned before it is chunked, and an article's content hash covers the cleaned text."""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

from ingest.article import Article

# "&#039;", "&amp;", "&eacute;": entities with their semicolon only, so "AT&T", "R&D" and "?a=1&not=2" stay as
# written (html.unescape alone would read "&not" in "&notice" as "¬")
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
# Mustache/Handlebars section tags ({{#x}}, {{^x}}, {{/x}}): control flow of a page template that leaked
# unrendered; a plain {{ name }} alone could be a code sample in a tech article, so it is not a marker
_TEMPLATE_TAG = re.compile(r"\{\{\s*[#^/][^{}\n]{0,80}\}\}")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")
_WORD = re.compile(r"\w+")

# A paragraph that recurs verbatim in this many articles of one outlet (in one run) is the outlet's page furniture,
# not news: two articles can share a paragraph because one story was filed twice (a match preview and its
# update); three that share it word for word are a template. Measured on MultiHop-RAG (bench/boilerplate.py).
MIN_ARTICLES = 3
# ... when it speaks to the reader rather than reports: a call to act (sign up, subscribe, click, follow, share),
# the publisher's business (ads, affiliate links, copyright, photo credits). A recurring paragraph without such a
# cue can be news an outlet repeats as a standfirst (The Verge's "on trial for seven counts of wire fraud" in
# four trial stories): it stays unless it is in most of the outlet's articles
_FURNITURE = re.compile(
    r"\b(?:sign(?:ing)? ?up|newsletters?|subscri(?:be|bers?|ption)|click here|apps?|advertisement|affiliate|"
    r"earn a commission|copyright|promo code|deals|follow us|share|e-?mail|inbox|notifications|feedback|try again|"
    r"photograph)\b|©",
    re.IGNORECASE,
)
# ... or, whatever it says, when it is in at least this share of the outlet's articles ("Advertisement" in every
# NYT article, a fantasy column's "Start 'em ... Sit 'em" key)
MIN_SHARE = 0.5


def decode_entities(text: str) -> str:
    """``text`` with its HTML character references decoded (``&#039;`` -> ``'``, ``&amp;`` -> ``&``) by
    `html.unescape`; a bare ``&`` or an entity name without its ``;`` is left as written."""
    if "&" not in text:
        return text
    return _ENTITY.sub(lambda match: html.unescape(match.group(0)), text)


def paragraphs(body: str) -> list[str]:
    """The blank-line separated paragraphs of ``body``, stripped, empty ones left out."""
    return [p.strip() for p in _PARAGRAPH_BREAK.split(body) if p.strip()]


def is_template(paragraph: str) -> bool:
    """Whether ``paragraph`` holds an unrendered template section tag (``{{ #verifyErrors }}``)."""
    return bool(_TEMPLATE_TAG.search(paragraph))


@dataclass(frozen=True)
class Removed:
    """A paragraph taken out of an article, and why."""

    article_id: str
    outlet: str
    text: str
    reason: str  # TEMPLATE or RECURRING


TEMPLATE, RECURRING = "template", "recurring"


@dataclass(frozen=True)
class Cleaned:
    """Articles with their furniture taken out (same ids, same order), and what was taken out."""

    articles: dict[str, Article]
    removed: tuple[Removed, ...]


def _key(outlet: str, paragraph: str) -> bytes:
    """A fixed-size key per (outlet, paragraph): the counts cost 16 bytes a paragraph, not its text."""
    return hashlib.blake2b(f"{outlet}\x1f{paragraph}".encode(), digest_size=16).digest()


def _counts(articles: Iterable[Article]) -> tuple[dict[bytes, int], dict[str, int]]:
    """In how many articles of its outlet each paragraph appears, and how many articles each outlet has."""
    seen: dict[bytes, int] = {}
    per_outlet: dict[str, int] = {}
    for article in articles:
        if not article.source:
            continue  # no outlet: nothing says which articles share a template
        per_outlet[article.source] = per_outlet.get(article.source, 0) + 1
        for key in {_key(article.source, p) for p in paragraphs(article.body)}:
            seen[key] = seen.get(key, 0) + 1
    return seen, per_outlet


def _recurring(paragraph: str, shared: int, outlet_articles: int) -> bool:
    if shared < MIN_ARTICLES:
        return False
    return bool(_FURNITURE.search(paragraph)) or shared >= MIN_SHARE * outlet_articles


def strip_furniture(articles: dict[str, Article]) -> Cleaned:
    """Every article without its template paragraphs and without paragraphs that recur in `MIN_ARTICLES` or more
    articles of its outlet among ``articles`` (see `_FURNITURE`, `MIN_SHARE`). A body left with nothing is kept
    whole (the text is all there is). A body with nothing removed is returned untouched."""
    seen, per_outlet = _counts(articles.values())
    cleaned: dict[str, Article] = {}
    removed: list[Removed] = []
    for article_id, article in articles.items():
        kept, dropped = [], []
        for paragraph in paragraphs(article.body):
            shared = seen.get(_key(article.source, paragraph), 0) if article.source else 0
            if is_template(paragraph):
                dropped.append(Removed(article_id, article.source, paragraph, TEMPLATE))
            elif _recurring(paragraph, shared, per_outlet.get(article.source, 0)):
                dropped.append(Removed(article_id, article.source, paragraph, RECURRING))
            else:
                kept.append(paragraph)
        if dropped and kept:
            article = replace(article, body="\n\n".join(kept))
            removed += dropped
        cleaned[article_id] = article
    return Cleaned(cleaned, tuple(removed))
