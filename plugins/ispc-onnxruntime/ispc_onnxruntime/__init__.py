"""ISPC ONNX engine on onnxruntime. Importing this package loads no runtime; see ``engine``."""

__all__ = ["__version__"]

__version__ = "0.1.0"
