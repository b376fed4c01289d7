"""Batch grading for instructors: many submissions, each isolated, one gradebook."""
