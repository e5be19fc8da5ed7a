"""LLB capability ids an op records in its metadata (`OpMetadata.caps`) so the engine can refuse
graphs it cannot run. The strings are wire facts from BuildKit's `solver/pb/caps.go`, including
its historical misspelling of the HTTP uid/gid cap.
"""

from __future__ import annotations

from typing import Final

SOURCE_IMAGE: Final = "source.image"
SOURCE_IMAGE_RESOLVE_MODE: Final = "source.image.resolvemode"
SOURCE_IMAGE_LAYER_LIMIT: Final = "source.image.layerlimit"
SOURCE_IMAGE_CHECKSUM: Final = "source.image.checksum"

SOURCE_LOCAL: Final = "source.local"
SOURCE_LOCAL_UNIQUE: Final = "source.local.unique"
SOURCE_LOCAL_SESSION_ID: Final = "source.local.sessionid"
SOURCE_LOCAL_INCLUDE_PATTERNS: Final = "source.local.includepatterns"
SOURCE_LOCAL_FOLLOW_PATHS: Final = "source.local.followpaths"
SOURCE_LOCAL_EXCLUDE_PATTERNS: Final = "source.local.excludepatterns"
SOURCE_LOCAL_SHARED_KEY_HINT: Final = "source.local.sharedkeyhint"
SOURCE_LOCAL_DIFFER: Final = "source.local.differ"
SOURCE_LOCAL_METADATA_TRANSFER: Final = "source.local.metadatatransfer"

SOURCE_GIT: Final = "source.git"

SOURCE_HTTP: Final = "source.http"
SOURCE_HTTP_AUTH: Final = "source.http.auth"
SOURCE_HTTP_CHECKSUM: Final = "source.http.checksum"
SOURCE_HTTP_PERM: Final = "source.http.perm"
SOURCE_HTTP_UIDGID: Final = "soruce.http.uidgid"  # sic: the engine knows it by this spelling
SOURCE_HTTP_HEADER: Final = "source.http.header"

SOURCE_OCI_LAYOUT: Final = "source.ocilayout"

EXEC_META_BASE: Final = "exec.meta.base"
EXEC_META_CGROUP_PARENT: Final = "exec.meta.cgroup.parent"
EXEC_META_NETWORK: Final = "exec.meta.network"
EXEC_META_PROXY: Final = "exec.meta.proxyenv"
EXEC_META_SECURITY: Final = "exec.meta.security"
EXEC_META_SETS_DEFAULT_PATH: Final = "exec.meta.setsdefaultpath"
EXEC_META_ULIMIT: Final = "exec.meta.ulimit"
EXEC_META_CDI: Final = "exec.meta.cdi"
EXEC_META_REMOVE_MOUNT_STUBS_RECURSIVE: Final = "exec.meta.removemountstubs.recursive"
EXEC_META_LINUX_RESOURCES: Final = "exec.meta.linux.resources"
EXEC_MOUNT_BIND: Final = "exec.mount.bind"
EXEC_MOUNT_CACHE: Final = "exec.mount.cache"
EXEC_MOUNT_CACHE_SHARING: Final = "exec.mount.cache.sharing"
EXEC_MOUNT_SELECTOR: Final = "exec.mount.selector"
EXEC_MOUNT_TMPFS: Final = "exec.mount.tmpfs"
EXEC_MOUNT_TMPFS_SIZE: Final = "exec.mount.tmpfs.size"
EXEC_MOUNT_SECRET: Final = "exec.mount.secret"
EXEC_MOUNT_SSH: Final = "exec.mount.ssh"
EXEC_MOUNT_CONTENT_CACHE: Final = "exec.mount.cache.content"
EXEC_SECRET_ENV: Final = "exec.secretenv"
EXEC_VALID_EXIT_CODE: Final = "exec.validexitcode"

FILE_BASE: Final = "file.base"
FILE_RM_WILDCARD: Final = "file.rm.wildcard"
FILE_COPY_INCLUDE_EXCLUDE_PATTERNS: Final = "file.copy.includeexcludepatterns"
FILE_COPY_REQUIRED_PATHS: Final = "file.copy.requiredpaths"
FILE_COPY_ALWAYS_REPLACE_EXISTING_DEST_PATHS: Final = "file.copy.alwaysreplaceexistingdestpaths"
FILE_COPY_MODE_STRING_FORMAT: Final = "file.copy.modestring"
FILE_SYMLINK_CREATE: Final = "file.symlink.create"

CONSTRAINTS: Final = "constraints"
PLATFORM: Final = "platform"

META_IGNORE_CACHE: Final = "meta.ignorecache"
META_DESCRIPTION: Final = "meta.description"
META_EXPORT_CACHE: Final = "meta.exportcache"

MERGE_OP: Final = "mergeop"
DIFF_OP: Final = "diffop"
SOURCE_GIT_KEEP_DIR: Final = "source.git.keepgitdir"
SOURCE_GIT_FULL_URL: Final = "source.git.fullurl"
SOURCE_GIT_HTTP_AUTH: Final = "source.git.httpauth"
SOURCE_GIT_KNOWN_SSH_HOSTS: Final = "source.git.knownsshhosts"
SOURCE_GIT_MOUNT_SSH_SOCK: Final = "source.git.mountsshsock"
SOURCE_GIT_CHECKSUM: Final = "source.git.checksum"
SOURCE_GIT_SKIP_SUBMODULES: Final = "source.git.skipsubmodules"
SOURCE_GIT_MTIME: Final = "source.git.mtime"
