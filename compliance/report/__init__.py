"""Presentation: text, JSON, CSV, HTML and PDF renderings of results."""
