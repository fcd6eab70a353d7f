"""Tests of the log formats of :mod:`promptcache.load.formats`, one module per format."""
