"""HAR, Helicone and Portkey claim no record of another format's shared sample, so that
detection never reads a LiteLLM, Langfuse, LangSmith, OpenTelemetry or Batch log as theirs."""

from __future__ import annotations

import pytest

from promptcache.load.formats.har import HarFormat
from promptcache.load.formats.helicone import HeliconeFormat
from promptcache.load.formats.portkey import PortkeyFormat
from promptcache.load.sources import RawRecord, read_records
from tests.conftest import SHARED_FORMATS

OWN_FOLDER = {"har": HarFormat, "helicone": HeliconeFormat, "portkey": PortkeyFormat}


def _other_samples() -> list[str]:
    if not SHARED_FORMATS.is_dir():
        return []
    return sorted(str(path.relative_to(SHARED_FORMATS)) for path in SHARED_FORMATS.glob("*/*")
                  if path.suffix in (".jsonl", ".json", ".har")
                  and not path.name.endswith(".truth.jsonl"))


@pytest.mark.parametrize("sample", _other_samples() or ["(no shared samples)"])
def test_no_capture_format_claims_another_formats_sample(sample: str) -> None:
    path = SHARED_FORMATS / sample
    if not path.is_file():
        pytest.skip(f"{SHARED_FORMATS} is absent: the shared format samples are not beside "
                    "this clone")
    first = next(record for record in read_records([str(path)])
                 if isinstance(record, RawRecord))
    claimed = [fmt.name for fmt in (HarFormat, HeliconeFormat, PortkeyFormat)
               if fmt().recognize(first.value).matches]
    own = [name for name in OWN_FOLDER if path.parent.name == name]
    assert claimed == own
