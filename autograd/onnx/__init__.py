"""autograd.onnx: export a model to ONNX, as torch.onnx (`autograd.onnx.export`).

    import autograd as ag
    ag.onnx.export(model, (x,), "model.onnx", input_names=["x"],
                   dynamic_axes={"x": {0: "batch"}})

The file runs anywhere ONNX runs (onnxruntime, browsers, phones). Needs the `onnx`
package (`pip install "ndgrad[onnx]"`). The package: `tracing` records the forward pass,
`graph` builds the ONNX graph from it, and the converters by family (`pointwise`,
`shape`, `reduction`, `layers`) express each op.
"""

from .errors import OnnxExporterError, UnsupportedOperatorError
from .export import ONNXProgram, TrainingMode, export

__all__ = ["export", "ONNXProgram", "TrainingMode", "OnnxExporterError",
           "UnsupportedOperatorError"]
