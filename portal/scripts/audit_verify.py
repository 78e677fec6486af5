"""portal-audit-verify INI: check the audit chain; exit 1 and name the first broken link."""
import argparse
import sys

from portal.audit.chain import verify_chain
from portal.scripts.common import db_session, load_settings


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("config_uri", help="the .ini file, e.g. development.ini")
    args = parser.parse_args(argv)
    with db_session(load_settings(args.config_uri)) as dbsession:
        checked, broken = verify_chain(dbsession)
    if broken is not None:
        print(f"BROKEN at audit event {broken.event_id}: {broken.problem} ({checked} events before it are intact)")
        return 1
    print(f"OK: {checked} audit events, chain intact")
    return 0


if __name__ == "__main__":
    sys.exit(main())
