"""The bundled assignments: instructor sources, manifests and suites."""
