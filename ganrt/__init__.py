"""ganrt: take a trained GAN video generator to the screen in real time.

Importing the package is cheap and never imports torch: the runtime and viewer
must work in a deployment that has only onnxruntime (or TensorRT) installed.
"""

__version__ = "0.1.0"
