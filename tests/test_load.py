"""Loaders: every format gives complete `Article`s; bad input becomes a one-line `Skip`, never an exception."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.article import Article
from ingest.clean import decode_entities
from ingest.load import BODY_KEYS, DATE_KEYS, ID_KEYS, TITLE_KEYS, URL_KEYS, decode, load_file, load_paths
from qa.core.types import Skip
from qa.text.dates import day_number, to_iso

LOADERS = Path(__file__).parent / "fixtures" / "loaders"
GOOD = LOADERS / "good"
NASTY = LOADERS / "nasty"
CORPUS = Path(__file__).resolve().parents[1] / "corpus"
LIMIT = 10_000_000


def load_one(path: Path) -> Article:
    """The single article of ``path`` (fails on any skip)."""
    items = list(load_file(path, LIMIT))
    assert len(items) == 1 and isinstance(items[0], Article), items
    return items[0]


def articles_and_skips(path: Path, limit: int = LIMIT) -> tuple[list[Article], list[Skip]]:
    items = list(load_paths([path], limit))
    return [i for i in items if isinstance(i, Article)], [i for i in items if isinstance(i, Skip)]


# ---- one format at a time ---------------------------------------------------------------------


def test_seed_layout_recovers_every_field_and_leaves_no_markup():
    article = load_one(GOOD / "seed-layout.txt")
    assert article.title == "Lighthouse keepers return to Gull Point after forty years"
    assert article.source == "Coastal News Service"
    assert article.url == "https://coastalnews.example/2024/05/14/gull-point-keepers"
    assert article.body.startswith("Gull Point, May 14 (CNS)-- The lighthouse")
    assert article.body.endswith("from local donors and a heritage lottery grant.")
    assert "“We want visitors to see a working lighthouse, not a museum,”" in article.body
    for markup in ("#", "**", "---", "<http", "Coastal News Service", "Gull Point after forty years*"):
        assert markup not in article.body


def test_the_shipped_seed_article_loads_the_same_way():
    seed = sorted(CORPUS.glob("*.txt"))
    if not seed:
        pytest.skip(f"no seed article in {CORPUS}")
    article = load_one(seed[0])
    assert article.title and article.source and article.url.startswith("http")
    assert not any(mark in article.body for mark in ("# *", "**", "\n---", "<http"))


def test_plain_text_takes_the_first_non_empty_line_as_title():
    article = load_one(GOOD / "plain.txt")
    assert article.title == "Village school wins national chess title"
    assert article.body.startswith("Pupils from Ashby Primary School won")
    assert article.body.endswith("three years ago.")
    assert "chess title" not in article.body
    assert (article.source, article.url, article.published) == ("", "", "")


def test_markdown_front_matter_gives_the_metadata():
    article = load_one(GOOD / "front-matter.md")
    assert article.title == "Tram line to the airport opens two months early"
    assert article.source == "Metro Courier"
    assert article.author == "Sofia Lind"
    assert article.published == "2024-02-19"
    assert article.url == "https://metrocourier.example/tram-airport"
    assert article.body.startswith("The new tram line between the central station")
    assert "title:" not in article.body and "---" not in article.body and "#" not in article.body


def test_markdown_without_front_matter_uses_the_heading():
    article = load_one(GOOD / "no-front-matter.md")
    assert article.title == "Farmers report record apple harvest"
    assert article.body.startswith("Orchards in the Elm Valley")
    assert "#" not in article.body


def test_markdown_front_matter_title_keeps_a_first_paragraph_that_is_not_a_heading(tmp_path):
    path = tmp_path / "no-heading.md"
    path.write_text("---\ntitle: Dam opens\nsource: River Post\n---\n\nThe dam opened today.\n\nIt cost $2 million.\n")
    article = load_one(path)
    assert (article.title, article.source) == ("Dam opens", "River Post")
    assert article.body == "The dam opened today.\n\nIt cost $2 million."


def test_html_keeps_the_article_and_drops_navigation_scripts_banners_and_ads():
    article = load_one(GOOD / "page.html")
    assert article.title == "River cleanup removes two tonnes of plastic"
    assert article.source == "Valley Voice"
    assert article.author == "Nora Field"
    assert article.published.startswith("2024-04-22")
    assert article.url == "https://valleyvoice.example/news/river-cleanup"
    for paragraph in (
        "More than 300 volunteers pulled two tonnes of plastic waste out of the River Wend on Saturday",
        "The volunteers worked along a twelve-kilometre stretch between Millbrook and the estuary",
        "Organiser Sam Ortiz said the group plans to repeat the cleanup every spring",
        "The collected waste will be sorted at the Millbrook recycling centre",
    ):
        assert paragraph in article.body
    assert article.body.startswith("More than 300 volunteers"), "the <h1> title is not repeated in the body"
    for noise in ("TRACKER_SCRIPT", "AD_SCRIPT", "NAV_", "COOKIE_BANNER", "ADVERT_TEXT", "FOOTER_TEXT", "RELATED_"):
        assert noise not in article.body
    assert "<" not in article.body and "function" not in article.body


def test_json_object_with_alternative_field_names():
    article = load_one(GOOD / "object.json")
    assert article.id == "json-obj-1"
    assert article.title == "City library extends weekend opening hours"
    assert article.body.startswith("The central library will open") and "Reading for All" in article.body
    assert (article.source, article.author, article.published) == ("Town Herald", "Ben Carter", "2024-01-08")
    assert article.url == "https://townherald.example/library-hours"


def test_json_list_of_records():
    articles, skips = articles_and_skips(GOOD / "list.json")
    assert not skips
    assert [a.id for a in articles] == ["json-list-1", "json-list-2"]
    fares, birds = articles
    assert fares.source == "Island Times", "a {'name': ...} source is unwrapped"
    assert fares.published == "2024-03-01T07:00:00+00:00"
    assert birds.author == "Ann Lee, Tom Roe", "a list of authors is joined"
    assert [a.record for a in articles] == ["1", "2"]


def test_jsonl_records_keep_their_line_numbers_and_nanosecond_dates():
    articles, skips = articles_and_skips(GOOD / "records.jsonl")
    assert not skips
    assert [(a.id, a.record) for a in articles] == [("jl-1", "1"), ("jl-2", "2"), ("jl-3", "4")]
    assert articles[0].published == "2023-11-27T08:45:59+00:00"
    assert articles[0].author == "Mia Chen" and articles[1].author == "", "null author is empty, not 'None'"
    assert all(a.source == "County Post" and a.url.startswith("https://countypost.example/") for a in articles)


def test_a_folder_loads_every_format_in_a_stable_order():
    first = [a.id for a in articles_and_skips(GOOD)[0]]
    second = [a.id for a in articles_and_skips(GOOD)[0]]
    assert first == second and len(first) == len(set(first)) == 11
    assert articles_and_skips(GOOD)[1] == []


def test_article_ids_are_stable_and_hash_follows_content(tmp_path):
    copy = tmp_path / "plain.txt"
    shutil.copy(GOOD / "plain.txt", copy)
    before = load_one(copy)
    assert load_one(copy) == before
    copy.write_text(copy.read_text() + "\nOne more sentence was added.\n")
    after = load_one(copy)
    assert after.id == before.id and after.content_hash != before.content_hash


def test_documents_are_known_by_url_when_they_have_one_else_by_path():
    assert load_one(GOOD / "seed-layout.txt").id == "url:https://coastalnews.example/2024/05/14/gull-point-keepers"
    assert load_one(GOOD / "page.html").id == "url:https://valleyvoice.example/news/river-cleanup"
    assert load_one(GOOD / "plain.txt").id == f"file:{(GOOD / 'plain.txt').resolve()}"


def test_records_without_an_id_are_known_by_url_then_position(tmp_path):
    path = tmp_path / "no-ids.jsonl"
    rows = [{"title": "A", "body": "First body.", "url": "https://x.example/a"}, {"title": "B", "body": "Second."}]
    path.write_text("\n".join(json.dumps(row) for row in rows))
    first, second = articles_and_skips(path)[0]
    assert first.id == "url:https://x.example/a"
    assert second.id.endswith("no-ids.jsonl#2")


# ---- nasty inputs -----------------------------------------------------------------------------


def skip_reasons(path: Path, limit: int = LIMIT) -> dict[str, str]:
    return {Path(s.path).name: s.reason for s in articles_and_skips(path, limit)[1]}


def test_windows_1252_bytes_are_decoded_right():
    raw = (NASTY / "cp1252.txt").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    article = load_one(NASTY / "cp1252.txt")
    assert article.title == "Café owners fear “tourist tax” rise"
    assert "Café Rosé in Saint-Étienne" in article.body
    assert "tax of €2 a night – due in June –" in article.body
    assert "“We are already struggling,” said René Dubois." in article.body


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("Le café coûte “2 €” à Paris – c’est cher.", "cp1252"),
        ("Café “x” é", "cp1252"),
        ("Straße über Öl und Äpfel", "latin-1"),
        ("Привет, как дела? Это тест новостей.", "cp1251"),
        ("Zażółć gęślą jaźń – to jest test.", "cp1250"),
        ("Hello “world” from a Notepad file\n", "utf-16"),
        ("Hello “world” with a BOM\n", "utf-8-sig"),
    ],
)
def test_decode_finds_the_encoding(text, encoding):
    assert decode(text.encode(encoding)) == text


def test_binary_files_are_skipped_whatever_their_name():
    assert (NASTY / "image.txt").read_bytes().startswith(b"\x89PNG")
    assert skip_reasons(NASTY)["image.txt"] == "binary or undecodable content"
    assert decode(bytes(range(1, 256)) * 20) is None


def test_empty_and_blank_files_are_skipped():
    reasons = skip_reasons(NASTY)
    assert reasons["empty.txt"] == "empty file"
    assert reasons["blank-lines.md"] == "empty file"


def test_jsonl_with_a_broken_line_skips_that_line_and_loads_the_rest():
    articles, skips = articles_and_skips(NASTY / "broken-line.jsonl")
    assert [a.id for a in articles] == ["bl-1", "bl-3"]
    where = {s.path: s.reason for s in skips}
    name = str(NASTY / "broken-line.jsonl")
    assert where[f"{name}:2"].startswith("malformed JSON")
    assert "no body" in where[f"{name}:4"]
    assert "not a JSON object" in where[f"{name}:5"]
    assert len(skips) == 3


def test_records_without_a_body_are_skipped_one_by_one():
    articles, skips = articles_and_skips(NASTY / "no-body.json")
    assert [a.id for a in articles] == ["nb-3"]
    assert [s.path.rsplit(":", 1)[1] for s in skips] == ["1", "2"]
    assert all("no body text" in s.reason for s in skips)


def test_json_that_is_not_articles_is_skipped_with_a_reason(tmp_path):
    reasons = skip_reasons(NASTY)
    assert reasons["bare-string.json"] == "JSON is neither an object nor a list of objects"
    assert reasons["malformed.json"].startswith("malformed JSON at line")
    (tmp_path / "empty-list.json").write_text("[]")
    assert skip_reasons(tmp_path)["empty-list.json"] == "JSON holds no records"


def test_unsupported_and_missing_paths_are_reported(tmp_path):
    assert skip_reasons(NASTY)["notes.docx"] == "unsupported file type '.docx'"
    missing = tmp_path / "nowhere"
    assert [s.reason for s in articles_and_skips(missing)[1]] == ["no such file or folder"]


def test_file_over_the_size_limit_is_skipped_and_names_the_setting():
    size = (GOOD / "records.jsonl").stat().st_size
    articles, skips = articles_and_skips(GOOD / "records.jsonl", limit=size - 1)
    assert articles == []
    assert len(skips) == 1 and "QA_MAX_FILE_BYTES" in skips[0].reason and f"{size:,}" in skips[0].reason
    assert len(articles_and_skips(GOOD / "records.jsonl", limit=size)[0]) == 3


def test_hidden_files_are_left_out_of_folders(tmp_path):
    shutil.copy(GOOD / "plain.txt", tmp_path / "visible.txt")
    (tmp_path / ".hidden").mkdir()
    shutil.copy(GOOD / "plain.txt", tmp_path / ".hidden" / "secret.txt")
    shutil.copy(GOOD / "plain.txt", tmp_path / ".draft.txt")
    articles, skips = articles_and_skips(tmp_path)
    assert [Path(a.origin).name for a in articles] == ["visible.txt"] and skips == []


def test_every_skip_is_one_line_naming_its_file():
    _, skips = articles_and_skips(NASTY)
    assert len(skips) >= 10
    for skip in skips:
        assert "\n" not in str(skip) and str(skip).startswith(str(NASTY))


# ---- the real dataset ---------------------------------------------------------------------------


def test_multihop_corpus_loads_609_complete_articles(multihop):
    path = multihop / "corpus.jsonl"
    articles, skips = articles_and_skips(path, limit=10**9)
    assert skips == []
    assert len(articles) == 609 and len({a.id for a in articles}) == 609
    raw = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    for article, record in zip(articles, raw, strict=True):
        assert article.id == record["doc_id"]
        title = decode_entities(" ".join(record["title"].split()))  # "&#039;Massive intel failure ..." decoded
        assert article.title == title, "title whitespace is folded"
        assert article.source == record["source"]
        assert article.url == record["url"]
        assert article.author == (record["author"] or "").strip()
        assert article.published[:10] == record["published_at"][:10] and "T" in article.published
        assert article.body == decode_entities(record["body"].replace("\r\n", "\n").strip())
    assert sum(bool(a.author) for a in articles) == sum(bool(r["author"]) for r in raw)


# ---- dates and odd JSON text --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "iso"),
    [
        ("2023-11-27 08:45:59.000000000Z", "2023-11-27T08:45:59+00:00"),
        ("2023-11-27T08:45:59.123456789+02:00", "2023-11-27T08:45:59+02:00"),
        ("Mon, 27 Nov 2023 08:45:59 GMT", "2023-11-27T08:45:59+00:00"),
        ("2023-11-27", "2023-11-27"),
        ("November 27, 2023", "2023-11-27"),
        ("Nov 2023", "2023-11"),
        ("2023", "2023"),
        ("1700000000", "2023-11-14T22:13:20+00:00"),
        ("1700000000000", "2023-11-14T22:13:20+00:00"),
        ("12", ""),
        ("12:30", ""),
        ("2023-02-30", ""),
        ("next Tuesday", ""),
        ("", ""),
    ],
)
def test_dates_become_iso_without_invented_parts(written, iso):
    assert to_iso(written) == iso


def test_day_numbers_for_date_filters():
    assert day_number("2023-11-27T08:45:59+00:00") == 20231127
    assert day_number("2023-11") == 0 and day_number("") == 0


def test_jsonl_records_may_hold_unicode_line_separators(tmp_path):
    """U+2028, U+0085 and friends are legal inside JSON strings: only newlines separate records."""
    path = tmp_path / "separators.jsonl"
    rows = [{"id": f"s{n}", "title": "T", "body": f"First part\u2028second part\x85third part {n}."} for n in (1, 2)]
    path.write_text("\r\n".join(json.dumps(row, ensure_ascii=False) for row in rows), encoding="utf-8")
    articles, skips = articles_and_skips(path)
    assert skips == [] and [a.id for a in articles] == ["s1", "s2"]
    assert articles[0].body == "First part\u2028second part\x85third part 1."


# ---- whatever the bytes, never an exception ------------------------------------------------------

KEYS = [*TITLE_KEYS[:2], *BODY_KEYS[:3], *URL_KEYS[:1], *DATE_KEYS[:2], *ID_KEYS[:2], "source", "author"]
SUFFIXES = [".txt", ".md", ".html", ".json", ".jsonl"]
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(KEYS), inner, max_size=6),
    max_leaves=20,
)


@given(data=st.binary(max_size=2000), suffix=st.sampled_from(SUFFIXES))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_random_bytes_give_articles_or_skips_never_an_exception(tmp_path, data, suffix):
    path = tmp_path / f"random{suffix}"
    path.write_bytes(data)
    for item in load_file(path, LIMIT):
        assert isinstance(item, Article | Skip)
        if isinstance(item, Article):
            assert item.body and item.body == item.body.strip() and "\n" not in item.title
        else:
            assert item.path.startswith(str(path)) and item.reason and "\n" not in item.reason


@given(records=st.lists(JSON_VALUES, max_size=5), as_lines=st.booleans())
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_random_json_records_give_articles_or_skips(tmp_path, records, as_lines):
    path = tmp_path / ("random.jsonl" if as_lines else "random.json")
    text = "\n".join(json.dumps(r) for r in records) if as_lines else json.dumps(records)
    path.write_text(text, encoding="utf-8")
    items = list(load_file(path, LIMIT))
    assert all(isinstance(item, Article | Skip) for item in items)
    for item in items:
        if isinstance(item, Article):
            assert item.body.strip() and item.published == to_iso(item.published)


OPENERS = st.lists(st.sampled_from(["[", '{"body": ', '{"title": "t", "text": [']), min_size=1, max_size=3000)


def nested(openers: list[str]) -> str:
    """JSON nested as deep as ``openers`` says, innermost value 1."""
    closers = {"[": "]", '{"body": ': "}", '{"title": "t", "text": [': "]}"}
    return "".join(openers) + "1" + "".join(closers[o] for o in reversed(openers))


@given(openers=OPENERS, as_lines=st.booleans())
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_json_nested_to_any_depth_is_read_or_skipped_by_name(tmp_path, openers, as_lines):
    good = json.dumps({"id": "good", "title": "Ferry", "body": "The ferry runs again."})
    path = tmp_path / ("deep.jsonl" if as_lines else "deep.json")
    path.write_text(f"{good}\n{nested(openers)}\n{good}\n" if as_lines else f"[{good}, {nested(openers)}]")
    items = list(load_file(path, LIMIT))
    assert all(isinstance(item, Article | Skip) for item in items)
    known = ("JSON nested too deeply to read", "record is not a JSON object", "record has no body")
    assert all(item.reason.startswith(known) for item in items if isinstance(item, Skip))
    if as_lines:  # one line cannot cost the others
        assert [item.id for item in items if isinstance(item, Article) and item.id == "good"] == ["good", "good"]
