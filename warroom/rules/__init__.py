"""The incident rules: plain domain code, no Temporal and no integration.

`messages` is the table of responder messages and phase transitions,
`lifecycle` the rules that apply them, `effects` and `requests` what the rules
ask of the outside world, `wording` what warroom says."""

from warroom.rules.effects import Effect, Operation
from warroom.rules.lifecycle import Lifecycle
from warroom.rules.messages import MESSAGES, Refused

__all__ = ["MESSAGES", "Effect", "Lifecycle", "Operation", "Refused"]
