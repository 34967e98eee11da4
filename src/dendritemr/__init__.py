"""dendritemr: magnetic resonance of lithium dendrites in solid-state batteries."""

__version__ = "0.1.0"
