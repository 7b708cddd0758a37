"""Pure formulas, one function per quantity, units in every name or docstring.

Inputs and outputs are ``Range`` objects (exact inputs are zero-width ranges), so the same function
gives the central value and its bounds. Nothing here reads data or knows about HTTP.
"""
