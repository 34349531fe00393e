"""Settings and the wall clock: the bottom layer every other package may read.

Imports nothing from the project.
"""
