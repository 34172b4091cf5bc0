"""The model on PyTorch: fp32 (``torch``) or with bfloat16 matrix products (``torch-bf16``)."""

from __future__ import annotations

from functools import cached_property

import numpy as np

from qa.store.embeddings.batched import BatchedEmbeddings
from qa.store.embeddings.model import Batch, mean_pool_normalised, model_path


class MiniLMEmbeddings(BatchedEmbeddings):
    """The model on PyTorch, fp32 (``torch``) or with bfloat16 matrix products (``torch-bf16``);
    the same vectors as sentence-transformers (Transformer -> mean pooling -> normalise)."""

    def __init__(self, batch_size: int = 64, threads: int = 0, bf16: bool = False) -> None:
        super().__init__(batch_size, threads)
        self.bf16 = bf16
        self.backend = "torch-bf16" if bf16 else "torch"

    @cached_property
    def _model(self):
        import torch  # seconds to import: only when a model is really needed (the ONNX path never does)
        from transformers import AutoModel
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()
        torch.set_num_threads(1)  # one thread per worker (see the module docstring)
        return AutoModel.from_pretrained(model_path(), local_files_only=True).eval()

    def _prepare(self) -> None:
        _ = self._model

    def _forward(self, batch: Batch) -> np.ndarray:
        import torch  # loaded by _model already; see there

        ids, mask = (torch.from_numpy(array) for array in batch)
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.bf16):
            hidden = self._model(input_ids=ids, attention_mask=mask, token_type_ids=torch.zeros_like(ids))[0]
        return mean_pool_normalised(hidden.float().numpy(), batch[1])
