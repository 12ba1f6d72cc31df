"""The encoder's forward pass, token ids in, token states out: ONNX Runtime (default) or torch (float32 or
bfloat16).

ONNX Runtime runs the whole pass in C++ without holding Python's GIL, so the server's spaCy thread and
event loop slow the encoder far less than they slow torch's op-by-op eager mode, and a server starts
without importing transformers' modelling code (about 3 s of start-up). The graph is exported from the
transformers model once per encoder fingerprint and torch version (`torch.onnx`, about 10 s) and kept
under the cache folder (NEWSDESK_CACHE_DIR); the file is written whole or not at all. Both runtimes give
the same states to about 1e-5 (tests/test_encoder_runtime.py).
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from pathlib import Path
from typing import Protocol

import numpy as np

log = logging.getLogger("newsdesk.encoder")

EXPORT_VERSION = "1"  # bump when the exported graph changes in a way the key below cannot see
INPUTS = ("input_ids", "attention_mask")


class Forward(Protocol):
    def __call__(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """(batch, width) int64 ids and mask → (batch, width, dim) float32 states."""
        ...


def _states_module(model_dir: Path):  # -> torch.nn.Module: torch is imported only when needed
    import torch
    from transformers import AutoModel

    class States(torch.nn.Module):
        """The model with BERT's segment ids fixed at 0 (every text is one segment)."""

        def __init__(self) -> None:
            super().__init__()
            self.model = AutoModel.from_pretrained(model_dir).eval()

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            return self.model(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=torch.zeros_like(input_ids)).last_hidden_state

    return States().eval()


class TorchForward:
    """`bf16`: matrix products in bfloat16 under torch's autocast (norms, softmax and sums stay float32):
    states within ~1e-4 of float32, and fast only on CPUs with bfloat16 instructions (AVX-512 BF16, AMX)."""

    def __init__(self, module, *, bf16: bool = False):  # module: torch.nn.Module, ids, mask -> states
        self.module = module
        self.bf16 = bf16

    @classmethod
    def load(cls, model_dir: Path, *, bf16: bool = False) -> TorchForward:
        import torch

        if bf16:
            if not torch.ops.mkldnn._is_mkldnn_bf16_supported():
                log.warning("encoder.runtime torch-bf16: this CPU has no bfloat16 instructions; expect it to "
                            "be slower than the default runtime (onnx)")
            # oneDNN keeps primitives for 1,024 shapes; every batch has its own: RSS grew 23 % (bench/)
            os.environ.setdefault("ONEDNN_PRIMITIVE_CACHE_CAPACITY", "16")
        module = _states_module(model_dir)
        for layer in module.modules() if bf16 else []:
            if isinstance(layer, torch.nn.Linear):  # cast once, not on every call: the same states
                layer.to(torch.bfloat16)
        return cls(module, bf16=bf16)

    def __call__(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        import torch

        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.bf16):
            return self.module(torch.from_numpy(ids), torch.from_numpy(mask)).float().numpy()


def onnx_path(root: Path, fingerprint: str, variant: str = "fp32") -> Path:
    import torch

    key = hashlib.sha256(f"{fingerprint}|torch={torch.__version__}|{EXPORT_VERSION}".encode()).hexdigest()
    return root / "encoders" / (f"{key[:24]}.onnx" if variant == "fp32" else f"{key[:24]}.{variant}.onnx")


def quantize_int8(src: Path, dest: Path) -> None:
    """Dynamic int8 quantisation of every MatMul's weights, one scale per output channel (per tensor
    changes too many summaries: bench/README.md), written atomically."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    tmp = dest.with_name(f"{dest.stem}.{os.getpid()}.tmp")
    try:
        quantize_dynamic(str(src), str(tmp), per_channel=True, weight_type=QuantType.QInt8)
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


def export_onnx(model_dir: Path, dest: Path) -> None:
    """The model's forward pass as an ONNX graph with dynamic batch and width, written atomically."""
    import torch

    module = _states_module(model_dir)
    ids = torch.ones((2, 8), dtype=torch.long)
    batch, width = torch.export.Dim("batch"), torch.export.Dim("width", max=512)
    with torch.inference_mode():
        program = torch.onnx.export(
            module, (ids, torch.ones_like(ids)), dynamo=True, input_names=list(INPUTS),
            output_names=["states"], dynamic_shapes={name: {0: batch, 1: width} for name in INPUTS},
            verbose=False,
        )
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f"{dest.stem}.{os.getpid()}.tmp")
    try:
        program.save(str(tmp))
        os.replace(tmp, dest)  # whole files only, even when two processes export at once
    finally:
        tmp.unlink(missing_ok=True)


class OnnxForward:
    """`int8`: the exported graph with int8 weights (quantised once, cached beside it)."""

    def __init__(self, model_dir: Path, fingerprint: str, threads: int, cache_root: Path | None,
                 *, int8: bool = False):
        import onnxruntime as ort

        self._ort = ort
        self.threads = threads
        if cache_root is None:  # the cache is off: export for this process only, and leave nothing behind
            with tempfile.TemporaryDirectory(prefix="newsdesk-encoder-") as tmp:  # loaded, the files can go
                self._load(model_dir, fingerprint, Path(tmp), int8)
        else:
            self._load(model_dir, fingerprint, cache_root, int8)

    def _load(self, model_dir: Path, fingerprint: str, cache_root: Path, int8: bool) -> None:
        fp32 = onnx_path(cache_root, fingerprint)
        path = onnx_path(cache_root, fingerprint, "int8") if int8 else fp32
        try:
            self.session = self._session(self._ensure(model_dir, fp32, path))
        except Exception:  # a truncated or foreign file: ORT raises its own exception types for each
            log.warning("the cached ONNX encoder %s is unreadable; building it again", path)
            for p in {fp32, path}:
                p.unlink(missing_ok=True)
            self.session = self._session(self._ensure(model_dir, fp32, path))

    @staticmethod
    def _ensure(model_dir: Path, fp32: Path, path: Path) -> Path:
        """`path`, after exporting (and quantising) what the cache lacks."""
        if not path.is_file():
            if not fp32.is_file():
                log.warning("exporting the encoder to ONNX once (about 10 s); cached as %s", fp32)
                export_onnx(model_dir, fp32)
            if path != fp32:
                quantize_int8(fp32, path)
        return path

    def _session(self, path: Path):  # -> onnxruntime.InferenceSession
        ort = self._ort
        opts = ort.SessionOptions()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.inter_op_num_threads = 1
        if self.threads:
            opts.intra_op_num_threads = self.threads
        # Idle pool threads must not spin: spaCy works on the other core between encoder calls.
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])

    def __call__(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return self.session.run(["states"], {"input_ids": ids, "attention_mask": mask})[0]
