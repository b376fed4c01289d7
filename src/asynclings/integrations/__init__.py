"""The kit on the platforms courses use, each rendering from the one results model.

* :mod:`.gradescope` — the Gradescope autograder bundle and what runs inside it.
* :mod:`.prairielearn` — PrairieLearn questions and their external grader.
* :mod:`.actions` — a GitHub Actions template repository and its grade step (the path
  for courses that used GitHub Classroom, retired in August 2026).
* :mod:`.nbgrader` — the exercises as an nbgrader assignment; :mod:`.notebook` is what
  its test cells run.
* :mod:`.lms` — Canvas, Moodle and Blackboard gradebook files from a roster.
* :mod:`.packaging` — the kit as a wheel without the reference solutions (for the
  bundles and templates above).
"""
