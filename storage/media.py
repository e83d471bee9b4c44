"""Where evidence files (佐证材料: photos, scans, minutes) live: a directory, or S3-compatible
object storage for several processes or machines.

Files are content-addressed: a file's key is its SHA-256 (:func:`content_key`), so the same
photo sent twice is stored once, a key never changes meaning, and ``put`` of an existing key
is a no-op. Files are never changed in place; a record's deletion (soft) keeps its files.

- :class:`DirectoryMediaStore`: files under a directory (``DJBOT_MEDIA_DIR``, default
  ``<data_dir>/media``), written to a temporary name and renamed (atomic on POSIX), so a
  reader or a second process never sees half a file. Several processes on one machine (or on
  a shared file system) can share it.
- :class:`S3MediaStore`: a bucket on any S3-compatible service (AWS S3, MinIO, Ceph RGW,
  Aliyun OSS, Tencent COS in S3 mode) through boto3, the AWS SDK, run in worker threads
  (boto3 clients are thread-safe; boto3 docs, "Multithreading or multiprocessing with
  clients").

Backups: :func:`export_tar` writes every stored file into a tar archive, :func:`import_tar`
puts them back (``djbot backup`` / ``djbot restore``).
"""

from __future__ import annotations

import asyncio
import io
import os
import re
import tarfile
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

#: A key: lower-case letters, digits and ``/._-``, no ``..``, at most 200 characters.
_KEY = re.compile(r"[a-z0-9][a-z0-9._/-]{0,199}")


class MediaStoreError(Exception):
    """The store could not be read or written (a full disk, an unreachable S3 service, a
    wrong key or secret); the message is Chinese and says which store."""


class MediaNotFound(MediaStoreError):
    """No file is stored under the key."""


def content_key(sha256_hex: str, extension: str = "") -> str:
    """The key of a file whose SHA-256 is ``sha256_hex`` (64 lower-case hex digits):
    ``ab/ab12…ef.jpg`` (the first two digits spread files over 256 folders).

    Raises:
        ValueError: ``sha256_hex`` is not 64 hex digits, or ``extension`` is not ``.`` and up
            to 8 letters or digits.
    """
    if not re.fullmatch(r"[0-9a-f]{64}", sha256_hex):
        raise ValueError(f"not a SHA-256: {sha256_hex!r}")
    if extension and not re.fullmatch(r"\.[a-z0-9]{1,8}", extension):
        raise ValueError(f"bad extension: {extension!r}")
    return f"{sha256_hex[:2]}/{sha256_hex}{extension}"


def check_key(key: str) -> str:
    """``key`` if it is a valid key (see :data:`_KEY`).

    Raises:
        ValueError: it is not (``..``, an absolute path, upper case, other characters).
    """
    if not _KEY.fullmatch(key) or ".." in key or "//" in key:
        raise ValueError(f"invalid media key: {key!r}")
    return key


class MediaStore(Protocol):
    """Where files are kept; keys come from :func:`content_key`."""

    def where(self) -> str:
        """Where the files are, for operators (Chinese): a directory or a bucket."""
        ...

    async def put(self, key: str, data: bytes, mime_type: str) -> None:
        """Store ``data`` under ``key`` (nothing happens when it is already there).

        Raises:
            MediaStoreError: the store could not be written.
        """
        ...

    async def get(self, key: str) -> bytes:
        """The file stored under ``key``.

        Raises:
            MediaNotFound: nothing is stored under ``key``.
            MediaStoreError: the store could not be read.
        """
        ...

    async def exists(self, key: str) -> bool:
        """Whether a file is stored under ``key``.

        Raises:
            MediaStoreError: the store could not be read.
        """
        ...

    async def keys(self) -> list[str]:
        """Every stored key, sorted.

        Raises:
            MediaStoreError: the store could not be listed.
        """
        ...

    async def close(self) -> None:
        """Release connections; idempotent."""
        ...


class DirectoryMediaStore:
    """Files under ``root`` (created when first written), one file per key."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def where(self) -> str:
        """``目录 /abs/path``."""
        return f"目录 {self.root.resolve()}"

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    async def put(self, key: str, data: bytes, mime_type: str) -> None:
        """Write ``data`` to a temporary file beside the target, fsync, then rename."""
        path = self._path(key)
        try:
            await asyncio.to_thread(_write_atomic, path, data)
        except OSError as exc:
            raise MediaStoreError(f"无法写入文件存储（{self.where()}）：{exc}") from exc

    async def get(self, key: str) -> bytes:
        """Read the file."""
        path = self._path(key)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError as exc:
            raise MediaNotFound(f"文件存储中没有 {key}（{self.where()}）") from exc
        except OSError as exc:
            raise MediaStoreError(f"无法读取文件存储（{self.where()}）：{exc}") from exc

    async def exists(self, key: str) -> bool:
        """Whether the file exists."""
        return await asyncio.to_thread(self._path(key).is_file)

    async def keys(self) -> list[str]:
        """Every file below ``root`` that is a valid key (temporary files are not)."""

        def walk() -> list[str]:
            if not self.root.is_dir():
                return []
            found = []
            for path in self.root.rglob("*"):
                key = path.relative_to(self.root).as_posix()
                if path.is_file() and _KEY.fullmatch(key) and not path.name.startswith("."):
                    found.append(key)
            return sorted(found)

        try:
            return await asyncio.to_thread(walk)
        except OSError as exc:
            raise MediaStoreError(f"无法列出文件存储（{self.where()}）：{exc}") from exc

    async def close(self) -> None:
        """Nothing to release."""


def _write_atomic(path: Path, data: bytes) -> None:
    if path.is_file() and path.stat().st_size == len(data):
        return  # content-addressed: the same key holds the same bytes
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class S3MediaStore:
    """Files as objects in ``bucket`` under ``prefix``, on the S3 API at ``endpoint_url``
    (empty: AWS's own endpoint for ``region``).

    ``key_id``/``secret`` are the access key; empty ones let boto3 find credentials its usual
    way (environment, instance role). With an ``endpoint_url`` requests use path-style
    addressing (``https://host/bucket/key``), which every S3-compatible service accepts;
    without, boto3 chooses. Requests are retried by boto3 (standard mode, 3 attempts).
    """

    def __init__(
        self,
        *,
        bucket: str,
        endpoint_url: str = "",
        key_id: str = "",
        secret: str = "",
        region: str = "",
        prefix: str = "",
    ) -> None:
        self.bucket = bucket
        self.endpoint_url = endpoint_url
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self._options: dict[str, Any] = {
            "endpoint_url": endpoint_url or None,
            "aws_access_key_id": key_id or None,
            "aws_secret_access_key": secret or None,
            "region_name": region or None,
        }
        self._client: Any = None

    def where(self) -> str:
        """``对象存储 s3://bucket/prefix（endpoint）``."""
        at = f"（{self.endpoint_url}）" if self.endpoint_url else ""
        return f"对象存储 s3://{self.bucket}/{self.prefix}{at}"

    def _s3(self) -> Any:
        if self._client is None:
            import boto3
            from botocore.config import Config

            config = Config(
                retries={"max_attempts": 3, "mode": "standard"},
                s3={"addressing_style": "path" if self.endpoint_url else "auto"},
                connect_timeout=10,
                read_timeout=60,
            )
            self._client = boto3.session.Session().client("s3", config=config, **self._options)
        return self._client

    def _error(self, action: str, exc: Exception) -> MediaStoreError:
        code = _error_code(exc)
        if code in {"NoSuchKey", "404", "NotFound"}:
            return MediaNotFound(f"对象存储中没有该文件（{self.where()}）")
        return MediaStoreError(f"对象存储{action}失败（{self.where()}）：{code or exc}")

    async def _call(self, action: str, method: str, **kwargs: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError

        def call() -> Any:
            result = getattr(self._s3(), method)(Bucket=self.bucket, **kwargs)
            if method == "get_object":
                with result["Body"] as body:
                    return body.read()
            return result

        try:
            return await asyncio.to_thread(call)
        except (BotoCoreError, ClientError) as exc:
            raise self._error(action, exc) from exc

    async def put(self, key: str, data: bytes, mime_type: str) -> None:
        """``PutObject`` (skipped when the object exists: content-addressed)."""
        if await self.exists(key):
            return
        await self._call(
            "写入",
            "put_object",
            Key=self.prefix + check_key(key),
            Body=data,
            ContentType=mime_type or "application/octet-stream",
        )

    async def get(self, key: str) -> bytes:
        """``GetObject``."""
        data = await self._call("读取", "get_object", Key=self.prefix + check_key(key))
        return bytes(data)

    async def exists(self, key: str) -> bool:
        """``HeadObject``."""
        try:
            await self._call("读取", "head_object", Key=self.prefix + check_key(key))
        except MediaNotFound:
            return False
        return True

    async def keys(self) -> list[str]:
        """``ListObjectsV2`` under the prefix, all pages."""
        from botocore.exceptions import BotoCoreError, ClientError

        def walk() -> list[str]:
            pages = self._s3().get_paginator("list_objects_v2")
            found = []
            for page in pages.paginate(Bucket=self.bucket, Prefix=self.prefix):
                for item in page.get("Contents", []):
                    key = str(item["Key"])[len(self.prefix) :]
                    if _KEY.fullmatch(key):
                        found.append(key)
            return sorted(found)

        try:
            return await asyncio.to_thread(walk)
        except (BotoCoreError, ClientError) as exc:
            raise self._error("列出", exc) from exc

    async def close(self) -> None:
        """Close the client's connection pool."""
        client, self._client = self._client, None
        if client is not None:
            await asyncio.to_thread(client.close)


def _error_code(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


async def export_tar(
    store: MediaStore, out: Path, keys: Iterable[str] | None = None
) -> tuple[int, list[str]]:
    """Write the files under ``keys`` (default: every stored file) into the tar archive
    ``out`` (each under its key, uncompressed: photos do not compress). Returns how many were
    written and the keys the store no longer holds (skipped, for the operator to see).

    Raises:
        MediaStoreError: the store could not be read.
        OSError: ``out`` could not be written.
    """
    wanted = sorted(set(keys)) if keys is not None else await store.keys()
    out.parent.mkdir(parents=True, exist_ok=True)
    archive = await asyncio.to_thread(tarfile.open, out, "w")
    written, missing = 0, []
    try:
        for key in wanted:
            try:
                data = await store.get(key)
            except MediaNotFound:
                missing.append(key)
                continue
            info = tarfile.TarInfo(key)
            info.size = len(data)
            info.mode = 0o644
            await asyncio.to_thread(archive.addfile, info, io.BytesIO(data))
            written += 1
    finally:
        await asyncio.to_thread(archive.close)
    return written, missing


async def import_tar(store: MediaStore, source: Path) -> int:
    """Put every file of the tar archive ``source`` (written by :func:`export_tar`) into
    ``store``; files already there are left as they are. Returns how many the archive held.

    Raises:
        MediaStoreError: the store could not be written.
        ValueError: a member's name is not a valid key (not an archive of this kind).
        OSError, tarfile.TarError: ``source`` could not be read.
    """
    archive = await asyncio.to_thread(tarfile.open, source, "r")
    count = 0
    try:
        while (info := await asyncio.to_thread(archive.next)) is not None:
            if not info.isfile():
                continue
            key = check_key(info.name)
            fh = await asyncio.to_thread(archive.extractfile, info)
            if fh is None:
                continue
            data = await asyncio.to_thread(fh.read)
            await store.put(key, data, "application/octet-stream")
            count += 1
    finally:
        await asyncio.to_thread(archive.close)
    return count
