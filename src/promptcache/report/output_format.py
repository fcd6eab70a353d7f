"""The names of the output formats, apart from their renderers so the command line can offer
them without importing the whole pipeline."""

from enum import StrEnum


class OutputFormat(StrEnum):
    """What ``--format`` accepts."""

    AUTO = "auto"
    RICH = "rich"
    CONCISE = "concise"
    JSON = "json"
    SARIF = "sarif"
    GITHUB = "github"
    MARKDOWN = "markdown"
    GITLAB = "gitlab"
    JUNIT = "junit"
    HTML = "html"
