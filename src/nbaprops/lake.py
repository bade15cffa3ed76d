"""The lake: raw payloads stored exactly as received, addressed by content hash.

Layout under the lake root (a local folder, ``memory://`` in tests, ``gs://…`` in production)::

    {source}/{endpoint}/{game_date or 'undated'}/{YYYYMMDDTHHMMSSZ}_{sha256[:16]}.{ext}
    {source}/{endpoint}/{game_date or 'undated'}/_manifest.jsonl        (local folder)
    {source}/{endpoint}/{game_date or 'undated'}/_manifest/{name}.json  (object stores)

A payload file is written first, atomically (temporary name in the same folder, then a rename),
and its manifest entry is written last. Readers trust the manifest only, so a crash between the
two leaves an orphan file that the next ``put`` of the same bytes adopts, never a half object.
Identical bytes under the same source/endpoint/date are stored once.

On a local folder the entry is a line appended to ``_manifest.jsonl`` (``O_APPEND``, fsync'd).
Objects in a bucket cannot be appended to, and rewriting one shared manifest is a
read-modify-write in which concurrent writers lose each other's lines; there each entry is its
own small object, named after its payload, so writers never touch each other's entries. Readers
take both forms.

A manifest line that cannot be read is reported by ``scan`` as a ``BadManifestLine`` (ingest
quarantines and alerts it), except a torn *last* line of ``_manifest.jsonl``: that is what a
crash mid-append leaves, and the next append starts a fresh line after it.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path, PurePosixPath
from typing import IO, TYPE_CHECKING, Any, Protocol

import structlog
from fsspec.core import url_to_fs

from nbaprops.bounded import retry_transient, with_deadline
from nbaprops.errors import ConfigError, LakeError, LakeUnavailable, NbaPropsError, PayloadError
from nbaprops.secrets import redact_url

if TYPE_CHECKING:
    from nbaprops.checks import Check
    from nbaprops.settings import Settings

log = structlog.get_logger(__name__)

MANIFEST_NAME = "_manifest.jsonl"
ENTRIES_DIR = "_manifest"
UNDATED = "undated"
_CHUNK = 1 << 20
_FIRST_BYTES = 200
_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")
_FILE_PART = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,199}$")
_OBJECT_NAME = re.compile(r"^(?P<ts>\d{8}T\d{6}Z)_(?P<sha>[0-9a-f]{16})\.(?P<ext>[a-z0-9.]+)$")
_GZIP_MAGIC = b"\x1f\x8b"
_ObjectList = list["LakeObject"]  # the name ``list`` is shadowed inside the lake classes
_BadLines = list["BadManifestLine"]
_Paths = list[str]
_Checks = list["Check"]
_EXTENSIONS = {
    "application/json": "json",
    "text/json": "json",
    "application/pdf": "pdf",
    "text/html": "html",
    "text/csv": "csv",
    "text/plain": "txt",
    "application/xml": "xml",
    "text/xml": "xml",
    "application/gzip": "gz",
    "application/x-gzip": "gz",
}


@dataclass(frozen=True)
class LakeObject:
    """One stored payload, as its manifest line describes it. ``path`` is relative to the lake root."""

    path: str
    source: str
    endpoint: str
    game_date: date | None
    fetched_at: datetime
    sha256: str
    size: int
    content_type: str
    meta: Mapping[str, str] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class BadManifestLine:
    """A manifest entry that names no readable object: it must be quarantined, never skipped."""

    manifest: str  # path relative to the lake root (the manifest file or the entry object)
    line: int
    text: bytes  # the entry's first bytes
    reason: str


@dataclass(frozen=True)
class Listing:
    """What ``Lake.scan`` found: the objects, oldest fetch first, and the unreadable entries."""

    objects: list[LakeObject]
    bad_lines: list[BadManifestLine]


class Lake(Protocol):
    """Where raw payloads live. Implementations: ``FsspecLake`` (local folder, memory, GCS)."""

    def put(
        self,
        source: str,
        endpoint: str,
        game_date: date | None,
        payload: bytes,
        *,
        fetched_at: datetime,
        content_type: str,
        meta: Mapping[str, str] | None = None,
    ) -> LakeObject:
        """Store ``payload`` (once per content hash) and return its object."""
        ...

    def get(self, path: str) -> bytes:
        """Return the exact stored bytes, verified against the hash in the name."""
        ...

    def list(
        self, source: str | None = None, endpoint: str | None = None, game_date: date | None = None
    ) -> _ObjectList:
        """Objects recorded in the manifests, oldest fetch first."""
        ...

    def scan(
        self, source: str | None = None, endpoint: str | None = None, game_date: date | None = None
    ) -> Listing:
        """``list``'s objects plus the manifest entries that could not be read."""
        ...

    def put_file(
        self,
        rel_path: str,
        data: bytes,
        *,
        content_type: str,
        cache_control: str | None = None,
        durable: bool = True,
    ) -> str:
        """Write a named file outside the payload layout (``publish/…``) atomically; its full path."""
        ...

    def get_file(self, rel_path: str) -> bytes:
        """The bytes of a named file (``PayloadError`` when there is none)."""
        ...

    def list_files(self, pattern: str) -> _Paths:
        """Named files matching a glob, relative to the root, sorted."""
        ...

    def doctor(self) -> _Checks:
        """What the lake needs and has: the folder or bucket, and write/read/delete permission."""
        ...


class FsspecLake:
    """A ``Lake`` on any fsspec file system; the local file system gets fsync'd atomic renames."""

    def __init__(self, fs: Any, root: str, *, timeout_s: float = 60.0, attempts: int = 3) -> None:
        self._fs = fs
        self._root = root.rstrip("/")
        self._local = "file" in _protocols(fs)
        self._lock = threading.Lock()
        self._timeout_s = timeout_s
        self._attempts = attempts

    @property
    def root(self) -> str:
        """The root folder (or bucket prefix) of the lake."""
        return self._root

    # --- writing ------------------------------------------------------------------------------

    def put(
        self,
        source: str,
        endpoint: str,
        game_date: date | None,
        payload: bytes,
        *,
        fetched_at: datetime,
        content_type: str,
        meta: Mapping[str, str] | None = None,
    ) -> LakeObject:
        """Store ``payload`` under source/endpoint/date and return its ``LakeObject``.

        Bytes already stored in the same folder are not written again: the existing object is
        returned. ``fetched_at`` must carry a time zone; it is stored in UTC.
        """
        _check_segment("source", source)
        _check_segment("endpoint", endpoint)
        if fetched_at.tzinfo is None or fetched_at.utcoffset() is None:
            raise ValueError("fetched_at must be timezone-aware")
        fetched_utc = fetched_at.astimezone(UTC)
        digest = hashlib.sha256(payload).hexdigest()
        folder = _folder(source, endpoint, game_date)
        clean_meta = {str(k): redact_url(str(v)) for k, v in (meta or {}).items()}
        with self._lock:
            for existing in self._read_manifest(folder)[0]:
                if existing.sha256 == digest:
                    return existing
            orphan = self._find_orphan(folder, digest)
            name = orphan or (
                f"{fetched_utc:%Y%m%dT%H%M%SZ}_{digest[:16]}.{_extension(content_type, payload)}"
            )
            obj = LakeObject(
                path=f"{folder}/{name}",
                source=source,
                endpoint=endpoint,
                game_date=game_date,
                fetched_at=fetched_utc,
                sha256=digest,
                size=len(payload),
                content_type=content_type,
                meta=clean_meta,
            )
            failure: OSError | None = None
            try:
                if orphan is None:
                    self._write_atomic(obj.path, payload, create_only=True)
                else:
                    log.warning("lake.orphan_adopted", path=obj.path)
                self._append_manifest(folder, obj)
            except OSError as exc:  # the local folder's own writes (a bucket's are translated already)
                failure = exc
            if failure is not None:
                raise LakeError(f"lake: cannot write {obj.path}: {_why(failure)}")
        log.debug("lake.put", path=obj.path, size=obj.size)
        return obj

    # --- named files (published JSON, the dashboard) -------------------------------------------

    def put_file(
        self,
        rel_path: str,
        data: bytes,
        *,
        content_type: str,
        cache_control: str | None = None,
        durable: bool = True,
    ) -> str:
        """Write ``data`` at ``rel_path`` (replacing what is there), atomically; return the full path.

        For files outside the payload layout, such as ``publish/…``: a reader sees the old file or
        the new one, never a part. ``content_type`` and ``cache_control`` become the object's
        metadata where the file system keeps any (GCS); a local folder has none to set.
        ``durable=False`` skips the fsyncs on a local folder (still a rename: atomic for readers,
        but a power cut may lose the newest version): for files rebuilt from the warehouse anyway.
        On a local folder, a file that already holds exactly ``data`` is left alone.
        """
        _check_rel_path(rel_path)
        if self._local and _same_bytes(Path(self._abs(rel_path)), data):
            # Not rewritten: readers and caches keep the file (and its mtime) as it is.
            return self._abs(rel_path)
        extra: dict[str, Any] = {}
        if self.keeps_metadata:
            extra = {"content_type": content_type}
            if cache_control is not None:
                extra["fixed_key_metadata"] = {"cache_control": cache_control}
        self._write_atomic(rel_path, data, durable=durable, **extra)
        return self._abs(rel_path)

    def get_file(self, rel_path: str) -> bytes:
        """The bytes of a named file written by ``put_file`` (``PayloadError`` when there is none)."""
        _check_rel_path(rel_path)
        try:
            data: bytes = self._fs_call("cat_file", self._abs(rel_path))
        except FileNotFoundError:
            raise PayloadError(f"no lake file at {rel_path}") from None
        return data

    def list_files(self, pattern: str) -> _Paths:
        """Paths (relative to the root, sorted) of the named files matching a glob (``publish/x/*.json``)."""
        _check_rel_path(pattern.replace("*", "x"))
        return sorted(self._relative(str(p)) for p in self._fs_call("glob", self._abs(pattern)))

    @property
    def keeps_metadata(self) -> bool:
        """Whether objects carry a content type and ``Cache-Control`` (a bucket does, a folder does not)."""
        return bool({"gs", "gcs"} & set(_protocols(self._fs)))

    def _write_atomic(
        self, rel_path: str, payload: bytes, *, durable: bool = True, create_only: bool = False, **extra: Any
    ) -> None:
        final = self._abs(rel_path)
        if not self._local:
            # Object stores (GCS, memory) make a single-object upload atomic: all or nothing.
            if create_only:
                self._create_object(final, payload, **extra)
            else:
                self._fs_call("pipe_file", final, payload, **extra)
            return
        folder = Path(final).parent
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".tmp-{uuid.uuid4().hex}"
        try:
            with tmp.open("wb") as handle:
                self._write_payload(handle, payload)
                handle.flush()
                if durable:
                    os.fsync(handle.fileno())
            tmp.replace(final)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        if durable:
            _fsync_dir(folder)

    def _create_object(
        self, path: str, data: bytes, *, same_bytes_required: bool = True, **extra: Any
    ) -> bool:
        """Upload ``data`` only if no object is at ``path`` (GCS: ``ifGenerationMatch=0``).

        Payload and entry names never change meaning, so an object already there is never
        overwritten. When the precondition refuses (another writer, or our own earlier attempt
        that timed out after it landed), the stored bytes are compared: the same bytes are
        success; different ones are a ``LakeError`` for a payload (its name carries its hash) and
        the other writer's entry for an entry (returns False: it names the same payload).
        """
        try:
            self._fs_call("pipe_file", path, data, mode="create", **extra)
        except FileExistsError:
            stored: bytes = self._fs_call("cat_file", path)
            if stored == data:
                return True
            if same_bytes_required:
                raise LakeError(f"lake: {path} exists with other bytes; refusing to overwrite it") from None
            return False
        return True

    def _write_payload(self, handle: IO[bytes], payload: bytes) -> None:
        """Write the payload in chunks (the one place a failing disk would interrupt a write)."""
        view = memoryview(payload)
        for start in range(0, len(view), _CHUNK):
            handle.write(view[start : start + _CHUNK])

    def _append_manifest(self, folder: str, obj: LakeObject) -> None:
        line = (json.dumps(_to_record(obj), sort_keys=True, separators=(",", ":")) + "\n").encode()
        if not self._local:
            # One object per entry, named after its payload: no read-modify-write of a shared
            # manifest, so concurrent writers cannot drop each other's entries.
            name = obj.path.rsplit("/", 1)[-1]
            entry = self._abs(f"{folder}/{ENTRIES_DIR}/{name}.json")
            if not self._create_object(entry, line, same_bytes_required=False):
                log.info("lake.entry_exists", path=entry)  # another writer recorded this payload first
            return
        manifest = self._abs(f"{folder}/{MANIFEST_NAME}")
        fd = os.open(manifest, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            # A torn last line from an earlier crash must not swallow this one: start afresh.
            if os.fstat(fd).st_size > 0 and not _ends_with_newline(manifest):
                line = b"\n" + line
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)

    def _find_orphan(self, folder: str, digest: str) -> str | None:
        """A payload file written before a crash that kept its manifest line from being written."""
        pattern = self._abs(f"{folder}/*_{digest[:16]}.*")
        for candidate in sorted(self._fs_call("glob", pattern)):
            name = str(candidate).rsplit("/", 1)[-1]
            if not _OBJECT_NAME.match(name):
                continue
            if hashlib.sha256(self._fs_call("cat_file", candidate)).hexdigest() == digest:
                return name
        return None

    # --- reading ------------------------------------------------------------------------------

    def get(self, path: str) -> bytes:
        """Return the stored bytes of ``path``; a hash that no longer matches raises PayloadError."""
        parts = PurePosixPath(path).parts
        if PurePosixPath(path).is_absolute() or ".." in parts or len(parts) != 4:
            raise PayloadError(f"not a lake object path: {path!r}")
        match = _OBJECT_NAME.match(parts[-1])
        if match is None:
            raise PayloadError(f"not a lake object name: {parts[-1]!r}")
        try:
            data: bytes = self._fs_call("cat_file", self._abs(path))
        except FileNotFoundError:
            raise PayloadError(f"no lake object at {path}") from None
        actual = hashlib.sha256(data).hexdigest()
        if actual[:16] != match["sha"]:
            raise PayloadError(f"lake object {path} is corrupt: content hash {actual[:16]} != name")
        return data

    def list(
        self, source: str | None = None, endpoint: str | None = None, game_date: date | None = None
    ) -> _ObjectList:
        """Objects recorded in the manifests matching the filters, oldest fetch first."""
        return self.scan(source, endpoint, game_date).objects

    def scan(
        self, source: str | None = None, endpoint: str | None = None, game_date: date | None = None
    ) -> Listing:
        """The objects matching the filters (oldest fetch first) and the entries that are unreadable."""
        for name, value in (("source", source), ("endpoint", endpoint)):
            if value is not None:
                _check_segment(name, value)
        day = game_date.isoformat() if game_date is not None else "*"
        prefix = f"{source or '*'}/{endpoint or '*'}/{day}"
        found = [
            *self._fs_call("glob", self._abs(f"{prefix}/{MANIFEST_NAME}")),
            *self._fs_call("glob", self._abs(f"{prefix}/{ENTRIES_DIR}/*.json")),
        ]
        folders = sorted({"/".join(self._relative(str(path)).split("/")[:3]) for path in found})
        objects: _ObjectList = []
        bad: _BadLines = []
        for folder in folders:
            good, broken = self._read_manifest(folder)
            objects.extend(good)
            bad.extend(broken)
        return Listing(sorted(objects, key=lambda o: (o.fetched_at, o.path)), bad)

    def _read_manifest(self, folder: str) -> tuple[_ObjectList, _BadLines]:
        """A folder's entries: the local ``_manifest.jsonl`` lines, then the entry objects."""
        objects: _ObjectList = []
        bad: _BadLines = []
        manifest = f"{folder}/{MANIFEST_NAME}"
        try:
            raw: bytes = self._fs_call("cat_file", self._abs(manifest))
        except FileNotFoundError:
            raw = b""
        lines = raw.split(b"\n")
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                objects.append(_from_record(json.loads(line)))
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                if number == len(lines):
                    # No newline after it: a crash mid-append. Earlier lines are intact and the next
                    # append starts afresh, so this one alone is tolerated.
                    log.info("lake.manifest_torn_line", manifest=manifest, line=number)
                    continue
                bad.append(BadManifestLine(manifest, number, line[:_FIRST_BYTES], _why(exc)))
        for entry in sorted(self._fs_call("glob", self._abs(f"{folder}/{ENTRIES_DIR}/*.json"))):
            rel = self._relative(str(entry))
            data: bytes = self._fs_call("cat_file", str(entry))
            try:
                objects.append(_from_record(json.loads(data)))
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                bad.append(BadManifestLine(rel, 1, data[:_FIRST_BYTES], _why(exc)))
        for problem in bad:
            log.warning(
                "lake.manifest_bad_line", manifest=problem.manifest, line=problem.line, reason=problem.reason
            )
        return objects, bad

    def _fs_call(self, op: str, path: str, *args: Any, **kwargs: Any) -> Any:
        """``fs.<op>(path, *args)`` bounded: a deadline per attempt, transient failures retried.

        Every call here is idempotent (reads, globs, uploads of immutable objects under fixed
        names), so a retry after a timeout is safe even if the first attempt finished late.
        ``FileNotFoundError`` passes through for the callers that expect it.
        """
        method = getattr(self._fs, op)

        def timed_out() -> LakeUnavailable:
            return LakeUnavailable(f"lake: {op} {path}: no answer within {self._timeout_s:g}s")

        def once() -> Any:
            return with_deadline(
                lambda: _translated(method, op, path, *args, **kwargs), self._timeout_s, timed_out
            )

        return retry_transient(once, attempts=self._attempts, what=f"lake.{op}")

    def doctor(self) -> _Checks:
        """Reach the folder or bucket, then write, read back and delete a probe object."""
        from nbaprops.checks import Check

        where = self._root if self._local else f"{_protocols(self._fs)[0]}://{self._root}"
        kind = "folder" if self._local else "bucket"
        container = self._root if self._local else self._root.split("/", 1)[0]
        try:
            present = bool(self._fs_call("exists", container))
        except (LakeError, LakeUnavailable) as exc:
            return [Check("lake", "reach", False, f"cannot reach {where}: {exc}")]
        if not present:
            return [
                Check("lake", kind, False, f"{kind} {container} does not exist: create it (docs/deploy.md)")
            ]
        checks = [Check("lake", kind, True, f"{where} reachable")]
        probe = f"_doctor/probe-{uuid.uuid4().hex}.txt"
        try:
            self._write_atomic(probe, b"nbaprops doctor\n", create_only=True)
            back: bytes = self._fs_call("cat_file", self._abs(probe))
        except (LakeError, LakeUnavailable, FileNotFoundError, OSError) as exc:
            role = (
                "write access"
                if self._local
                else "roles/storage.objectCreator and objectViewer on the bucket"
            )
            checks.append(
                Check("lake", "permissions", False, f"cannot create and read objects: {exc}; grant {role}")
            )
            return checks
        if back != b"nbaprops doctor\n":
            checks.append(Check("lake", "permissions", False, f"the probe {probe} read back other bytes"))
            return checks
        try:
            self._fs_call("rm_file", self._abs(probe))
            note = "objects can be created, read and deleted"
        except (LakeError, LakeUnavailable, OSError) as exc:
            # Writers need no delete (uploads are create-only): the probe expires by lifecycle rule.
            log.info("lake.doctor_probe_kept", path=probe, error=str(exc))
            note = f"objects can be created and read (not deleted: {probe} is left to the lifecycle rule)"
        checks.append(Check("lake", "permissions", True, note))
        return checks

    def _relative(self, path: str) -> str:
        return path[len(self._root) :].strip("/") if path.startswith(self._root) else path.strip("/")

    def _abs(self, rel_path: str) -> str:
        return f"{self._root}/{rel_path}"


def open_lake(settings: Settings) -> Lake:
    """The lake named by ``settings.resolved_lake_url`` (a plain path is the local file system)."""
    return lake_at(settings.resolved_lake_url, settings)


def lake_at(url: str, settings: Settings, *, create: bool = True) -> FsspecLake:
    """A lake rooted at ``url``: a local folder (created unless ``create`` is false), or a bucket.

    ``gs://`` goes through gcsfs with the project, a request timeout of ``lake_timeout_s`` and no
    listing cache (another writer's new objects must show at the next listing); with
    ``gcs_endpoint_url`` (an emulator, a private endpoint) it uses gcsfs's plain JSON-API client,
    anonymous over ``http://``.
    """
    try:
        fs, root = _file_system(url, settings)
    except ImportError as exc:
        raise ConfigError(f"lake file system not installed (install the [gcp] extra): {exc}") from None
    if "file" in _protocols(fs) and not create:
        root = Path(root).resolve().as_posix()
    elif "file" in _protocols(fs):
        local_root = Path(root).resolve()
        try:
            local_root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"cannot create the lake folder {local_root}: {exc.strerror}") from None
        root = local_root.as_posix()
    return FsspecLake(fs, root, timeout_s=settings.lake_timeout_s, attempts=settings.lake_max_attempts)


def _file_system(url: str, settings: Settings) -> tuple[Any, str]:
    if not url.startswith(("gs://", "gcs://")):
        fs, root = url_to_fs(url)
        return fs, str(root)
    options: dict[str, Any] = {
        "project": settings.gcp_project,
        "requests_timeout": settings.lake_timeout_s,
        "cache_timeout": 0,
        "skip_instance_cache": True,
    }
    root = url.split("://", 1)[1].rstrip("/")
    if settings.gcs_endpoint_url:
        from gcsfs.core import GCSFileSystem

        options["endpoint_url"] = settings.gcs_endpoint_url
        if settings.gcs_endpoint_url.startswith("http://"):
            options["token"] = "anon"  # noqa: S105 - gcsfs's name for "no credentials"
        return GCSFileSystem(**options), root
    fs, _ = url_to_fs(url, **options)
    return fs, root


# --- helpers ----------------------------------------------------------------------------------

_TRANSIENT_ERRNOS = frozenset(
    {
        errno.EAGAIN,
        errno.ETIMEDOUT,
        errno.ECONNRESET,
        errno.ECONNABORTED,
        errno.EHOSTUNREACH,
        errno.ENETUNREACH,
    }
)
_TRANSIENT_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


def _translated(method: Callable[..., Any], op: str, path: str, *args: Any, **kwargs: Any) -> Any:
    """``method(path, *args)`` with file-system failures in the error tree (raised outside ``except``).

    Timeouts, dropped connections and a bucket's 408/429/5xx (gcsfs puts the status in ``code``)
    are ``LakeUnavailable``; other ``OSError``s (permission, full disk, a file where a folder
    should be) are ``LakeError``. A missing file and anything unrecognised propagate unchanged.
    """
    error: NbaPropsError | None = None
    try:
        return method(path, *args, **kwargs)
    except (FileNotFoundError, FileExistsError):
        raise
    except Exception as exc:
        status = getattr(exc, "code", None)
        if isinstance(exc, TimeoutError | ConnectionError) or (
            isinstance(exc, OSError) and exc.errno in _TRANSIENT_ERRNOS
        ):
            error = LakeUnavailable(f"lake: {op} {path}: {_why(exc)}")
        elif isinstance(status, int) and status in _TRANSIENT_STATUSES:
            error = LakeUnavailable(f"lake: {op} {path}: HTTP {status}: {_why(exc)}")
        elif isinstance(exc, OSError):
            error = LakeError(f"lake: {op} {path}: {_why(exc)}")
        else:
            raise
    raise error


def _protocols(fs: Any) -> tuple[str, ...]:
    protocol = fs.protocol
    return (protocol,) if isinstance(protocol, str) else tuple(protocol)


def _why(exc: BaseException) -> str:
    """The reason an entry is unreadable, without echoing the entry (its bytes are kept apart)."""
    return f"{type(exc).__name__}: {str(exc)[:200]}"


def _check_segment(name: str, value: str) -> None:
    if not _SEGMENT.match(value):
        raise ValueError(f"lake {name} must be letters, digits, '_' or '-': {value!r}")


def _check_rel_path(rel_path: str) -> None:
    """A named file's path: relative, no ``..``, every part letters, digits, ``.``, ``_`` or ``-``."""
    parts = rel_path.split("/")
    if not all(_FILE_PART.match(part) for part in parts):
        raise ValueError(f"not a lake file path: {rel_path!r}")


def _folder(source: str, endpoint: str, game_date: date | None) -> str:
    return f"{source}/{endpoint}/{game_date.isoformat() if game_date else UNDATED}"


def _extension(content_type: str, payload: bytes) -> str:
    ext = _EXTENSIONS.get(content_type.split(";", 1)[0].strip().lower(), "bin")
    if payload.startswith(_GZIP_MAGIC) and ext != "gz":
        ext += ".gz"
    return ext


def _same_bytes(path: Path, data: bytes) -> bool:
    """Whether the local file ``path`` exists and holds exactly ``data`` (size checked first)."""
    try:
        return path.stat().st_size == len(data) and path.read_bytes() == data
    except FileNotFoundError:
        return False


def _ends_with_newline(path: str) -> bool:
    with Path(path).open("rb") as handle:
        handle.seek(-1, os.SEEK_END)
        return handle.read(1) == b"\n"


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _to_record(obj: LakeObject) -> dict[str, Any]:
    return {
        "path": obj.path,
        "source": obj.source,
        "endpoint": obj.endpoint,
        "game_date": obj.game_date.isoformat() if obj.game_date else None,
        "fetched_at": obj.fetched_at.isoformat(),
        "sha256": obj.sha256,
        "size": obj.size,
        "content_type": obj.content_type,
        "meta": dict(obj.meta),
    }


def _from_record(record: dict[str, Any]) -> LakeObject:
    game_date = record["game_date"]
    return LakeObject(
        path=str(record["path"]),
        source=str(record["source"]),
        endpoint=str(record["endpoint"]),
        game_date=date.fromisoformat(game_date) if game_date else None,
        fetched_at=datetime.fromisoformat(record["fetched_at"]),
        sha256=str(record["sha256"]),
        size=int(record["size"]),
        content_type=str(record["content_type"]),
        meta={str(k): str(v) for k, v in dict(record.get("meta") or {}).items()},
    )
