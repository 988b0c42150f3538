"""CodeQR's built-in plugins, installed as ``codeqr_plugins``.

Each is written as a third-party plugin would be: it imports only the public
``codeqr`` API and is registered through the ``codeqr`` entry-point group.
"""
