"""Simulation and backtesting: replay past leads and events through the routing core."""
