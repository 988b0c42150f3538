"""CodeQR's Jinja templates, installed as ``codeqr_templates`` so any install finds them."""
