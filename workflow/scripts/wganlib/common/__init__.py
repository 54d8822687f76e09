"""What every stage stands on: files written atomically (``io``), images as arrays and sheets
(``images``), a job's log and its terminal line (``jobs``), numbers and Markdown tables
(``tables``).

Imports nothing else of wganlib; no TensorFlow.
"""
