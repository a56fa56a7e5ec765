"""The hub's states and the moves between them, declared once and checked on every move.

    playing   -> resting    nobody has watched for --idle-pause (the stream's clock stands)
              -> recording  a viewer starts a recording
              -> stopping   the server stops
    resting   -> playing    a viewer comes
              -> stopping
    recording -> playing    the recording landed (asked, at --max-record-seconds, the last viewer left)
              -> stopping   (the recording lands on the way out)
    stopping  (the end)

A recording never rests: the frame thread lands it before the stream may rest.
"""

from __future__ import annotations

import threading
from enum import Enum
from typing import Callable


class HubState(Enum):
    PLAYING = "playing"
    RESTING = "resting"
    RECORDING = "recording"
    STOPPING = "stopping"


TRANSITIONS: dict[HubState, frozenset[HubState]] = {
    HubState.PLAYING: frozenset({HubState.RESTING, HubState.RECORDING, HubState.STOPPING}),
    HubState.RESTING: frozenset({HubState.PLAYING, HubState.STOPPING}),
    HubState.RECORDING: frozenset({HubState.PLAYING, HubState.STOPPING}),
    HubState.STOPPING: frozenset(),
}
RUNNING = frozenset(TRANSITIONS) - {HubState.STOPPING}


class StateError(RuntimeError):
    """A move the table above forbids: a ganrt bug, never a user's mistake."""


class HubStates:
    """The current state, its moves (checked against TRANSITIONS) and a wait on them; thread-safe."""

    def __init__(self):
        self.state = HubState.PLAYING
        self.changed = threading.Condition()

    def move(self, to: HubState, when: frozenset[HubState] | set[HubState]) -> bool:
        """Move to `to` if the state is one of `when` (True), else stay (False). Raises StateError
        when `when` names a state the table does not let move to `to`."""
        wrong = sorted(s.value for s in when if to not in TRANSITIONS[s])
        if wrong:
            raise StateError(f"the hub cannot move from {', '.join(wrong)} to {to.value}")
        with self.changed:
            if self.state not in when:
                return False
            self.state = to
            self.changed.notify_all()
            return True

    def wait_while(self, state: HubState, unless: Callable[[], bool]) -> None:
        """Block while the state is `state`, unless `unless()` holds (checked on every move)."""
        with self.changed:
            self.changed.wait_for(lambda: self.state is not state or unless())

    @property
    def stopping(self) -> bool:
        return self.state is HubState.STOPPING
