"""The ``codeqr`` command and the commands each app's CLI has."""
