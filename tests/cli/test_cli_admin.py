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
