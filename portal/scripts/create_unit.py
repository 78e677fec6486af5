"""portal-create-unit INI --code CODE --name-zh NAME [--name-en NAME] [--name-ug NAME]
                     [--level province|city|county] [--jurisdiction FILE.geojson]
                     [--phone-110 NUMBER] [--sms-suffix DIGITS] [--command-center]

Creates the top unit (the province's bureau) of an empty portal: every other unit is created under a
parent at /staff/units, and every officer belongs to a unit, so this comes before
portal-create-officer. The creation is audited as done by "system"."""
import argparse
import re
import sys
from pathlib import Path

from sqlalchemy import select

from portal.core.refused import Refused
from portal.scripts.common import db_session, load_settings
from portal.units import services as units
from portal.units.models import LEVELS, Unit

CODE = re.compile(r"^[0-9]{6,12}$")  # the same rule as the form's (units/forms.py)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("config_uri")
    parser.add_argument("--code", required=True, help="administrative division code, 6 to 12 digits")
    parser.add_argument("--name-zh", required=True)
    parser.add_argument("--name-en", default="")
    parser.add_argument("--name-ug", default="")
    parser.add_argument("--level", default="province", choices=LEVELS)
    parser.add_argument("--jurisdiction", type=Path, help="a GeoJSON Polygon or MultiPolygon file, WGS-84")
    parser.add_argument("--phone-110", default="110")
    parser.add_argument("--sms-suffix", default="")
    parser.add_argument("--command-center", action="store_true",
                        help="alarms of this unit's area go to its command center")
    return parser.parse_args(argv)


def unit_fields(args) -> dict:
    """The unit's fields from the arguments; refuses what the staff form would refuse."""
    if not CODE.match(args.code):
        raise Refused("The code must be 6 to 12 digits.", 400, "code")
    if not args.name_zh.strip():
        raise Refused("The Chinese name is required.", 400, "name_zh")
    jurisdiction = None
    if args.jurisdiction is not None:
        try:
            text = args.jurisdiction.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise Refused(f"Cannot read {args.jurisdiction}: {exc}", 400, "jurisdiction") from exc
        jurisdiction = units.parse_jurisdiction(text)
    return {"name_zh": args.name_zh.strip(), "name_en": args.name_en.strip(), "name_ug": args.name_ug.strip(),
            "phone_110": args.phone_110, "sms_suffix": args.sms_suffix,
            "is_command_center": args.command_center, "jurisdiction": jurisdiction}


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        fields = unit_fields(args)
    except Refused as refused:
        print(f"Refused: {refused}", file=sys.stderr)
        return 2
    with db_session(load_settings(args.config_uri)) as dbsession:
        if dbsession.execute(select(Unit.id).where(Unit.code == args.code)).first() is not None:
            print(f"A unit with code {args.code} exists already.", file=sys.stderr)
            return 2
        tops = dbsession.execute(select(Unit.code).where(Unit.parent_id.is_(None))).scalars().all()
        unit = units.create_top(dbsession, code=args.code, level=args.level, **fields)
        print(f"Created unit {unit.code} ({unit.name_zh}, {unit.level}) at the top of the tree.")
        if tops:
            print(f"Note: other top units exist ({', '.join(tops)}); officers see only their own unit's tree.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
