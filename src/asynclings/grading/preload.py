"""Imported by the grading forkserver at start: everything a grading run needs, once."""

from .worker import warm

warm()
