"""Marshmallow schemas: validation of every request payload and the documented response shapes."""
