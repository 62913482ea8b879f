"""ISPC ONNX engine on onnx.reference. Importing this package loads no runtime; see ``engine``."""

__all__ = ["__version__"]

__version__ = "0.1.0"
