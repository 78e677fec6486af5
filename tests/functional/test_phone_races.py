"""The five tries of a phone code hold under real concurrency (issue 15 item 4), on SQLite and
PostgreSQL: many requests typing wrong codes at the same instant, each in its own session and
transaction, all having read the row (0 tries) before any writes. At most five are compared; the
others are told the code is spent, and then even the right code is refused."""
import sqlite3
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from portal.core.meta import utcnow
from portal.phones import services as phones
from portal.phones.codes import PhoneHasher, new_salt
from portal.phones.models import PhoneVerification
from tests.conftest import migrated_engine, own_postgres_database

SECRET = "test-session-secret-0123456789abcdef0123456789"
RACERS = 12
CODE = "246810"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def race_engine(request, tmp_path_factory):
    """A database of the module's own: these tests commit."""
    if request.param == "sqlite":
        with migrated_engine(f"sqlite:///{tmp_path_factory.mktemp('phone-races')}/races.sqlite") as engine:
            yield engine
        return
    with own_postgres_database("phone_races") as url, migrated_engine(url) as engine:
        yield engine


@pytest.fixture
def verification(race_engine):
    hasher = PhoneHasher(SECRET)
    now = utcnow()
    with Session(race_engine, expire_on_commit=False) as dbsession:
        number_hash, salt = hasher.number("13912345678"), new_salt()
        row = PhoneVerification(number_hash=number_hash, owner_hash="0" * 64, salt=salt,
                                code_hash=hasher.code(salt, number_hash, CODE), created_at=now,
                                expires_at=now + timedelta(minutes=5), tries=0)
        dbsession.add(row)
        dbsession.commit()
        return row.id


def _locked(exc: OperationalError) -> bool:
    return isinstance(exc.orig, sqlite3.OperationalError) and "locked" in str(exc.orig)


def try_code(engine, row_id, code, barrier):
    """One request: read the row, wait for the others to have read it too, try the code, commit.
    SQLite's "database is locked" is retried, as pyramid_retry does for the app."""
    hasher = PhoneHasher(SECRET)
    waited = False
    for _attempt in range(50):
        with Session(engine, expire_on_commit=False) as dbsession:
            try:
                row = dbsession.get(PhoneVerification, row_id)
                assert row.tries == 0 or waited
                if not waited:
                    barrier.wait()
                    waited = True
                answer = phones.attempt(dbsession, hasher, row, code, utcnow())
                dbsession.commit()
                return answer
            except OperationalError as exc:
                if not _locked(exc):
                    raise
                dbsession.rollback()
                time.sleep(0.02)
    raise AssertionError("never got the database")


def test_racing_wrong_codes_take_five_tries_and_no_more(race_engine, verification):
    barrier = threading.Barrier(RACERS)
    answers = [None] * RACERS

    def run(i):
        try:
            answers[i] = try_code(race_engine, verification, "135790", barrier)
        except Exception as exc:  # noqa: BLE001 - reported to the test, which fails on it
            answers[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads), "a request hung"
    assert not [a for a in answers if isinstance(a, Exception)], answers
    wrong = [a for a in answers if a not in (phones.SPENT, None)]
    assert len(wrong) == 4  # "n tries left" for tries 1 to 4; the fifth wrong one says it is spent
    assert answers.count(phones.SPENT) == RACERS - 4 and None not in answers
    with Session(race_engine) as dbsession:
        row = dbsession.get(PhoneVerification, verification)
        assert row.tries == phones.MAX_TRIES and row.verified_at is None
        # Now even the right code is refused.
        assert phones.attempt(dbsession, PhoneHasher(SECRET), row, CODE, utcnow()) == phones.SPENT


def test_racing_right_codes_prove_the_number_once(race_engine, verification):
    barrier = threading.Barrier(4)
    answers = [None] * 4

    def run(i):
        answers[i] = try_code(race_engine, verification, CODE, barrier)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert answers == [None] * 4  # each is told the number is proven (a verified code is taken again)
    with Session(race_engine) as dbsession:
        row = dbsession.get(PhoneVerification, verification)
        assert row.verified_at is not None and row.tries == 1  # one try proved it; the twins took none
