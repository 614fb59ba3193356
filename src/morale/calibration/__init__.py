"""Calibration by history matching: observation models, emulators, waves, the calibrated sample."""
