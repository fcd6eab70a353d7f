"""``promptcache lint``: find, in the source code that builds prompts, the patterns the log
audit finds in request logs, before they ship.

The pipeline: a language front end (:mod:`.python_calls`) finds the calls that send prompts
and resolves the values passed into :mod:`.pieces` (stable text, volatile values, tool lists
of a known order); :mod:`.patterns` turns those into hits under the catalogue's codes;
:mod:`.run` applies suppression comments and the configuration and builds the report.
"""
