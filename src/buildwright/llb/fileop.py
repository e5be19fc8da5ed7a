"""File ops: chains of mkdir / mkfile / rm / symlink / copy actions run by the engine itself.

Marshalling follows BuildKit's `client/llb/fileop.go`: actions are numbered in the order
their dependencies resolve, each action's input is either an op input or (input count +
index) of an earlier action, only the last action is an output, relative paths resolve
against the state's working directory, and unset modes and timestamps are -1.
"""

from __future__ import annotations

import re
from dataclasses import field
from datetime import UTC, datetime
from typing import Any, Protocol

from buildwright import _gopath
from buildwright._frozen import replace
from buildwright._pb import ops_pb2 as pb
from buildwright._values import valueclass
from buildwright.errors import LLBError
from buildwright.llb import caps
from buildwright.llb.constraints import Constraints
from buildwright.llb.vertex import MarshalContext, Marshaled, Output, Vertex, finish, marshal_constraints


class StateLike(Protocol):
    """What a file action needs from a state: its output and working directory."""

    @property
    def output(self) -> Output | None: ...

    @property
    def dir(self) -> str: ...


@valueclass
class UserOpt:
    """A user or group, by name (looked up in the target's /etc files) or by numeric id."""

    name: str = ""
    id: int = 0

    def to_pb(self, base: int) -> Any:
        if self.name:
            return pb.UserOpt(byName=pb.NamedUserOpt(name=self.name, input=base))
        return pb.UserOpt(byID=self.id & 0xFFFFFFFF)


_INT = re.compile(r"^[+-]?[0-9]+$")


def _parse_user(text: str) -> UserOpt:
    # Go's parseUID: "root" is 0, otherwise a base-10 int32 or a name.
    if text == "root":
        return UserOpt(id=0)
    if _INT.match(text):
        value = int(text)
        if -(2**31) <= value < 2**31:
            return UserOpt(id=value)
    return UserOpt(name=text)


@valueclass
class Chown:
    """Owner of created files: `Chown.parse("user:group")` or `Chown.ids(uid, gid)`."""

    user: UserOpt | None = None
    group: UserOpt | None = None

    @classmethod
    def parse(cls, text: str) -> Chown:
        """`user`, `user:group`, numeric or by name (`root` is 0), as `--chown` takes it."""
        user_text, sep, group_text = text.partition(":")
        return cls(_parse_user(user_text), _parse_user(group_text) if sep else None)

    @classmethod
    def ids(cls, uid: int, gid: int) -> Chown:
        """Numeric user and group."""
        return cls(UserOpt(id=uid), UserOpt(id=gid))

    def to_pb(self, base: int) -> Any:
        msg = pb.ChownOpt()
        if self.user is not None:
            msg.user.CopyFrom(self.user.to_pb(base))
        if self.group is not None:
            msg.group.CopyFrom(self.group.to_pb(base))
        return msg


def _chown(user: Chown | str | None) -> Chown | None:
    if user is None or isinstance(user, Chown):
        return user
    return Chown.parse(user)


def _timestamp(t: datetime | None) -> int:
    if t is None:
        return -1
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    delta = t - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1_000


def _normalize_path(parent: str, path: str, keep_slash: bool) -> str:
    cleaned = _gopath.clean(path)
    if not _gopath.is_abs(cleaned):
        cleaned = _gopath.join("/", parent, cleaned)
    return _gopath.keep_trailing_slash(path, cleaned) if keep_slash else cleaned


@valueclass
class CopyOptions:
    """Options of a copy action (BuildKit `CopyInfo`). `mode` as a string is sent as `modeStr`."""

    mode: int | str | None = None
    follow_symlinks: bool = False
    copy_dir_contents_only: bool = False
    include_patterns: tuple[str, ...] = ()
    exclude_patterns: tuple[str, ...] = ()
    required_paths: tuple[str, ...] = ()
    attempt_unpack: bool = False
    create_dest_path: bool = False
    allow_wildcard: bool = False
    allow_empty_wildcard: bool = False
    chown: Chown | str | None = None
    created_time: datetime | None = None
    always_replace_existing_dest_paths: bool = False


CopyInfo = CopyOptions  # the Go client's name for the same options


@valueclass
class _Mkdir:
    path: str
    mode: int
    make_parents: bool
    user: Chown | None
    created_time: datetime | None

    def to_pb(self, parent: str, base: int) -> Any:
        msg = pb.FileActionMkDir(
            path=_normalize_path(parent, self.path, False),
            mode=self.mode & 0o777,
            makeParents=self.make_parents,
            timestamp=_timestamp(self.created_time),
        )
        if self.user is not None:
            msg.owner.CopyFrom(self.user.to_pb(base))
        return {"mkdir": msg}


@valueclass
class _Mkfile:
    path: str
    mode: int
    data: bytes
    user: Chown | None
    created_time: datetime | None

    def to_pb(self, parent: str, base: int) -> Any:
        msg = pb.FileActionMkFile(
            path=_normalize_path(parent, self.path, False),
            mode=self.mode & 0o777,
            data=self.data,
            timestamp=_timestamp(self.created_time),
        )
        if self.user is not None:
            msg.owner.CopyFrom(self.user.to_pb(base))
        return {"mkfile": msg}


@valueclass
class _Rm:
    path: str
    allow_not_found: bool
    allow_wildcard: bool

    def to_pb(self, parent: str, base: int) -> Any:
        msg = pb.FileActionRm(
            path=_normalize_path(parent, self.path, False),
            allowNotFound=self.allow_not_found,
            allowWildcard=self.allow_wildcard,
        )
        return {"rm": msg}


@valueclass
class _Symlink:
    oldpath: str
    newpath: str
    user: Chown | None
    created_time: datetime | None

    def to_pb(self, parent: str, base: int) -> Any:
        # Upstream sends both paths verbatim (no working-directory resolution).
        msg = pb.FileActionSymlink(oldpath=self.oldpath, newpath=self.newpath, timestamp=_timestamp(self.created_time))
        if self.user is not None:
            msg.owner.CopyFrom(self.user.to_pb(base))
        return {"symlink": msg}


@valueclass
class _Copy:
    source: StateLike | FileActionWithState
    src: str
    dest: str
    options: CopyOptions

    def source_path(self) -> str:
        p = _gopath.clean(self.src)
        directory = "/"
        if not _gopath.is_abs(p):
            if isinstance(self.source, FileActionWithState):
                directory = self.source.action._state_dir()
            else:
                directory = self.source.dir
        return _gopath.join(directory, p)

    def to_pb(self, parent: str, base: int) -> Any:
        o = self.options
        msg = pb.FileActionCopy(
            src=self.source_path(),
            dest=_normalize_path(parent, self.dest, True),
            include_patterns=list(o.include_patterns),
            exclude_patterns=list(o.exclude_patterns),
            required_paths=list(o.required_paths),
            allowWildcard=o.allow_wildcard,
            allowEmptyWildcard=o.allow_empty_wildcard,
            followSymlink=o.follow_symlinks,
            dirCopyContents=o.copy_dir_contents_only,
            attemptUnpackDockerCompatibility=o.attempt_unpack,
            createDestPath=o.create_dest_path,
            timestamp=_timestamp(o.created_time),
            alwaysReplaceExistingDestPaths=o.always_replace_existing_dest_paths,
        )
        owner = _chown(o.chown)
        if owner is not None:
            msg.owner.CopyFrom(owner.to_pb(base))
        if o.mode is None:
            msg.mode = -1
        elif isinstance(o.mode, str):
            if o.mode:
                msg.modeStr = o.mode
        else:
            msg.mode = o.mode
        return {"copy": msg}


_Action = _Mkdir | _Mkfile | _Rm | _Symlink | _Copy


@valueclass(eq=False)
class FileAction:
    """A chain of file actions; each method appends one and returns the new chain.

    Paths are resolved against the working directory of the state the chain is applied to.
    """

    _action: _Action
    _prev: FileAction | None = None
    _state: StateLike | None = None

    def mkdir(
        self,
        path: str,
        mode: int = 0o755,
        *,
        make_parents: bool = False,
        user: Chown | str | None = None,
        created_time: datetime | None = None,
    ) -> FileAction:
        """Then create directory `path`."""
        return replace(mkdir(path, mode, make_parents=make_parents, user=user, created_time=created_time), _prev=self)

    def mkfile(
        self,
        path: str,
        mode: int,
        data: bytes,
        *,
        user: Chown | str | None = None,
        created_time: datetime | None = None,
    ) -> FileAction:
        """Then create file `path` holding `data`."""
        return replace(mkfile(path, mode, data, user=user, created_time=created_time), _prev=self)

    def rm(self, path: str, *, allow_not_found: bool = False, allow_wildcard: bool = False) -> FileAction:
        """Then remove `path`."""
        return replace(rm(path, allow_not_found=allow_not_found, allow_wildcard=allow_wildcard), _prev=self)

    def symlink(
        self, oldpath: str, newpath: str, *, user: Chown | str | None = None, created_time: datetime | None = None
    ) -> FileAction:
        """Then create a symlink at `newpath` pointing to `oldpath`."""
        return replace(symlink(oldpath, newpath, user=user, created_time=created_time), _prev=self)

    def copy(
        self,
        source: StateLike | FileActionWithState,
        src: str,
        dest: str,
        options: CopyOptions = CopyOptions(),
    ) -> FileAction:
        """Then copy `src` of `source` to `dest`."""
        return replace(copy(source, src, dest, options), _prev=self)

    def with_state(self, state: StateLike) -> FileActionWithState:
        """Use this chain, applied to `state`, as the source of a copy."""
        return FileActionWithState(self._bind(state))

    def _bind(self, state: StateLike) -> FileAction:
        # A loop, oldest action first: a chain can be thousands long (one per COPY source).
        actions: list[_Action] = []
        node: FileAction | None = self
        while node is not None:
            actions.append(node._action)
            node = node._prev
        bound: FileAction | None = None
        for action in reversed(actions):
            bound = FileAction(action, bound, state)
        assert bound is not None
        return bound

    def _state_dir(self) -> str:
        return self._state.dir if self._state is not None else "/"

    def _all_outputs(self, seen: list[Output]) -> None:
        # Walk order of the Go client (last action first), so ops are emitted in the same order.
        node: FileAction | None = self
        while node is not None:
            if node._state is not None:
                out = node._state.output
                if out is not None and out not in seen:
                    seen.append(out)
            action = node._action
            if isinstance(action, _Copy):
                if isinstance(action.source, FileActionWithState):
                    action.source.action._all_outputs(seen)
                else:
                    out = action.source.output
                    if out is not None and out not in seen:
                        seen.append(out)
            node = node._prev


@valueclass(eq=False)
class FileActionWithState:
    """A file action chain bound to a state, usable as a copy source."""

    action: FileAction


def mkdir(
    path: str,
    mode: int = 0o755,
    *,
    make_parents: bool = False,
    user: Chown | str | None = None,
    created_time: datetime | None = None,
) -> FileAction:
    """Create directory `path` (`mode` keeps only permission bits)."""
    return FileAction(_Mkdir(path, mode, make_parents, _chown(user), created_time))


def mkfile(
    path: str, mode: int, data: bytes, *, user: Chown | str | None = None, created_time: datetime | None = None
) -> FileAction:
    """Create file `path` with contents `data`."""
    return FileAction(_Mkfile(path, mode, bytes(data), _chown(user), created_time))


def rm(path: str, *, allow_not_found: bool = False, allow_wildcard: bool = False) -> FileAction:
    """Remove `path`."""
    return FileAction(_Rm(path, allow_not_found, allow_wildcard))


def symlink(
    oldpath: str, newpath: str, *, user: Chown | str | None = None, created_time: datetime | None = None
) -> FileAction:
    """Create a symlink at `newpath` pointing to `oldpath`."""
    return FileAction(_Symlink(oldpath, newpath, _chown(user), created_time))


def copy(
    source: StateLike | FileActionWithState, src: str, dest: str, options: CopyOptions = CopyOptions()
) -> FileAction:
    """Copy `src` from `source` (a state, or a bound action chain) to `dest`."""
    return FileAction(_Copy(source, src, dest, options))


@valueclass(frozen=False)
class _ActionState:
    action: FileAction
    base: int = -1
    input: int = -1
    input_relative: int | None = None
    input2: int = -1
    input2_relative: int | None = None
    target: int = 0


@valueclass(frozen=False)
class _FileMarshal:
    ctx: MarshalContext
    inputs: list[Any] = field(default_factory=list)
    actions: list[_ActionState] = field(default_factory=list)
    visited: dict[int, _ActionState] = field(default_factory=dict)

    def add_input(self, output: Output) -> int:
        inp = self.ctx.to_input(output)
        for i, existing in enumerate(self.inputs):
            if existing == inp:
                return i
        self.inputs.append(inp)
        return len(self.inputs) - 1

    def add(self, fa: FileAction) -> _ActionState:
        # Keyed by identity, like the Go client's pointer map: a chain reused twice is one action.
        known = self.visited.get(id(fa))
        if known is not None:
            return known
        # The actions before this one first, oldest first, in a loop rather than by recursion.
        earlier: list[FileAction] = []
        node = fa._prev
        while node is not None and id(node) not in self.visited:
            earlier.append(node)
            node = node._prev
        for node in reversed(earlier):
            self.add(node)
        prev_state = self.add(fa._prev) if fa._prev is not None else None
        st = _ActionState(fa)
        if fa._state is not None and fa._state.output is not None:
            st.base = self.add_input(fa._state.output)
        if prev_state is None:
            st.input = st.base
        else:
            st.input_relative = prev_state.target
        action = fa._action
        if isinstance(action, _Copy):
            if isinstance(action.source, FileActionWithState):
                st.input2_relative = self.add(action.source.action).target
            else:
                out = action.source.output
                if out is not None:
                    st.input2 = self.add_input(out)
        st.target = len(self.actions)
        self.visited[id(fa)] = st
        self.actions.append(st)
        return st


@valueclass(eq=False)
class FileOp(Vertex):
    """One file op running a bound action chain."""

    action: FileAction
    constraints: Constraints

    def output(self) -> Output:
        """The op's only output (the result of the last action)."""
        return Output(self, 0)

    def inputs(self) -> tuple[Output, ...]:
        seen: list[Output] = []
        self.action._all_outputs(seen)
        return tuple(seen)

    def marshal(self, ctx: MarshalContext) -> Marshaled:
        # Only file.base: the Go client means to add per-action caps (copy patterns, symlink, ...)
        # but its loop runs over an empty list, so the reference LLB never carries them.
        own = self.constraints
        op, metadata = marshal_constraints(ctx, own, (caps.FILE_BASE,))
        op.ClearField("platform")  # file ops are not platform specific
        file_op = op.file
        file_op.SetInParent()
        state = _FileMarshal(ctx)
        state.add(self.action)
        op.inputs.extend(state.inputs)
        n_inputs = len(state.inputs)
        last = len(state.actions) - 1
        for i, st in enumerate(state.actions):
            parent = st.action._state.dir if st.action._state is not None else ""
            fields = st.action._action.to_pb(parent, st.base)
            file_op.actions.append(
                pb.FileAction(
                    input=n_inputs + st.input_relative if st.input_relative is not None else st.input,
                    secondaryInput=(n_inputs + st.input2_relative if st.input2_relative is not None else st.input2),
                    output=0 if i == last else -1,
                    **fields,
                )
            )
        return finish(op, metadata, own.locations)


def check_action(action: object) -> FileAction:
    """Raise unless `action` is a FileAction (API misuse shows up early, not at marshal)."""
    if not isinstance(action, FileAction):
        raise LLBError(f"expected a FileAction, got {type(action).__name__}")
    return action
