"""Every domain's tables, imported in one place so that SQLAlchemy can configure every relationship
(they name each other across domains) and Alembic compares the whole schema with the migrations."""
from sqlalchemy.orm import configure_mappers

from portal.accounts.models import Officer, OfficerRole  # noqa: F401
from portal.alarms.models import Alarm, AlarmLocation, AlarmMessage  # noqa: F401
from portal.audit.models import AuditEvent  # noqa: F401
from portal.calls.invitations.models import CallInvitation  # noqa: F401
from portal.calls.models import Call, CallRecording, CallSignal, RecordingChunk  # noqa: F401
from portal.core.generation import PublicGeneration  # noqa: F401
from portal.core.meta import Base
from portal.core.worker_state import WorkerHeartbeat, WorkerJob  # noqa: F401
from portal.media.models import Media, MediaCopy  # noqa: F401
from portal.media.resumable.models import Upload  # noqa: F401
from portal.missing.models import MissingPersonRequest  # noqa: F401
from portal.notices.models import MissingPersonDetails, Notice, NoticeRevision  # noqa: F401
from portal.notices.purge_tags import notice_tags  # noqa: F401  (queues the proxies' purges of changed notices)
from portal.notices.search_index import NoticeSearch  # noqa: F401  (also keeps the search index in step)
from portal.outbox.models import OutboxMessage, ProxyPurge  # noqa: F401
from portal.phones.models import PhoneVerification  # noqa: F401
from portal.privacy.models import Receipt  # noqa: F401
from portal.sightings.models import Sighting, SightingMessage  # noqa: F401
from portal.tips.models import (  # noqa: F401
    Tip,
    TipAnswer,
    TipAttachment,
    TipCategory,
    TipLink,
    TipMessage,
    TipQuestion,
    TipReward,
)
from portal.trips.models import Trip, TripGuardian, TripPhoto, TripPoint  # noqa: F401
from portal.units.models import Unit  # noqa: F401

metadata = Base.metadata
configure_mappers()
