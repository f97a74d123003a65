"""tensorgraft-example-device: the 'npcopy' device (see ``plugin.py``)."""
__version__ = "0.1.0"
