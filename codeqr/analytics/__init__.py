"""Scan analytics: rollups kept by the enrichment, and the queries of the analytics API."""
