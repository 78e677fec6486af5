"""portal-initialize-db INI: bring the database schema to the newest Alembic revision."""
import argparse
import sys

from alembic import command
from alembic.config import Config


def alembic_config(config_uri: str) -> Config:
    return Config(config_uri.partition("#")[0])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("config_uri")
    args = parser.parse_args(argv)
    command.upgrade(alembic_config(args.config_uri), "head")
    return 0


if __name__ == "__main__":
    sys.exit(main())
