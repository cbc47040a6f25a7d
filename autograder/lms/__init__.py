"""Learning-management systems: their submission downloads in (``download_layout``), their
grade-import CSVs out (``grade_export``)."""
