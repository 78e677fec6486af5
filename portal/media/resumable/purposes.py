"""What an upload is for decides its limits: the kinds its first bytes may show, the size per kind,
how many may wait for one session, and the hourly number per address. Domains register theirs
(tips: "tip", with the tip form's limits); media registers "photo" for the photo-only forms.
These limits refuse early; each form still checks its files in full when it is sent."""
from dataclasses import dataclass

from portal.media.refusals import MAX_PHOTO_BYTES

PURPOSES_KEY = "resumable_purposes"
# Uploads waiting for one session beyond what its form takes: a file picked, dropped and picked again
# after a reload (whose first upload waits for its expiry) must not lock the reporter out.
SLACK = 2


@dataclass(frozen=True)
class Purpose:
    name: str
    max_bytes: dict  # kind -> bytes; a kind not here is refused at the first chunk
    max_files: int  # per form
    max_total_bytes: int  # per form
    rate_key: str  # the rate limiter's bucket: shared with the multipart path of the same forms
    rate_setting: str  # its hourly limit

    @property
    def largest_file(self) -> int:
        return max(self.max_bytes.values())

    @property
    def max_waiting(self) -> int:
        return self.max_files * SLACK

    @property
    def max_waiting_bytes(self) -> int:
        return self.max_total_bytes * SLACK


PHOTO = Purpose("photo", {"image": MAX_PHOTO_BYTES}, max_files=8, max_total_bytes=8 * MAX_PHOTO_BYTES,
                rate_key="resumable-photo", rate_setting="portal.upload.photo_rate_per_hour")


def add_purpose(config, purpose: Purpose) -> None:
    config.registry.setdefault(PURPOSES_KEY, {})[purpose.name] = purpose


def purposes(registry) -> dict[str, Purpose]:
    return registry.get(PURPOSES_KEY, {})
