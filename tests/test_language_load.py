"""Issue 23: how the English pipeline loads. spaCy's import is kept from loading torch in its own thread only (the
chat loads it in the background while other threads may need torch), and the pipeline keeps the tokenizer spaCy
builds from its English defaults instead of rebuilding it from the package's files (the same tokenizer)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# one thread is inside the block that keeps torch out of spaCy's import; meanwhile another thread looks torch up
TORCH_ELSEWHERE = """
import importlib.util, json, sys, threading
from qa.text.language import _without_torch
inside, looked = threading.Event(), threading.Event()
seen = {}
def load_spacy():
    with _without_torch():
        try:
            import torch  # noqa: F401
            seen["spacy_thread"] = "imported"
        except ModuleNotFoundError:
            seen["spacy_thread"] = "refused"
        inside.set()
        looked.wait()
thread = threading.Thread(target=load_spacy)
thread.start()
inside.wait()
try:
    seen["other_thread"] = importlib.util.find_spec("torch") is not None
except ValueError:  # sys.modules["torch"] is None: every thread's `import torch` fails
    seen["other_thread"] = False
looked.set()
thread.join()
seen["torch_left_loaded"] = "torch" in sys.modules
print(json.dumps(seen))
"""


def test_torch_is_kept_out_of_the_spacy_thread_only():
    done = subprocess.run(
        [sys.executable, "-c", TORCH_ELSEWHERE], cwd=REPO, capture_output=True, text=True, timeout=60, check=True
    )
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen == {"spacy_thread": "refused", "other_thread": True, "torch_left_loaded": False}


def test_the_pipeline_tokenizes_as_its_package_does():
    import spacy

    from qa.text.language import PIPELINE, pipeline

    packaged = spacy.load(PIPELINE).tokenizer  # rebuilt from the package's saved tokenizer, as before
    # its rules, not the vocabulary: the shared pipeline's string store grows with every text it has read
    same = pipeline().tokenizer.to_bytes(exclude=["vocab"]) == packaged.to_bytes(exclude=["vocab"])
    assert same, "the tokenizer spaCy builds from its English defaults differs from the package's"  # no byte diff
    text = "Sam Bankman-Fried's U.S. trial: $8bn lost, e.g. FTX's co-founder (Oct. 2023) can't recall."
    assert [t.text for t in pipeline()(text)] == [t.text for t in packaged(text)]
