"""Scans: the redirect's hot path (count + raw event), what a request tells of its
visitor, and the enrichment that parses user agents off the request."""
