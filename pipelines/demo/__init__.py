"""Synthetic demo exports (`finsam demo-data`): `from pipelines.demo.generate import generate`."""
