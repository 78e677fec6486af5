"""portal-rekey-fields INI [--report] [--batch N]

Seals every protected field again under the current field key (portal.field_key_id), so that an older
key can be removed from portal.field_keys. Run it after adding the new key, making it current and
restarting the web processes and workers; it can run while the portal serves, and again after an
interruption (it only touches values another key sealed). `--report` changes nothing and prints, per
column, how many values each key sealed: remove an old key only when it is no longer listed.

Exits 1 when a value opens with no configured key (its table and row ids are printed, never a value)."""
import argparse
import sys

import transaction
from transaction.interfaces import NoTransaction

import portal.tables  # noqa: F401  (every model's table in the metadata)
from portal.audit import chain as audit
from portal.core.db import get_engine, get_session_factory, get_tm_session
from portal.core.meta import Base
from portal.privacy import rekey
from portal.privacy.crypto import FieldCipher
from portal.scripts.common import load_settings


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("config_uri")
    parser.add_argument("--report", action="store_true", help="count values per key id; change nothing")
    parser.add_argument("--batch", type=int, default=500, help="rows per transaction")
    args = parser.parse_args(argv)
    settings = load_settings(args.config_uri)
    cipher = FieldCipher.from_setting(settings["portal.field_keys"], settings["portal.field_key_id"])
    engine = get_engine(settings)
    tm = transaction.TransactionManager(explicit=True)
    dbsession = get_tm_session(get_session_factory(engine, settings), tm)
    columns = rekey.sealed_columns(Base.metadata)
    total, unreadable = 0, 0
    try:
        for sealed in columns:
            tm.begin()
            if args.report:
                counts = rekey.key_ids(dbsession, sealed)
                tm.abort()
                listed = ", ".join(f"{kid}: {n}" for kid, n in sorted(counts.items())) or "empty"
                print(f"{sealed.name}: {listed}")
                continue
            outcome = rekey.reseal_column(dbsession, cipher, sealed, batch=args.batch,
                                          after_batch=lambda: (tm.commit(), tm.begin()))
            tm.commit()
            total, unreadable = total + outcome.resealed, unreadable + len(outcome.unreadable)
            print(f"{sealed.name}: {outcome.resealed} sealed again under {cipher.current}")
            if outcome.unreadable:
                print(f"{sealed.name}: no configured key opens the rows {outcome.unreadable}", file=sys.stderr)
        if not args.report:
            tm.begin()
            audit.append(dbsession, "fields.resealed", actor="system", object_type="field_key",
                         object_id=cipher.current,
                         reason=f"{total} values sealed again under {cipher.current}; {unreadable} unreadable")
            tm.commit()
    except BaseException:
        try:
            tm.abort()
        except NoTransaction:
            pass
        raise
    finally:
        engine.dispose()
    return 1 if unreadable else 0


if __name__ == "__main__":
    sys.exit(main())
