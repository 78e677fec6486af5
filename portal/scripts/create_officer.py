"""portal-create-officer INI --username U --unit CODE --role R [--role R ...]

The password is asked for at the terminal, or read from the first line of standard input when
that is not a terminal (never from the command line, where it would land in shell history)."""
import argparse
import getpass
import sys

from sqlalchemy import select

from portal.accounts import services as officers
from portal.core.permissions import Role
from portal.core.refused import Refused
from portal.scripts.common import db_session, load_settings
from portal.units.models import Unit


def read_password(stream=sys.stdin) -> str:
    if stream.isatty():
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Again: "):
            raise SystemExit("The two passwords differ.")
        return first
    return stream.readline().rstrip("\n")


def main(argv=None, stdin=sys.stdin) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("config_uri")
    parser.add_argument("--username", required=True)
    parser.add_argument("--unit", required=True, help="the unit's code, e.g. 139900")
    parser.add_argument("--role", action="append", default=[], choices=[str(r) for r in Role])
    parser.add_argument("--display-name", default="")
    args = parser.parse_args(argv)
    password = read_password(stdin)
    with db_session(load_settings(args.config_uri)) as dbsession:
        unit = dbsession.execute(select(Unit).where(Unit.code == args.unit)).scalar_one_or_none()
        if unit is None:
            print(f"No unit with code {args.unit}.", file=sys.stderr)
            return 2
        if officers.username_taken(dbsession, args.username):
            print(f"The username {args.username} is taken.", file=sys.stderr)
            return 2
        try:
            officer = officers.create(dbsession, username=args.username, password=password, unit=unit,
                                      roles=args.role, display_name=args.display_name)
        except Refused as refused:
            print(f"Password refused: {refused}", file=sys.stderr)
            return 2
        roles = ", ".join(sorted(officer.roles)) or "-"
        print(f"Created officer {officer.username} in {unit.code} with roles {roles}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
