"""The media stores: a directory, and S3 on a real S3 API server (moto in server mode on
127.0.0.1); archives for backups move files between them."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path
from typing import Any

import pytest

from storage.media import (
    DirectoryMediaStore,
    MediaNotFound,
    MediaStoreError,
    S3MediaStore,
    check_key,
    content_key,
    export_tar,
    import_tar,
)


def key_of(data: bytes, ext: str = ".jpg") -> str:
    return content_key(hashlib.sha256(data).hexdigest(), ext)


def test_keys_are_content_addresses_and_refuse_paths() -> None:
    data = b"photo"
    key = key_of(data)
    digest = hashlib.sha256(data).hexdigest()
    assert key == f"{digest[:2]}/{digest}.jpg"
    for bad in ("../etc/passwd", "/abs", "a//b", "UPPER", "a/../b", ""):
        with pytest.raises(ValueError):
            check_key(bad)
    with pytest.raises(ValueError):
        content_key("not-a-hash")


async def test_directory_store_round_trip(tmp_path: Path) -> None:
    store = DirectoryMediaStore(tmp_path / "media")
    assert await store.keys() == []  # not created yet
    a, b = b"first file", b"second file"
    await store.put(key_of(a), a, "image/jpeg")
    await store.put(key_of(b, ".pdf"), b, "application/pdf")
    await store.put(key_of(a), a, "image/jpeg")  # again: nothing changes
    assert await store.get(key_of(a)) == a
    assert (tmp_path / "media" / key_of(b, ".pdf")).read_bytes() == b
    assert await store.exists(key_of(b, ".pdf"))
    assert await store.keys() == sorted([key_of(a), key_of(b, ".pdf")])
    with pytest.raises(MediaNotFound):
        await store.get(key_of(b"missing"))
    # no temporary files are left behind
    assert not [p for p in (tmp_path / "media").rglob(".tmp-*")]


async def test_directory_store_concurrent_writers_of_one_key(tmp_path: Path) -> None:
    """Two processes storing the same photo at once: the file is whole, never half-written."""
    store = DirectoryMediaStore(tmp_path / "media")
    data = bytes(range(256)) * 4096  # 1 MiB
    key = key_of(data)
    await asyncio.gather(*(store.put(key, data, "image/jpeg") for _ in range(8)))
    assert await store.get(key) == data


async def test_directory_store_full_disk_is_a_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "media"
    blocker.write_text("a file where the directory should be")
    store = DirectoryMediaStore(blocker)
    with pytest.raises(MediaStoreError, match="无法写入文件存储"):
        await store.put(key_of(b"x"), b"x", "image/jpeg")


async def test_s3_store_round_trip(s3_store: Any) -> None:
    store: S3MediaStore = s3_store
    a, b = b"\xff\xd8 a photo", b"%PDF- minutes"
    await store.put(key_of(a), a, "image/jpeg")
    await store.put(key_of(b, ".pdf"), b, "application/pdf")
    await store.put(key_of(a), a, "image/jpeg")
    assert await store.get(key_of(a)) == a
    assert await store.exists(key_of(a)) and not await store.exists(key_of(b"nope"))
    assert await store.keys() == sorted([key_of(a), key_of(b, ".pdf")])
    # in the bucket under the prefix, with the content type given
    head = store.client.head_object(Bucket=store.bucket, Key="evidence/" + key_of(b, ".pdf"))
    assert head["ContentType"] == "application/pdf" and head["ContentLength"] == len(b)
    with pytest.raises(MediaNotFound):
        await store.get(key_of(b"missing"))
    assert "对象存储 s3://" in store.where()


async def test_s3_store_wrong_bucket_is_a_clear_error(s3_endpoint: str) -> None:
    store = S3MediaStore(
        bucket="no-such-bucket",
        endpoint_url=s3_endpoint,
        key_id="k",
        secret="s",
        region="us-east-1",
    )
    try:
        with pytest.raises(MediaStoreError, match="NoSuchBucket"):
            await store.put(key_of(b"x"), b"x", "image/jpeg")
    finally:
        await store.close()


async def test_s3_unreachable_is_a_store_error() -> None:
    store = S3MediaStore(
        bucket="b", endpoint_url="http://127.0.0.1:9", key_id="k", secret="s", region="us-east-1"
    )
    try:
        with pytest.raises(MediaStoreError, match="对象存储"):
            await store.get(key_of(b"x"))
    finally:
        await store.close()


async def test_archive_moves_files_from_s3_to_a_directory(s3_store: Any, tmp_path: Path) -> None:
    files = [f"photo {i}".encode() for i in range(5)]
    for data in files:
        await s3_store.put(key_of(data), data, "image/jpeg")
    archive = tmp_path / "backup.media.tar"
    wanted = [key_of(d) for d in files] + [key_of(b"gone")]
    written, missing = await export_tar(s3_store, archive, wanted)
    assert (written, missing) == (5, [key_of(b"gone")])
    target = DirectoryMediaStore(tmp_path / "restored")
    assert await import_tar(target, archive) == 5
    assert [await target.get(key_of(d)) for d in files] == files
