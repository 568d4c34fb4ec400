"""Postroom: a hosted e-mail service for organisations.

The package is layered (see docs/architecture.md and DESIGN section 3): ``mail``,
``config`` and ``errors`` are leaves; ``store`` is the only package that speaks SQL or
touches message files; ``tenancy``, ``delivery`` and ``service`` hold the rules;
``protocols`` and ``web`` are front ends; ``app`` and ``cli`` wire everything together.
"""

__version__ = "0.1.0"
