import pytest

from portal.privacy import receipts
from portal.privacy.models import Receipt
from portal.privacy.receipts import ReceiptHasher

HASHER = ReceiptHasher(b"unit-test-pepper-0123456789", time_cost=1, memory_cost=8192)


def test_issue_then_look_up_as_people_type_it(dbsession):
    code = receipts.issue(dbsession, HASHER, "tip", 42)
    assert len(code) == 16 and code.isdigit()
    stored = dbsession.query(Receipt).one()
    assert code not in stored.code_hash and len(stored.code_hash) == 64
    typed = receipts.format_code(code).replace(" ", "-")  # "1234-5678-..."
    found = receipts.lookup(dbsession, HASHER, typed)
    assert (found.subject_type, found.subject_id) == ("tip", 42) and found.last_used_at is not None
    fullwidth = code.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert receipts.lookup(dbsession, HASHER, fullwidth) is found


@pytest.mark.parametrize("wrong", ["", "123", "x" * 16, "1" * 17, "١٢٣٤٥٦٧٨٩٠١٢٣٤٥٦"])
def test_wrong_or_malformed_codes_find_nothing(dbsession, wrong):
    receipts.issue(dbsession, HASHER, "tip", 1)
    assert receipts.lookup(dbsession, HASHER, wrong) is None


def test_the_hash_depends_on_the_pepper():
    other = ReceiptHasher(b"another-pepper-0123456789", time_cost=1, memory_cost=8192)
    assert HASHER.hash("1234567890123456") != other.hash("1234567890123456")
    with pytest.raises(ValueError):
        ReceiptHasher(b"short")


def test_codes_are_random():
    from portal.privacy.receipts import CODE_DIGITS

    class Null:
        def add(self, _): pass
        def flush(self): pass

    codes = {receipts.issue(Null(), HASHER, "tip", 1) for _ in range(20)}
    assert len(codes) == 20 and all(len(c) == CODE_DIGITS for c in codes)
