"""A switchboard simulator speaking real AMI over TCP, for tests and ``hotline demo``."""

from telephony.sim.server import SwitchboardSimulator, load_scenario, scenario_names

__all__ = ["SwitchboardSimulator", "load_scenario", "scenario_names"]
