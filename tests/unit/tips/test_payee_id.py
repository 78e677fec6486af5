"""The payee's identity document at the counter: whatever is typed is accepted or refused with the
form's message, and a resident ID number is accepted exactly when its check character is right."""
import colander
from hypothesis import given
from hypothesis import strategies as st

from portal.tips.handling_forms import RESIDENT_ID_CHECK, RESIDENT_ID_WEIGHTS, payment_schema, resident_id_ok


def _with_check(body: str) -> str:
    return body + RESIDENT_ID_CHECK[sum(int(d) * w for d, w in zip(body, RESIDENT_ID_WEIGHTS, strict=True)) % 11]


def _payee(value):
    data = {"version": "1", "code": "1234567890123456", "payee_id": value, "amount_paid": "10"}
    return payment_schema().deserialize(data)["payee_id"]


@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_every_resident_id_with_its_check_character_is_accepted_and_no_other(body):
    good = _with_check(body)
    assert resident_id_ok(good) and _payee(good) == good
    for wrong in set(RESIDENT_ID_CHECK) - {good[-1]}:
        assert not resident_id_ok(body + wrong)


@given(st.text(max_size=60))
def test_anything_typed_is_accepted_or_refused_with_a_message(value):
    try:
        kept = _payee(value)
    except colander.Invalid as invalid:
        assert "payee_id" in invalid.asdict()
    else:
        compact = kept.replace(" ", "").replace("-", "")
        assert compact.isascii() and compact.isalnum() and 5 <= len(compact) <= 30


def test_a_lowercase_x_is_the_same_check_character():
    assert resident_id_ok("11010519491231002x")
