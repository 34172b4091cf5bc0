"""Issue 23, chat start: Gradio imported through the chat does not rewrite its type stubs (1.8 s of each start)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

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
