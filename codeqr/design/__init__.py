"""How a QR Code looks: the design's value types, its geometry (one drawing every format
renders), frames and their fonts, logos, templates and the check that a design scans."""
