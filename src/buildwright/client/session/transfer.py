"""How many bytes the engine counts when it receives files through a DiffCopy.

The engine's receiver reports every packet it reads (`transferring dockerfile: 181B`): the STAT
of each entry, the DATA packets of each file (then an empty one), the empty STAT ending the
walk and the FIN. Where buildwright reads a file itself that buildx has the engine fetch (the
Dockerfile, the .dockerignore), this is the figure buildx's progress would show for it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from buildwright.client.session.filesync import CHUNK_SIZE, packet_data_size, packet_stat_size
from buildwright.client.session.fswalk import FilterSpec, can_request_data, walk
from buildwright.client.session.patterns import default_matcher_factory

_FIN = 2  # Packet{type: FIN}


def transfer_size(root: str | os.PathLike[str], follow_paths: Sequence[str]) -> int:
    """The bytes of a DiffCopy of `root` limited to `follow_paths`, as the receiving engine counts them."""
    total = 0
    file_id = 0
    for entry in walk(root, FilterSpec(follow_paths=tuple(follow_paths)), default_matcher_factory):
        total += packet_stat_size(entry.stat)
        if can_request_data(entry.stat.mode):
            size = entry.stat.size
            while size > 0:
                chunk = min(size, CHUNK_SIZE)
                total += packet_data_size(file_id, chunk)
                size -= chunk
            total += packet_data_size(file_id, 0)  # the end of the file
            file_id += 1
    return total + _FIN  # the empty STAT that ends the walk has no bytes
