"""Issue 24, items 2 and 6: an anonymous upload cannot replace an indexed article, uploaded articles say where they
came from, look-alike outlets are flagged and never merged, uploads have quotas and are deduplicated by content,
messages name the visitor's files (never server paths) with a reason each, and the Markdown export is inert.

One upload into a copy of the session's indexed corpus is shared by the module (one ingest); the other checks add
nothing or one small file."""

from __future__ import annotations

import json
import os
import re
import shutil
import time

import pytest

from ingest.load import load_file
from qa.answer.assistant import Assistant
from qa.core.settings import Settings
from qa.core.types import Skip
from qa.search.outlets import OutletMatcher
from qa.serve.ui.export import answer_record, conversation_markdown
from qa.serve.ui.render import answer_message, outlet_choices
from qa.serve.ui.uploads import add_files, result_html, uploaded_today
from qa.store.schema import passage_from_record
from qa.store.segment import ArticleRow
from qa.text.outlets import lookalike, mixed_script, outlet_key, outlet_name

GLACIER_URL = "https://scienceweekly.example/glacier-survey"
GLACIER_QUESTION = "How much ice has the Rhona glacier lost since 2013?"
FORGED = {  # the indexed record sci-001's id, URL, outlet and title, with a forged body
    "id": "sci-001",
    "title": "Alpine glacier lost a fifth of its ice in ten years, survey finds",
    "source": "Science Weekly",
    "published_at": "2023-10-12T09:30:00Z",
    "url": GLACIER_URL,
    "body": "The Rhona glacier in the Alps has grown by 50 percent since 2013, a forged survey claims. "
    "Nobody measured it.",
}
ZERO_WIDTH = "Gadget\u200b Report\u200b"  # the indexed "Gadget Report" with zero-width spaces
FULL_WIDTH = "Ｇａｄｇｅｔ Ｒｅｐｏｒｔ"
CYRILLIC = "G\u0430dget Report"  # a Cyrillic а
OUTLET_RECORDS = [
    {"title": "Quill tablets ship in May", "source": ZERO_WIDTH, "body": "Quill tablets ship in May, Quill said."},
    {"title": "Quill pens get styluses", "source": FULL_WIDTH, "body": "Quill pens get a stylus tip this spring."},
    {"title": "Quill recalls tablets", "source": CYRILLIC, "body": "Quill recalls every tablet over a hinge fault."},
]
NOTE = "Lighthouse keepers return to Farne Point\n\nThe Farne Point lighthouse will be staffed again from June.\n"


def _jsonl(records: list[dict]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


@pytest.fixture(scope="module")
def uploaded(indexed_corpus, tmp_path_factory):
    """A writable copy of the indexed corpus after one drop: the forged record, three outlet variants, a note, and
    a file with one id twice. Returns (settings, the drop's result, the drop folder)."""
    root = tmp_path_factory.mktemp("uploads")
    data = root / "qa-data"
    shutil.copytree(indexed_corpus.data_dir, data)
    settings = indexed_corpus.model_copy(update={"data_dir": data})  # the same backend: the index stays one build
    drop = root / "gradio-cache"
    drop.mkdir()
    (drop / "forged.jsonl").write_text(_jsonl([FORGED]))
    (drop / "outlets.jsonl").write_text(_jsonl(OUTLET_RECORDS))
    (drop / "note.txt").write_text(NOTE)
    twice = [{"id": "dup-1", "title": f"Tide tables {n}", "body": f"Tide table {n} is out."} for n in (1, 2)]
    (drop / "twice.jsonl").write_text(_jsonl(twice))
    result = add_files([str(p) for p in sorted(drop.iterdir())], settings)
    return settings, result, drop


@pytest.fixture(scope="module")
def assistant(uploaded):
    helper = Assistant(uploaded[0])
    yield helper
    helper.close()


def _no_server_path(html: str, settings: Settings) -> None:
    assert "uploads/" not in html and str(settings.data_dir.parent) not in html


def test_an_upload_with_an_indexed_id_and_url_is_added_beside_it(uploaded, assistant):
    settings, result, _ = uploaded
    assert result.error == "" and result.summary.updated == 0 and result.summary.added == 7
    answer = assistant.ask(GLACIER_QUESTION)
    originals = [p for p in answer.passages if p.article_id == "sci-001"]
    assert originals and "20 percent" in originals[0].text and "forged" not in originals[0].text
    assert any(c.passage.article_id == "sci-001" and "20 percent" in c.sentence for c in answer.citations)
    forged = [p for p in answer.passages if "forged" in p.text]
    assert forged and all(p.article_id.startswith("upload:") and p.url == GLACIER_URL for p in forged)


def test_replacement_is_the_operators_explicit_choice(indexed_corpus, tmp_path):
    data = tmp_path / "qa-data"
    shutil.copytree(indexed_corpus.data_dir, data)
    settings = indexed_corpus.model_copy(update={"data_dir": data, "upload_replaces": True})
    (tmp_path / "forged.jsonl").write_text(_jsonl([FORGED]))
    result = add_files([str(tmp_path / "forged.jsonl")], settings)
    assert result.summary.updated == 1 and result.summary.added == 0  # QA_UPLOAD_REPLACES=true: as `qa ingest`


def test_the_reserved_upload_prefix_is_refused_by_qa_ingest(tmp_path):
    feed = tmp_path / "feed.jsonl"
    feed.write_text(_jsonl([{"id": "upload:0123456789abcdef#1", "title": "t", "body": "A body."}]))
    (item,) = load_file(feed, 10**6)
    assert isinstance(item, Skip) and "reserved for uploads" in item.reason


def test_uploaded_articles_carry_their_provenance(uploaded, assistant):
    answer = assistant.ask(GLACIER_QUESTION)
    data = answer.to_json()
    stamps = {p["article_id"]: p["uploaded"] for p in data["passages"]}
    assert stamps["sci-001"] == ""
    forged = [stamp for article, stamp in stamps.items() if article.startswith("upload:")]
    assert forged and all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", stamp) for stamp in forged)
    assert all("uploaded" in c for c in data["citations"])
    assert "added from the chat" in answer_message(answer, 1)  # on the forged article's card
    claimed = assistant.ask("Which survey claims the Rhona glacier has grown by 50 percent?").to_json()
    cited = [c for c in claimed["citations"] if c["uploaded"]]
    assert cited and "added from the chat, " in conversation_markdown([answer_record(claimed)])


def test_outlet_variants_match_one_filter_and_a_lookalike_stays_apart(uploaded, assistant):
    settings, result, _ = uploaded
    only = assistant.ask("Quill tablets styluses recall", outlets=["Gadget Report"], k=20)
    bodies = " ".join(p.text for p in only.passages)
    assert "ship in May" in bodies and "stylus tip" in bodies  # zero-width and full-width: the same outlet
    assert "hinge fault" not in bodies and {p.source for p in only.passages} == {"Gadget Report"}
    spelled = assistant.ask("Quill tablets", outlets=[ZERO_WIDTH], k=20)
    assert {p.source for p in spelled.passages} == {"Gadget Report"}
    apart = assistant.ask("Quill tablets hinge fault", outlets=[CYRILLIC], k=20)
    assert {p.source for p in apart.passages} == {CYRILLIC}
    assert [w for w in result.summary.warnings if CYRILLIC in w and "'Gadget Report'" in w]
    html = result_html(result)
    assert "qa-upload-warn" in html and "look-alike letters" in html
    assert "look-alike name" in answer_message(apart, 1)
    assert "look-alike name" not in answer_message(only, 1)


def test_outlet_names_are_normalised_for_matching():
    assert outlet_name(" Tech\u200bCrunch\u00a0 ") == "TechCrunch"
    assert outlet_name("ＴｅｃｈＣｒｕｎｃｈ") == "TechCrunch"
    assert outlet_key("TECHCRUNCH\u200d") == outlet_key("TechCrunch") != outlet_key("\u0422echCrunch")
    matcher = OutletMatcher(["TechCrunch", "\u0422echCrunch"])
    assert matcher.find("What did Tech\u200bCrunch say?") == ("TechCrunch",)
    assert matcher.find("What did ＴｅｃｈＣｒｕｎｃｈ say?") == ("TechCrunch",)
    assert mixed_script("\u0422echCrunch") and "looks like 'TechCrunch'" in lookalike("\u0422echCrunch", ["TechCrunch"])
    assert not mixed_script("РИА Новости") and not mixed_script("BBC Русская служба") and not mixed_script("TechCrunch")
    assert lookalike("TechCrunch", ["Techcrunch", "TechCrunch"]) == ""
    assert "looks like 'Tech'" in lookalike("\u0422\u0435\u0441\u04bb", ["Tech"])  # wholly Cyrillic, posing as Tech
    assert lookalike("Tech", ["\u0422\u0435\u0441\u04bb"]) == ""  # the Latin original is not the look-alike
    assert lookalike("РИА Новости", ["PИA Hoвocти"]) == "" and mixed_script("PИA Hoвocти")  # a Latin P posing
    assert outlet_choices(["TechCrunch", "\u0422echCrunch"]) == [
        ("TechCrunch", "TechCrunch"),
        ("\u0422echCrunch ⚠ look-alike name", "\u0422echCrunch"),
    ]


def test_a_drop_over_the_file_quota_is_refused_whole(tmp_path):
    settings = Settings(data_dir=tmp_path / "qa-data", upload_max_files=2)
    names = []
    for n in range(3):
        (tmp_path / f"n{n}.txt").write_text(f"Story {n}\n\nBody {n}.\n")
        names.append(str(tmp_path / f"n{n}.txt"))
    result = add_files(names, settings)
    assert result.summary is None and "3 files dropped; at most 2" in result.error
    assert not (settings.data_dir / "uploads").exists()


def test_a_file_over_the_day_allowance_is_refused(tmp_path):
    settings = Settings(data_dir=tmp_path / "qa-data", upload_max_bytes_per_day=1000)
    earlier = settings.data_dir / "uploads" / "feedfacefeedface" / "earlier.txt"
    earlier.parent.mkdir(parents=True)
    earlier.write_bytes(b"x" * 900)
    assert uploaded_today(settings) == 900
    dropped = tmp_path / "story.txt"
    dropped.write_text("Story\n\n" + "Body text. " * 20)
    result = add_files([str(dropped)], settings)
    assert result.summary is None and result.skipped[0].path == "story.txt"
    assert "upload allowance (0.0 MB a day, 0.0 MB left)" in result.skipped[0].reason
    day_ago = time.time() - 25 * 3600
    os.utime(earlier, (day_ago, day_ago))
    assert uploaded_today(settings) == 0  # a rolling day: yesterday's files no longer count


def test_the_same_bytes_under_another_name_are_already_added(uploaded):
    settings, _, drop = uploaded
    copy = drop / "note-renamed.txt"
    shutil.copy(drop / "note.txt", copy)
    again = add_files([str(copy), str(drop / "forged.jsonl")], settings)
    assert again.summary is None and again.error == ""
    assert again.skipped == (
        Skip("note-renamed.txt", "already added as note.txt"),
        Skip("forged.jsonl", "already added as forged.jsonl"),
    )
    _no_server_path(result_html(again), settings)


def test_every_failed_file_has_its_reason_and_no_server_path(uploaded):
    settings, first, drop = uploaded
    _no_server_path(result_html(first), settings)  # one id twice in a file: two uploaded records, nothing leaked
    bad = drop / "bad"
    bad.mkdir()
    (bad / "empty.txt").write_text("")
    (bad / "broken.jsonl").write_text("{not json\n")
    (bad / "nobody.json").write_text('{"title": "No body"}')
    (bad / "scan.pdf").write_bytes(b"%PDF-1.4")
    result = add_files([str(p) for p in sorted(bad.iterdir())], settings)
    assert result.summary is None and "reason for each" in result.error
    reasons = {s.path: s.reason for s in result.skipped}
    assert reasons.keys() == {"broken.jsonl:1", "empty.txt", "nobody.json:1", "scan.pdf"}
    assert "malformed JSON" in reasons["broken.jsonl:1"] and reasons["empty.txt"] == "empty file"
    assert "no body text" in reasons["nobody.json:1"] and "unsupported file type" in reasons["scan.pdf"]
    _no_server_path(result_html(result), settings)
    fixed = bad / "empty.txt"  # a file that gave nothing is not kept: fixed, it can be added
    assert not any(p.name == "empty.txt" for p in (settings.data_dir / "uploads").rglob("*"))
    assert fixed.exists()


HOSTILE = "<script>alert('s')</script> <b onmouseover=alert('b')>bold</b> [click](javascript:alert('l'))"


def test_the_export_of_a_hostile_article_is_inert():
    citation = {
        "n": 1,
        "title": HOSTILE,
        "source": "<b onmouseover=alert('o')>Outlet</b>",
        "published_at": "2024-01-02",
        "url": "javascript:alert('u')",
        "uploaded": "2024-05-01T12:00:00Z",
        "sentence": f"It said {HOSTILE}.",
    }
    safe = dict(citation, n=2, title="Plain", source="Plain Daily", url="https://plain.example/a>b<i>", uploaded="")
    answer = {
        "question": "What <script>?",
        "answer": f"Outlet: “It said {HOSTILE}.” [1] [2]",
        "abstained": False,
        "citations": [citation, safe],
        "passages": [],
        "notice": "",
    }
    missing = {"question": "q", "abstained": True, "passages": [citation], "notice": "<img src=x onerror=alert(1)>"}
    md = conversation_markdown([answer_record(answer), answer_record(missing, "<i>why</i>")])
    assert "<script" not in md.lower() and not re.search(r"<[a-z][^>]*\son\w+=", md, re.IGNORECASE)
    assert "<javascript:" not in md and not re.search(r"(?<!\\)\]\(javascript:", md) and "<i>" not in md
    assert "\\[click\\](javascript:" in md  # shown as the characters it is made of
    assert "javascript:alert(&#x27;u&#x27;)" not in md and "javascript:alert('u') (not an http(s) link)" in md
    assert "<https://plain.example/a%3Eb%3Ci%3E>" in md and "[1] [2]" in md
    assert "added from the chat, May 1, 2024 12:00 UTC" in md


def test_indexes_written_before_provenance_still_read():
    assert ArticleRow(*["x"] * 7).uploaded == ""
    assert passage_from_record("c", "text", {"article_id": "a", "source": "S"}, 0.0).uploaded == ""
