"""Validation against published measurements: cases -> API requests -> report (``make validate``)."""
