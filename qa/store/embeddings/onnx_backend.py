"""The packaged all-MiniLM-L6-v2 on ONNX Runtime: exported once from the local weights, no download.

The export runs the same Hugging Face model with mean pooling and normalisation in the graph, then
ONNX Runtime's BERT fusions (attention, skip-layer-norm, bias-GELU); ``onnx-int8`` adds dynamic int8
quantisation with one scale per output channel (one scale per tensor loses too much: cosine 0.91).
Files are cached under ``<model cache>/`` with a name keyed by the weights' hash, written to a
temporary file and renamed, so two processes racing to export both end up with one good file.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import warnings
from functools import cached_property
from pathlib import Path

import numpy as np

from qa.core.errors import QAError
from qa.core.settings import get_settings
from qa.store.embeddings.batched import BatchedEmbeddings
from qa.store.embeddings.model import Batch, model_path

EXPORT_VERSION = 1  # bump when the export recipe changes, so cached files are not reused
OPSET = 17


def default_cache_dir() -> Path:
    return get_settings().model_cache_dir or Path.home() / ".cache" / "newsqa" / "models"


def weights_digest(cache_dir: Path | None = None) -> str:
    """Short hash of the packaged weights (and of the export recipe), naming the cached files. Remembered in
    ``cache_dir`` per file size and modification time: hashing 90 MB is a third of a cold question."""
    weights = os.path.join(model_path(), "model.safetensors")
    st = os.stat(weights)
    key = f"{EXPORT_VERSION}:{OPSET}:{weights}:{st.st_size}:{st.st_mtime_ns}"
    remembered = cache_dir / "digests.json" if cache_dir is not None else None
    with contextlib.suppress(OSError, ValueError):
        if remembered is not None and (found := json.loads(remembered.read_text()).get(key)):
            return found
    digest = hashlib.sha256(f"export-{EXPORT_VERSION}-opset-{OPSET}".encode())
    with open(weights, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    short = digest.hexdigest()[:16]
    if remembered is not None:
        with contextlib.suppress(OSError):  # a read-only cache only costs the hash next time
            _atomic(remembered, lambda target: target.write_text(json.dumps({key: short})))
    return short


def onnx_model_file(cache_dir: Path, int8: bool) -> Path:
    """The exported model (fp32, or int8), exporting it first if it is not cached yet."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    stem = f"all-minilm-l6-v2-{weights_digest(cache_dir)}"
    fp32 = cache_dir / f"{stem}-fp32.onnx"
    if not fp32.exists():
        _atomic(fp32, _export_fp32)
    if not int8:
        return fp32
    quantised = cache_dir / f"{stem}-int8.onnx"
    if not quantised.exists():
        _atomic(quantised, lambda target: _quantise(fp32, target))
    return quantised


def _atomic(target: Path, write) -> None:
    """Write ``target`` through a temporary file in the same folder and rename it into place."""
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(handle)
    try:
        write(Path(temporary))
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def _export_fp32(target: Path) -> None:
    """Trace the model with pooling into ONNX, then fuse its BERT blocks for ONNX Runtime."""
    import torch  # export only: torch and transformers take seconds to import
    from onnxruntime.transformers import optimizer
    from transformers import AutoModel
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()
    bert = AutoModel.from_pretrained(model_path(), attn_implementation="eager", local_files_only=True).eval()
    raw = target.with_suffix(".raw.onnx")
    example = (torch.ones((2, 8), dtype=torch.int64), torch.ones((2, 8), dtype=torch.int64))
    dynamic = {0: "batch", 1: "tokens"}
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                _pooled_module()(bert),
                example,
                str(raw),
                dynamo=False,
                input_names=["input_ids", "attention_mask"],
                output_names=["embedding"],
                dynamic_axes={"input_ids": dynamic, "attention_mask": dynamic, "embedding": {0: "batch"}},
                opset_version=OPSET,
            )
        fused = optimizer.optimize_model(str(raw), model_type="bert", num_heads=12, hidden_size=384, opt_level=1)
        fused.save_model_to_file(str(target))
    finally:
        raw.unlink(missing_ok=True)


def _quantise(fp32: Path, target: Path) -> None:
    import onnx  # quantising only, once per cached model
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(
        str(fp32),
        str(target),
        weight_type=QuantType.QInt8,
        per_channel=True,
        extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},  # fused ops have no inferred types
    )


def _pooled_module():
    """The export wrapper class (built here so torch is imported only when exporting)."""
    import torch  # see the docstring

    class Pooled(torch.nn.Module):
        """BERT + mean pooling + normalisation, so the graph returns the sentence vector."""

        def __init__(self, bert) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask):
            hidden = self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=torch.zeros_like(input_ids)
            ).last_hidden_state
            weights = attention_mask.unsqueeze(-1).to(hidden.dtype)
            summed = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(summed, p=2.0, dim=1)

    return Pooled


class OnnxMiniLMEmbeddings(BatchedEmbeddings):
    """The model on ONNX Runtime (``onnx`` fp32 or ``onnx-int8``); one session shared by the workers."""

    def __init__(self, batch_size: int = 64, threads: int = 0, int8: bool = False, cache_dir: Path | None = None):
        super().__init__(batch_size, threads)
        self.int8 = int8
        self.backend = "onnx-int8" if int8 else "onnx"
        self.cache_dir = cache_dir

    @cached_property
    def model_file(self) -> Path:
        try:
            return onnx_model_file(self.cache_dir or default_cache_dir(), self.int8)
        except OSError as exc:
            raise QAError(f"Cannot write the exported ONNX model: {exc.strerror or exc}.") from exc

    @cached_property
    def _session(self):
        import onnxruntime as ort  # loaded with the first batch, not when the backend is chosen

        options = ort.SessionOptions()
        options.intra_op_num_threads = 1  # one thread per worker, as for torch
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        return ort.InferenceSession(str(self.model_file), options, providers=["CPUExecutionProvider"])

    def _prepare(self) -> None:
        _ = self._session

    def _forward(self, batch: Batch) -> np.ndarray:
        ids, mask = batch
        return self._session.run(None, {"input_ids": ids, "attention_mask": mask})[0].astype(np.float32)
