"""The real-time viewer: a glfw window showing a FrameStream through an OpenGL texture.

Imports glfw and PyOpenGL only when used; the rest of ganrt never needs them.
"""

from .display import display_available

__all__ = ["display_available"]
