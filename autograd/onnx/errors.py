"""The exporter's errors, named as torch.onnx.errors names them."""

from __future__ import annotations

__all__ = ["OnnxExporterError", "UnsupportedOperatorError"]


class OnnxExporterError(RuntimeError):
    """The model cannot be exported as it is (the message says why and where)."""


class UnsupportedOperatorError(OnnxExporterError):
    """An op that the exporter cannot express in ONNX ran in the model's forward."""

    def __init__(self, op: str, where: str, opset: int, why: str = "") -> None:
        self.op, self.where, self.opset, self.why = op, where, opset, why
        msg = f"Exporting the operator '{op}'{where} to ONNX opset version {opset} is not supported"
        super().__init__(msg + (f": {why}" if why else "."))
