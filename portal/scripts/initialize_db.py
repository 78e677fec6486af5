"""portal-initialize-db INI: bring the database schema to the newest Alembic revision.

The revisions are the ones installed with the code (core/paths.py: beside the package in a checkout, inside
it in a wheel), whatever the working directory and the .ini's script_location."""
import argparse
import sys

from alembic import command
from alembic.config import Config

from portal.core.paths import MIGRATIONS_DIR


def alembic_config(config_uri: str) -> Config:
    config = Config(config_uri.partition("#")[0])
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("config_uri")
    args = parser.parse_args(argv)
    command.upgrade(alembic_config(args.config_uri), "head")
    return 0


if __name__ == "__main__":
    sys.exit(main())
