"""Presentation: DataFrames, HTML panels (pandas and friends are imported lazily)."""
