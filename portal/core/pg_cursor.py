"""psycopg's cursor, with cursor.description made once per shape of result instead of once per statement.

SQLAlchemy reads cursor.description after every statement (to know whether rows came back); psycopg
builds a new Column object for each column every time, reading its name, type, modifier and size from
the result. For the notice page's one statement of 49 columns that was about 40 µs of CPU, a twentieth
of the page (issue 14). The Columns hold only those four values and the type's description, nothing of
the cursor or the result, so two results whose columns have the same names, types, modifiers and sizes
have equal descriptions (the type's description comes from the adapters every connection shares: the
portal registers no types per connection): the first one made is handed out again (a list copy, so
nobody shares the list).
Reading the four values is about a sixth of the cost of building the Columns."""
import threading

import psycopg

MEMO_LIMIT = 512  # shapes of result; the portal's statements have a few hundred at most


class DescribedOnceCursor(psycopg.Cursor):
    _memo: dict = {}
    _lock = threading.Lock()

    @property
    def description(self):
        result = self.pgresult
        if result is None or not result.nfields:
            return super().description  # no rows, or the "SELECT ;" case psycopg handles itself
        fields = range(result.nfields)
        key = (self.connection.info.encoding, tuple(map(result.fname, fields)), tuple(map(result.ftype, fields)),
               tuple(map(result.fmod, fields)), tuple(map(result.fsize, fields)))
        made = self._memo.get(key)
        if made is None:
            made = super().description
            with self._lock:
                if len(self._memo) >= MEMO_LIMIT:
                    self._memo.clear()
                self._memo[key] = made
        return list(made)


def connect_args(url) -> dict:
    """The engine's connect_args for a database URL: this cursor for psycopg (3), nothing otherwise."""
    return {"cursor_factory": DescribedOnceCursor} if url.get_driver_name() == "psycopg" else {}
