"""What the rest of the stack needs from the database, whichever shape it has.

``ReplicatedMySql`` (an instance with replicas) and ``MultiAzMySqlCluster`` both provide it; the
host's proxy, the alerts and the outputs contract read only this.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import pulumi


class DatabaseShape(Protocol):
    # Read-only (properties): each shape may hold narrower types.
    @property
    def writer_identifier(self) -> pulumi.Output[str]: ...
    @property
    def writer_host(self) -> pulumi.Output[str]: ...
    @property
    def writer_port(self) -> pulumi.Output[int]: ...
    @property
    def readers(self) -> pulumi.Output[list[dict[str, object]]]: ...
    @property
    def engine_version_actual(self) -> pulumi.Output[str]: ...
    @property
    def password(self) -> pulumi.Output[str]: ...
    @property
    def alert_source_ids(self) -> Sequence[pulumi.Input[str]]: ...
    @property
    def alert_source_type(self) -> str: ...
    @property
    def alert_event_categories(self) -> Sequence[str]: ...
