"""The command line: parse, call the engine, render, return an exit code."""
