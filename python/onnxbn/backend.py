"""onnxbn as an ONNX backend (onnx.backend.base): lets onnx's own backend
test runner, onnx.backend.test.BackendTest, run its tests on onnxbn.

    import onnx.backend.test, onnxbn.backend
    tests = onnx.backend.test.BackendTest(onnxbn.backend.OnnxbnBackend, __name__)

Only the CPU device exists. Keyword arguments of prepare/run_model are
InferenceSession's (threads, passes, plugins).
"""
import numpy as np
import onnx
from onnx import helper
from onnx.backend.base import Backend, BackendRep, Device, DeviceType, namedtupledict

from . import InferenceSession


def _tensor_type(dtype):
    """The ONNX element type of a numpy dtype (onnx >= 1.13 and older);
    str, bytes and object arrays are strings."""
    if np.dtype(dtype).kind in "OUS":
        return onnx.TensorProto.STRING
    if hasattr(helper, "np_dtype_to_tensor_dtype"):
        return helper.np_dtype_to_tensor_dtype(dtype)
    return onnx.mapping.NP_TYPE_TO_TENSOR_TYPE[dtype]


class OnnxbnBackendRep(BackendRep):
    """A prepared model: run(inputs) takes the inputs in the model's order
    (a list) or by name (a dict) and returns the outputs as a namedtuple."""

    def __init__(self, session):
        self.session = session
        self._input_names = [i.name for i in session.get_inputs()]
        self._output_names = [o.name for o in session.get_outputs()]

    def run(self, inputs, **kwargs):
        if isinstance(inputs, dict):
            feed = dict(inputs)
        else:
            if isinstance(inputs, np.ndarray):
                inputs = [inputs]
            if len(inputs) > len(self._input_names):
                raise ValueError(f"{len(inputs)} inputs given, the model has {len(self._input_names)}")
            feed = dict(zip(self._input_names, inputs))
        outputs = self.session.run(None, feed)
        return namedtupledict("Outputs", self._output_names)(*outputs)


class OnnxbnBackend(Backend):
    @classmethod
    def supports_device(cls, device):
        return Device(device).type == DeviceType.CPU

    @classmethod
    def prepare(cls, model, device="CPU", **kwargs):
        if not cls.supports_device(device):
            raise RuntimeError(f"onnxbn runs on the CPU only, not on {device}")
        data = model if isinstance(model, (bytes, bytearray)) else model.SerializeToString()
        return OnnxbnBackendRep(InferenceSession(data, **kwargs))

    @classmethod
    def run_model(cls, model, inputs, device="CPU", **kwargs):
        return cls.prepare(model, device, **kwargs).run(inputs)

    @classmethod
    def run_node(cls, node, inputs, device="CPU", outputs_info=None, **kwargs):
        """Runs one node on numpy inputs: a model is made around it (inputs
        typed after the arrays, outputs left for shape inference), at the
        given opset_version or onnx's newest."""
        opset = kwargs.pop("opset_version", onnx.defs.onnx_opset_version())
        graph_inputs = [helper.make_tensor_value_info(name, _tensor_type(np.asarray(a).dtype), np.asarray(a).shape)
                        for name, a in zip(node.input, inputs) if name]
        graph_outputs = [helper.make_empty_tensor_value_info(name) for name in node.output if name]
        graph = helper.make_graph([node], "run_node", graph_inputs, graph_outputs)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid(node.domain or "", opset)])
        feed = {name: np.asarray(a) for name, a in zip(node.input, inputs) if name}
        return cls.prepare(model, device, **kwargs).run(feed)


prepare = OnnxbnBackend.prepare
run_model = OnnxbnBackend.run_model
run_node = OnnxbnBackend.run_node
supports_device = OnnxbnBackend.supports_device
