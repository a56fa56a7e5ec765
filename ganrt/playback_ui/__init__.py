"""The playback UI both front ends share, and nothing that needs a window: what the user can
do (actions, keys, values and their ranges), the HUD's words, captures (screenshots and
recordings from the raw frames), the options every front end takes, and the host canvas the
streams are tiled into. `ganrt.viewer` (glfw window) and `ganrt.web` (browser page) import this;
they never import each other."""
