"""The signals a page may send: only its side's kinds, only the fields RTCPeerConnection takes, bounded;
anything else is Refused (400) and nothing else ever escapes, whatever JSON arrives (Hypothesis)."""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.calls.signaling import MAX_SDP, SENDS, checked_body
from portal.core.refused import Refused

CANDIDATE_KEYS = {"candidate", "sdpMid", "sdpMLineIndex", "usernameFragment"}
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=50),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=20), children, max_size=4),
    max_leaves=20)


def test_each_side_sends_only_its_own_kinds():
    assert SENDS == {"caller": ("answer", "candidate", "bye"), "dispatcher": ("offer", "candidate", "bye")}


def test_an_sdp_keeps_only_its_type_and_text():
    body = checked_body("offer", {"type": "offer", "sdp": "v=0\r\n", "extra": "<script>"})
    assert body == {"type": "offer", "sdp": "v=0\r\n"}


@pytest.mark.parametrize("body", [
    {"type": "offer", "sdp": "v=0" + "a" * MAX_SDP},
    {"type": "offer", "sdp": "v=0\x00"},
    {"type": "answer", "sdp": "v=0"},
    {"type": "offer", "sdp": 1},
    {"type": "offer"},
])
def test_a_bad_sdp_is_refused(body):
    with pytest.raises(Refused) as refused:
        checked_body("offer", body)
    assert refused.value.status == 400


def test_the_end_of_candidates_is_a_valid_candidate():
    assert checked_body("candidate", {"candidate": "", "sdpMid": None, "sdpMLineIndex": None}) == {
        "candidate": "", "sdpMid": None, "sdpMLineIndex": None, "usernameFragment": None}


@pytest.mark.parametrize("index", [-1, 64, True, 1.5, "0"])
def test_a_candidate_line_index_is_a_small_whole_number(index):
    with pytest.raises(Refused):
        checked_body("candidate", {"candidate": "candidate:1", "sdpMLineIndex": index})


@settings(max_examples=300, deadline=None, derandomize=True)
@given(kind=st.sampled_from(["offer", "answer", "candidate", "bye"]), body=json_values)
def test_any_json_is_either_refused_or_reduced_to_the_known_fields(kind, body):
    try:
        checked = checked_body(kind, body)
    except Refused as refused:
        assert refused.status == 400
        return
    if kind == "bye":
        assert checked is None
    elif kind == "candidate":
        assert set(checked) == CANDIDATE_KEYS and isinstance(checked["candidate"], str)
    else:
        assert set(checked) == {"type", "sdp"} and checked["sdp"].startswith("v=0")
