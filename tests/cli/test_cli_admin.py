"""``djbot backup`` and ``djbot restore`` as an operator runs them."""

from __future__ import annotations

from pathlib import Path

from support import djbot


def test_backup_and_restore_on_the_command_line(tmp_path: Path) -> None:
    script = "/start\n第一党支部\n今天召开支委会，出席7人\n保存\n"
    assert djbot(tmp_path, "chat", "--user", "zhang", stdin=script).returncode == 0
    backup = djbot(tmp_path, "backup", "--out", str(tmp_path / "b.sqlite3"))
    assert backup.returncode == 0, backup.stderr
    assert "已备份" in backup.stdout

    elsewhere = tmp_path / "new-server"
    elsewhere.mkdir()
    restored = djbot(elsewhere, "restore", str(tmp_path / "b.sqlite3"))
    assert restored.returncode == 0, restored.stderr
    listing = djbot(elsewhere, "chat", "--user", "zhang", stdin="/list\n")
    assert "支委会 1次 7人" in listing.stdout

    again = djbot(elsewhere, "restore", str(tmp_path / "b.sqlite3"))
    assert again.returncode == 1 and "不是空的" in again.stderr


def test_backup_carries_the_evidence_files(tmp_path: Path) -> None:
    import tarfile

    from support import photo

    (tmp_path / "活动.jpg").write_bytes(photo("red"))
    script = "/start\n第一党支部\n/attach 活动.jpg 今天开展主题党日活动，参加15人\n保存\n"
    chat = djbot(tmp_path, "chat", "--user", "zhang", stdin=script)
    assert "佐证：1张照片" in chat.stdout and "已保存1条记录" in chat.stdout
    [stored] = [p for p in (tmp_path / "data" / "media").rglob("*.jpg")]

    backup = djbot(tmp_path, "backup", "--out", str(tmp_path / "b.sqlite3"))
    assert backup.returncode == 0, backup.stderr
    assert "已备份 1 个佐证文件" in backup.stdout
    with tarfile.open(tmp_path / "b.sqlite3.media.tar") as archive:
        assert [m.name for m in archive.getmembers()] == [
            stored.relative_to(tmp_path / "data" / "media").as_posix()
        ]

    elsewhere = tmp_path / "new-server"
    elsewhere.mkdir()
    restored = djbot(elsewhere, "restore", str(tmp_path / "b.sqlite3"))
    assert restored.returncode == 0, restored.stderr
    assert "已恢复 1 个佐证文件" in restored.stdout
    copy = elsewhere / "data" / "media" / stored.relative_to(tmp_path / "data" / "media")
    assert copy.read_bytes() == stored.read_bytes()

    skipped = djbot(tmp_path, "backup", "--out", str(tmp_path / "c.sqlite3"), "--no-media")
    assert "未备份佐证文件（--no-media）：共 1 个" in skipped.stdout
