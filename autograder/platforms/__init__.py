"""Where courses already grade: nbgrader, Gradescope, and Dask for batches past one machine.

* ``kernel``: the checks a notebook's test cells call inside a Jupyter kernel
  (the public suite for students, the hidden suite under ``nbgrader autograde``);
* ``nbgrader_course``: the nbgrader course folder (``autograder nbgrader init``), its
  config, and nbgrader's CLI run on it;
* ``nbgrader_source``: the course notebook ``autograder nbgrader init`` writes
  (one test cell per skill, nbgrader's locks and checksums);
* ``nbgrader_grade`` / ``nbgrader_autograde``: ``autograder nbgrader grade``, the
  kit's sandboxed scores written into the course gradebook by nbgrader's own
  autograde converter, with its kernel execution replaced by the kit's results;
* ``nbgrader_place``: ``place`` and ``collect``, submissions into ``submitted/``;
* ``gradescope``: ``autograder gradescope build``, the autograder bundle;
* ``dask_executor``: ``autograder grade --scheduler``, a batch on a Dask cluster;
* ``cli``: the ``nbgrader`` and ``gradescope`` command groups.

Nothing here is imported by the rest of the kit unless one of these is used, so
nbgrader and dask stay optional extras.
"""
