"""Issue 23, chat start: Gradio imported through the chat does not rewrite its type stubs (1.8 s of each start); the
index opens while Gradio imports, and the English pipeline loads once the chat listens."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from corpora import QUICK_INGEST
from server_fixtures import free_port

REPO = Path(__file__).resolve().parents[1]

# a fresh interpreter: in this one another test may have imported Gradio already
IMPORT_THE_CHAT = """
import json
import qa.serve.ui.start
import gradio.component_meta as meta
import gradio.blocks_events as events
print(json.dumps([meta.create_or_modify_pyi.__module__, events.create_or_modify_pyi.__module__]))
"""


def test_gradio_imported_by_the_chat_leaves_its_stubs_alone():
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_THE_CHAT], cwd=REPO, capture_output=True, text=True, timeout=120, check=True
    )
    assert json.loads(done.stdout.strip().splitlines()[-1]) == ["qa.serve.ui", "qa.serve.ui"]


# two threads want the English pipeline at once, as the chat's background warm-up and its first question do
LOAD_TWICE = """
import json, threading
from qa.text.language import pipeline
ready, got = threading.Barrier(2), []
def load():
    ready.wait()
    got.append(pipeline())
threads = [threading.Thread(target=load) for _ in range(2)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(json.dumps(got[0] is got[1]))
"""


def test_a_question_during_the_pipeline_load_waits_for_that_load_not_a_second_one():
    done = subprocess.run(
        [sys.executable, "-c", LOAD_TWICE], cwd=REPO, capture_output=True, text=True, timeout=120, check=True
    )
    assert json.loads(done.stdout.strip().splitlines()[-1]) is True


# what the chat's start does before it listens: its module imports without Gradio (imported in a thread while the
# index opens), and the index opens without the English pipeline (loaded once the chat listens)
OPEN_DEFERRED = """
import json, sys
from pathlib import Path
import qa.serve.ui.start
from qa.core.settings import Settings
from qa.serve.live import LiveAssistant
gradio = "gradio" in sys.modules
live = LiveAssistant(Settings(data_dir=Path(sys.argv[1]))).start(watch=False, defer=True)
spacy = "spacy" in sys.modules
live.warm_up_later()
with live.generation() as assistant:  # asked at once: waits for the pipeline the warm-up is loading
    answer = assistant.ask("How much money did the Harbor City council approve to repair the Old Mill Bridge?")
live.close()
print(json.dumps([gradio, spacy, bool(answer.citations)]))
"""


def _run_on_a_copy(script: str, indexed_corpus, tmp_path, *args: str):
    """``script``'s last printed JSON, run in a fresh interpreter on a copy of the index (the live assistant
    writes its snapshot there)."""
    data = tmp_path / "copy"
    shutil.copytree(indexed_corpus.data_dir, data)
    done = subprocess.run(
        [sys.executable, "-c", script, str(data), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **QUICK_INGEST},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_chat_opens_its_index_before_gradio_and_spacy_and_answers_at_once(indexed_corpus, tmp_path):
    assert _run_on_a_copy(OPEN_DEFERRED, indexed_corpus, tmp_path) == [False, False, True]


# the whole start (`serve`, not blocking): whether wordfreq was loaded when Gradio's import thread started
SERVE_ORDER = """
import json, sys, threading
from pathlib import Path
started = {}
class Recording(threading.Thread):
    def start(self):
        started[self.name] = "wordfreq" in sys.modules
        super().start()
threading.Thread = Recording
from qa.core.settings import Settings
from qa.serve.ui.start import serve
demo, live = serve(Settings(data_dir=Path(sys.argv[1]), port=int(sys.argv[2])), block=False)
live.close()
demo.close()
print(json.dumps(started["qa-import-gradio"]))
"""


def test_the_chat_loads_the_word_list_before_gradio(indexed_corpus, tmp_path):
    # wordfreq finds its data with inspect.stack(), whose first call walks every module loaded (~0.1 s more after
    # Gradio's); the first question needs the word list anyway
    assert _run_on_a_copy(SERVE_ORDER, indexed_corpus, tmp_path, str(free_port())) is True
